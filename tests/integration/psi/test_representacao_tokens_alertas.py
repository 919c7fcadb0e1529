"""Representation (an accounting office's one credential for many employers), tokens ("Token expirado.", JWT exp),
and the services the month needs — alerts, avisos, values still processing, receipts — through the REST client
against the sandbox over real HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ciclo.psi import errors as E
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais, aviso_expiracao, jwt_expira_em
from ciclo.psi.rest import PsiClient, RetryPolicy

EE, EE_IND, REP, TRAB = "20000003116", "20000000108", "25000000014", "10000000001"
OUTRO = "22345670000"  # seeded by the test, not represented
RAPIDO = RetryPolicy(attempts=2, wait_initial=0.05, wait_max=0.1)


def cliente(sb, cred):
    return PsiClient(resolver(sb.url), cred, retry=RAPIDO)


def rep():
    return Credenciais(REP, password="sandbox", tipo="REPRESENTANTE")


# ------------------------------------------------------------------------------------------------- representation
def test_one_representative_credential_acts_for_many_employers(sandbox):
    with cliente(sandbox, rep()) as c:
        # eeaoc: the employer's NISS in the path
        assert c.valores_apurados_mensal(EE, "202509").estado == "APURADO"
        assert c.valores_apurados_mensal(EE_IND, "202509").estado == "SEM_VALORES"
        # ci: niss-representado names the employer
        assert c.documentos_pagamento(EE) == [] and c.comprovativos_pagamento(2026, niss_ee=EE_IND) == []
    log = sandbox.admin("GET", "requests", params={"path_contains": "/ci/"})
    assert {r["query"] for r in log} == {f"niss-representado={EE}", f"niss-representado={EE_IND}"}
    assert {r["niss"] for r in log} == {REP}


def test_an_employer_not_represented_is_refused_with_403(sandbox):
    sandbox.admin("POST", "seed", json={"entidades": [{"niss": OUTRO, "password": "sandbox", "trabalhadores": []}]})
    with cliente(sandbox, rep()) as c:
        with pytest.raises(E.PsiForbiddenError, match=f"NISS {REP} is not authorised as representative for "
                                                      f"consultarAvisos on employer {OUTRO}"):
            c.avisos(OUTRO)
        with pytest.raises(E.PsiForbiddenError, match="codigoResultado 7"):
            c.documentos_pagamento(OUTRO)


def test_credential_kind_says_own_or_representative():
    propria, r = Credenciais(EE, password="x"), rep()
    assert propria.propria_de(EE) and not propria.representante and propria.niss_representado(EE) is None
    assert r.representante and not r.propria_de(REP) and r.niss_representado(EE) == EE
    with pytest.raises(ValueError, match="must be one of EE, REPRESENTANTE"):
        Credenciais(EE, password="x", tipo="GABINETE")


# ------------------------------------------------------------------------------------------------- tokens
def test_token_expirado_reaches_the_operator_as_such(sandbox):
    tok = sandbox.admin("POST", "token", json={"niss": EE, "expires_in": -5})["access_token"]
    with cliente(sandbox, Credenciais(EE, token=tok)) as c, pytest.raises(E.PsiTokenExpirado) as ei:
        c.avisos(EE)
    assert ei.value.ss_message == "Token expirado." and "Token expirado." in str(ei.value)
    assert "Tokens de acesso" in str(ei.value) and tok not in str(ei.value)
    assert isinstance(ei.value, E.PsiAuthError)


def test_jwt_exp_is_read_and_a_token_expiring_within_a_week_warns(sandbox):
    tok = sandbox.admin("POST", "token", json={"niss": EE, "expires_in": 3 * 86400})
    exp = jwt_expira_em(tok["access_token"])
    assert exp == datetime.fromtimestamp(tok["expires_at"], tz=timezone.utc)
    cred = Credenciais(EE, token=tok["access_token"])
    aviso = aviso_expiracao(cred)
    assert aviso and f"NISS {EE} expires on {exp:%Y-%m-%d}" in aviso and tok["access_token"] not in aviso
    longo = sandbox.admin("POST", "token", json={"niss": EE, "expires_in": 30 * 86400})["access_token"]
    assert aviso_expiracao(Credenciais(EE, token=longo)) is None
    assert "expired on" in aviso_expiracao(cred, agora=exp + timedelta(seconds=1))
    assert jwt_expira_em("opaque-token") is None and aviso_expiracao(Credenciais(EE, password="x")) is None
    assert jwt_expira_em("a.!!!.c") is None


# ------------------------------------------------------------------------------------------------- alerts etc.
def test_alerts_avisos_and_values_still_processing(sandbox):
    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 60})
    with cliente(sandbox, Credenciais(EE, password="sandbox")) as c:
        comp = c.enviar_valores_remuneracao(EE, {"anoMes": "202510", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
            {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "R", "remuneracao": Decimal("10.00"),
             "diasTrabalho": 0}]}]}).comprovativoEntrega
        pp = c.valores_comunicados_por_processar(EE, estado="EM_PROCESSAMENTO")
        assert comp in pp.semAlertas and comp not in pp.comAlertas  # still processing, no alert yet
        assert c.alertas(EE, ano_mes="202510") == []
        sandbox.admin("POST", "alertas", json={"comprovativoEntrega": comp, "nissTrabalhador": TRAB,
                                               "codigo": "SEM_VINCULO", "mensagem": "Trabalhador sem vínculo."})
        [alerta] = c.alertas(EE, ano_mes="202510")
        assert (alerta.comprovativoEntrega, alerta.codigo, str(alerta.nissTrabalhador)) == (comp, "SEM_VINCULO", TRAB)
        assert comp in c.valores_comunicados_por_processar(EE).comAlertas
        avisos = c.avisos(EE)
    [aviso] = [a for a in avisos if a.anoMes == "202510"]
    assert aviso.resumoAviso and "não foram considerados" in aviso.descricaoAviso
    assert aviso.texto.startswith(aviso.resumoAviso)


def test_tolerant_parsing_keeps_unknown_fields_and_reads_codigo_as_string():
    from ciclo.domain import jsonexato
    from ciclo.psi import models as M

    r = M.ConsultaPedidoEmissao.model_validate(jsonexato.loads(json.dumps(
        {"codigoResultado": "1", "novoCampo": {"x": 1}, "resultado": [{"numeroDocumentoPagamento": "9", "valor": 1.1,
                                                                      "referenciaDocumentoPagamento": {"pagamentoTesouraria": "S"}}]})))
    assert r.codigoResultado == 1 and r.model_extra["novoCampo"] == {"x": 1}
    assert r.resultado[0].valor == Decimal("1.1") and r.resultado[0].referenciaDocumentoPagamento.pagamentoTesouraria == "S"
    a = M.Aviso.model_validate({"resumoAviso": "R", "descricaoAviso": "D", "idAviso": 3})
    assert a.texto == "R — D" and a.model_extra == {"idAviso": 3}
