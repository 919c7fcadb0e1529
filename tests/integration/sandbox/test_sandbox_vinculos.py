"""The sandbox's vínculo services as a real process (default seed): cessarVinculoTrabalhador (SOAP + WSDL),
"Consultar Trabalhadores" (two steps with a chave) and the admission (REST) — with the same auth, faults and
request log as the other services, and their effect on the apuramento."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
import zeep

from ciclo.psi import errors as E
from ciclo.psi import vinculos as V
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.models.vinculos import CessacaoVinculo, PedidoAdmissao
from ciclo.psi.rest import PsiClient
from ciclo.sandbox.seed import EE_INDUSTRIA

EE, TRAB = "20000003116", "10000000001"
NOVO = "12345678910"
MES = "202509"
OK = Credenciais(EE, password="sandbox")


def _cessacao(sb, cred=OK):
    return V.CessacaoSoapClient(f"{sb.url}/ws/contrato/v1/cessarVinculoTrabalhador", cred, timeout=10)


def _consulta(sb, cred=OK):
    return V.TrabalhadoresSsClient(f"{sb.url}{V.CAMINHO_TRABALHADORES}", cred, timeout=10)


def _pedido(**over):
    d = {"niss-entidade-empregadora": int(EE), "niss-trabalhador": int(NOVO), "data-nascimento": "1990-03-04",
         "modalidade-contrato": "A", "inicio-contrato": "2025-09-16", "profissao": "41101", "remuneracao-base": "900.00"}
    d.update(over)
    return PedidoAdmissao.model_validate(d)


def test_wsdl_points_at_the_sandbox_and_loads_in_zeep(sandbox):
    url = f"{sandbox.url}/ws/contrato/v1/cessarVinculoTrabalhador"
    r = httpx.get(url + "?wsdl", timeout=10)
    assert r.status_code == 200 and f'location="{url}"' in r.text
    op = zeep.Client(url + "?wsdl").wsdl.bindings[V.BINDING_CESSACAO]._operations["cessarVinculo"]
    assert op.soapaction == V.SOAP_ACTION_CESSACAO
    assert httpx.get(url, timeout=10).status_code == 400   # GET without ?wsdl


def test_cessation_ends_the_vinculo_and_a_second_one_is_refused(sandbox):
    with _cessacao(sandbox) as c:
        r = c.cessar(CessacaoVinculo(TRAB, date(2025, 9, 15), "CCCT", True))
        assert r.codigo == 1
        with pytest.raises(V.CessacaoRecusada) as ei:
            c.cessar(CessacaoVinculo(TRAB, date(2025, 9, 15), "CCCT", True))
        assert ei.value.mensagens == ["Vínculo já cessado em 2025-09-15"]
        with pytest.raises(V.CessacaoRecusada, match="sem vínculo"):
            c.cessar(CessacaoVinculo("10000000099", date(2025, 9, 15), "CCCT"))
        with pytest.raises(V.CessacaoParametroEmFalta, match="Fundamentação não identificada"):
            c.cessar(CessacaoVinculo(TRAB, date(2025, 9, 15), "RARC", True))
    [v] = sandbox.admin("GET", "vinculos", params={"niss_ee": EE, "niss_trabalhador": TRAB})
    assert v["fim"] == "2025-09-15"
    # the month's apuramento prorates the permanent remuneration to the vínculo's end: 1600 / 30 × 15
    sandbox.admin("POST", f"apuramento/{EE}/{MES}")
    with PsiClient(resolver(sandbox.url), OK) as rest:
        assert rest.valores_apurados_trabalhador(EE, MES, TRAB).totalRemuneracao == 800


def test_bad_credentials_faults_timeouts_and_the_request_log(sandbox):
    with _cessacao(sandbox, Credenciais(EE, password="nope")) as c:
        with pytest.raises(E.PsiAuthError, match=f"credentials rejected for NISS {EE}"):
            c.cessar(CessacaoVinculo(TRAB, date(2025, 9, 15), "CCCT"))
    sandbox.admin("POST", "soap/timeouts", json={"vezes": 1})
    with _cessacao(sandbox) as c:
        with pytest.raises(V.CessacaoTimeout) as ei:
            c.cessar(CessacaoVinculo(TRAB, date(2025, 9, 15), "CCCT"))
        assert ei.value.retryable
    url = f"{sandbox.url}/ws/contrato/v1/cessarVinculoTrabalhador"
    r = httpx.post(url, content=b"<not-xml", auth=(EE, "sandbox"), timeout=10)
    assert r.status_code == 500 and b"Fault" in r.content
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "cessarVinculoTrabalhador", "mode": "error",
                                         "status": 503, "times": 1})
    with _cessacao(sandbox) as c:
        with pytest.raises(E.PsiOutcomeUnknown):
            c.cessar(CessacaoVinculo(TRAB, date(2025, 9, 15), "CCCT"))
    log = sandbox.admin("GET", "requests", params={"path_contains": "cessarVinculoTrabalhador", "method": "POST"})
    assert [x["status"] for x in log] == [401, 500, 500, 503]
    [v] = sandbox.admin("GET", "vinculos", params={"niss_ee": EE, "niss_trabalhador": TRAB})
    assert v["fim"] is None   # nothing applied


def test_workers_bound_in_a_window_two_steps(sandbox):
    with _consulta(sandbox) as q:
        [t] = q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30), TRAB)
        assert (t.niss_ee, t.niss_trabalhador, t.data_inicio, t.data_fim) == (EE, TRAB, date(2022, 6, 6), None)
        # one query = the request for a chave, a read that finds it still processing, the read with the data
        assert len(sandbox.admin("GET", "requests", params={"path_contains": "/ws/idq/"})) == 3
        assert q.trabalhadores_vinculados(date(2022, 1, 1), date(2022, 3, 1)) == []   # "sem dados de retorno"
        with pytest.raises(ValueError, match="90"):
            q.trabalhadores_vinculados(date(2025, 1, 1), date(2025, 1, 1) + timedelta(days=91))
    with _consulta(sandbox, Credenciais(EE, password="nope")) as q:
        with pytest.raises(E.PsiAuthError):
            q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))


def test_admission_binds_the_worker_and_his_valores_are_then_apurados(sandbox):
    with PsiClient(resolver(sandbox.url), OK) as rest:
        assert V.comunicar_admissao(rest, _pedido()) == {}                     # 204, no body
        with pytest.raises(E.PsiValidationError, match="já tem vínculo"):
            V.comunicar_admissao(rest, _pedido())
        with pytest.raises(E.PsiValidationError, match="Enquadramento inválido"):
            V.comunicar_admissao(rest, _pedido(**{"niss-trabalhador": 12345678929, "enquadramento": "XPTO"}))
        sandbox.admin("POST", f"apuramento/{EE}/{MES}")
        apurado = rest.valores_apurados_trabalhador(EE, MES, NOVO)
        assert apurado is not None and apurado.totalRemuneracao == 450   # 900 / 30 × 15 days (16..30 September)
    with PsiClient(resolver(sandbox.url), Credenciais(EE, password="nope")) as rest:
        with pytest.raises(E.PsiAuthError):
            V.comunicar_admissao(rest, _pedido())
    with PsiClient(resolver(sandbox.url), Credenciais(EE_INDUSTRIA, password="sandbox")) as rest:
        with pytest.raises(E.PsiForbiddenError):
            V.comunicar_admissao(rest, _pedido(**{"niss-trabalhador": 12345678929}))
    log = sandbox.admin("GET", "requests", params={"path_contains": "vinculos/pedido"})
    assert [x["status"] for x in log][:4] == [204, 400, 400, 401]
