"""PSI sandbox over real HTTP on loopback: REST services (success and error paths), auth, apuramento."""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal

import httpx
import jwt
import pytest

from ciclo.domain.niss import completar

EE = "20000003116"
TRAB = "10000000001"
PWD = "sandbox"
REP = completar("2500000001")
EE_IND = completar("2000000010")
APURADO_EX = f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202509/trabalhador/{TRAB}"

SPEC_EXAMPLE = {
    "anoMes": "202509", "nissTrabalhador": 10000000001, "totalRemuneracao": 1600, "totalContribuicao": 556,
    "totalReducao": 0, "totalObrigacao": 556,
    "remuneracoes": [{"dataInicio": "2022-06-06", "dataFim": None, "natureza": "P", "remuneracao": 1600,
                      "diasTrabalho": 30.0, "origem": "SEGURANCA_SOCIAL", "diasInatividade": 0.0, "inatividades": []}],
    "contribuicoes": [{"dataInicio": "2022-06-06", "dataFim": None, "enquadramento": "Regime geral",
                       "valorCotizacao": 176.0, "taxaCotizacao": 11, "valorComplementarCotizacao": 0,
                       "taxaComplementarCotizacao": 0, "valorContribuicao": 380.0, "taxaContribuicao": 23.75,
                       "valorComplementarContribuicao": 0, "taxaComplementarContribuicao": 0, "obrigacao": 556.0}],
    "detalhesContribuicao": [
        {"natureza": "P", "enquadramento": "Regime geral", "motivo": "MENSAL", "tipo": "Contribuicao", "valor": 380.0,
         "valoresDataLimitePagamento": [{"valor": 380.0, "dataLimitePagamento": "2025-11-25"}]},
        {"natureza": "P", "enquadramento": "Regime geral", "motivo": "MENSAL", "tipo": "Cotizacao", "valor": 176.0,
         "valoresDataLimitePagamento": [{"valor": 176.0, "dataLimitePagamento": "2025-11-25"}]},
    ],
}


def D(r: httpx.Response):
    """Response JSON with exact decimals."""
    return json.loads(r.content, parse_float=Decimal)


def client(sb, niss=EE, pwd=PWD, token=None, **kw) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    auth = None if token or niss is None else (niss, pwd)
    return httpx.Client(base_url=sb.url, auth=auth, headers=headers, timeout=kw.pop("timeout", 10.0), **kw)


def seed_ee(sb, niss_ee, trabalhadores, representantes=None):
    sb.admin("POST", "seed", json={"entidades": [{"niss": niss_ee, "password": PWD, "trabalhadores": trabalhadores}],
                                   "representantes": representantes or []})


def trab(niss, base, inicio="2020-01-01", fim=None, enq="REGIME_GERAL", **extra):
    return {"niss-trabalhador": niss, "enquadramento": enq, "inicio-vinculo": inicio, "fim-vinculo": fim,
            "modalidade-contrato": "A", "prestacao-trabalho": "P", "inicio-contrato": inicio, "profissao": "41101",
            "remuneracao-base": base, "diuturnidades": extra.pop("diuturnidades", 0), **extra}


def wait_estado(c, ee, am, estado, timeout=8.0):
    fim = time.monotonic() + timeout
    seen = []
    while time.monotonic() < fim:
        e = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/mensal/ano-mes/{am}").json()["estado"]
        seen.append(e)
        if e == estado:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"estado {estado} not reached; seen {seen[-5:]}")


# ------------------------------------------------------------------------------------------ worked example
def test_health_and_spec_worked_example_exact(sandbox):
    assert httpx.get(f"{sandbox.url}/_sandbox/health").json() == {"status": "ok"}
    with client(sandbox) as c:
        r = c.get(APURADO_EX)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert D(r) == json.loads(json.dumps(SPEC_EXAMPLE), parse_float=Decimal)
    # field order as in the spec; amounts are JSON numbers, exact
    assert list(D(r)) == list(SPEC_EXAMPLE)
    assert b'"valorCotizacao":176.00' in r.content and b'"taxaContribuicao":23.75' in r.content


def test_spec_error_examples_and_empty(sandbox):
    with client(sandbox) as c:
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/2024111/trabalhador/{TRAB}")
        assert (r.status_code, r.json()) == (400, {"code": 400, "message": "Ano/mês não cumpre os requisitos da estrutura definida YYYYMM"})
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202513/trabalhador/{TRAB}")
        assert r.status_code == 400
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202509/trabalhador/1000000000")
        assert r.json() == {"code": 400, "message": "NISS trabalhador com formato inválido."}
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/2000000311/ano-mes/202509/trabalhador/{TRAB}")
        assert r.json() == {"code": 400, "message": "NISS entidade empregadora com formato inválido."}
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202508/trabalhador/{TRAB}")
        assert (r.status_code, r.json()) == (200, [])
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/anual/20X5")
        assert r.json() == {"code": 400, "message": "Ano não cumpre os requisitos da estrutura definida YYYY"}
        r = c.get("/ptss/rest/nao/existe")
        assert (r.status_code, r.json()) == (404, {"code": 404, "message": "Recurso não encontrado."})
        r = c.post(f"/ptss/rest/eeaoc/pedido/entidade-empregadora/{EE}", json={})  # Pedidos: tests/.../test_sandbox_pedidos.py
        assert (r.status_code, r.json()) == (400, {"code": 400, "message": "Motivo de pedido inválido: None"})
        r = c.get(f"/ptss/rest/eeaoc/ficheiros/entidade-empregadora/{EE}/download/x/y")
        assert r.status_code == 501


# ------------------------------------------------------------------------------------------ auth
def test_auth_basic_bearer_and_permissions(sandbox):
    url = f"{sandbox.url}{APURADO_EX}"
    r = httpx.get(url)
    assert r.status_code == 401 and r.json()["code"] == 401
    assert httpx.get(url, auth=(EE, "wrong")).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Basic !!!notbase64"}).status_code == 401
    assert httpx.get(url, auth=(EE, PWD)).status_code == 200
    # another EE may not act for this one
    r = httpx.get(url, auth=(EE_IND, PWD))
    assert r.status_code == 403 and r.json()["code"] == 403
    # the representative acts for every default EE
    assert httpx.get(url, auth=(REP, PWD)).status_code == 200
    # Bearer: valid, expired, wrong signature, garbage
    tok = sandbox.admin("POST", "token", json={"niss": EE})
    assert tok["token_type"] == "Bearer"
    assert httpx.get(url, headers={"Authorization": f"Bearer {tok['access_token']}"}).status_code == 200
    tok_rep = sandbox.admin("POST", "token", json={"niss": REP, "expires_in": 60})["access_token"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {tok_rep}"}).status_code == 200
    tok_other = sandbox.admin("POST", "token", json={"niss": EE_IND})["access_token"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {tok_other}"}).status_code == 403
    expired = sandbox.admin("POST", "token", json={"niss": EE, "expires_in": -10})["access_token"]
    r = httpx.get(url, headers={"Authorization": f"Bearer {expired}"})
    assert (r.status_code, r.json()["message"]) == (401, "Token expirado.")
    forged = jwt.encode({"sub": EE, "exp": int(time.time()) + 600}, "not-the-sandbox-secret-but-long-enough-for-hs256", algorithm="HS256")
    r = httpx.get(url, headers={"Authorization": f"Bearer {forged}"})
    assert (r.status_code, r.json()["message"]) == (401, "Token inválido.")
    assert httpx.get(url, headers={"Authorization": "Bearer abc.def.ghi"}).status_code == 401
    # unknown NISS cannot get a token
    r = httpx.post(f"{sandbox.url}/_sandbox/token", json={"niss": "19999999999"})
    assert r.status_code == 400
    # 401 comes before the format 400
    r = httpx.get(f"{sandbox.url}/ptss/rest/eeaoc/avisos/123")
    assert r.status_code == 401
    # every REST route is protected
    for path in [f"/ptss/rest/eeaoc/avisos/{EE}", f"/ptss/rest/eeaoc/entidade-empregadora/{EE}/ano-mes/202509/trabalhador",
                 f"/ptss/rest/ci/comprovativos-pagamento/2025?niss-representado={EE}"]:
        assert httpx.get(f"{sandbox.url}{path}").status_code == 401
        assert httpx.get(f"{sandbox.url}{path}", auth=(EE_IND, PWD)).status_code == 403


# ------------------------------------------------------------------------------------------ submissions and apuramento
def test_submission_apuramento_after_delay_and_comunicados(sandbox):
    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 1.0})
    stranger = completar("1777777777")
    body = {"anoMes": "202509", "trabalhadores": [
        {"nissTrabalhador": TRAB, "remuneracoes": [
            {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": 132.00, "diasTrabalho": 22}],
         "inatividades": []},
        {"nissTrabalhador": stranger, "remuneracoes": [
            {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "B", "remuneracao": 50, "diasTrabalho": 0}]},
    ]}
    with client(sandbox) as c:
        antes = time.time()
        r = c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json=body)
        assert r.status_code == 200, r.text
        comp = r.json()["comprovativoEntrega"]
        assert len(comp) == 36
        base = f"/ptss/rest/eeaoc/valores-comunicados/entidade-empregadora/{EE}"
        assert c.get(base, params={"estado": "EM_PROCESSAMENTO"}).json() == {"semAlertas": [], "comAlertas": [comp]}
        seen = wait_estado(c, EE, "202509", "APURADO")
        assert seen[0] == "EM_APURAMENTO"
        # when the apuramento was answered, to the millisecond (bench/cycle.py measures from it): past its due time
        import sqlite3

        db = sqlite3.connect(f"file:{sandbox.state}?mode=ro", uri=True)
        try:
            [(disponivel,)] = db.execute("SELECT disponivel_em FROM apuramentos WHERE niss_ee=? AND ano_mes='202509'",
                                         (EE,)).fetchall()
        finally:
            db.close()
        assert antes + 1.0 <= disponivel <= time.time()
        assert c.get(base, params={"estado": "EM_PROCESSAMENTO"}).json() == {"semAlertas": [], "comAlertas": []}
        assert c.get(base, params={"estado": "PROCESSADO"}).json() == {"semAlertas": [], "comAlertas": [comp]}
        assert c.get(base, params={"estado": "XPTO"}).status_code == 400
        lst = c.get(f"{base}/comprovativo").json()
        assert [x["comprovativoEntrega"] for x in lst] == [comp] and lst[0]["numeroTrabalhadores"] == 2
        assert lst[0]["estado"] == "PROCESSADO" and lst[0]["comAlertas"] is True
        one = D(c.get(f"{base}/comprovativo/{comp}"))
        assert one["trabalhadores"][0]["remuneracoes"][0]["remuneracao"] == Decimal("132.00")
        r = c.get(f"{base}/comprovativo/00000000-0000-0000-0000-000000000000")
        assert r.json() == {"code": 404, "message": "Comprovativo de entrega não encontrado."}
        al = c.get(f"{base}/alertas", params={"anoMes": "202509"}).json()
        assert [(a["nissTrabalhador"], a["codigo"]) for a in al] == [(int(stranger), "SEM_VINCULO")]
        # the worker now has P (SS) + R (EE); contributions on the total 1732.00
        w = D(c.get(APURADO_EX))
        assert [(x["natureza"], x["origem"], x["remuneracao"]) for x in w["remuneracoes"]] == [
            ("P", "SEGURANCA_SOCIAL", Decimal("1600.00")), ("R", "ENTIDADE_EMPREGADORA", Decimal("132.00"))]
        assert w["totalRemuneracao"] == Decimal("1732.00")
        assert w["contribuicoes"][0]["valorCotizacao"] == Decimal("190.52")  # 1732 × 11 %
        assert w["contribuicoes"][0]["valorContribuicao"] == Decimal("411.35")  # 1732 × 23.75 % = 411.35
        assert w["totalContribuicao"] == Decimal("601.87") == w["totalObrigacao"]
        # engine computes the statutory deadline for re-apurados months
        assert {v["dataLimitePagamento"] for d in w["detalhesContribuicao"] for v in d["valoresDataLimitePagamento"]} == {"2025-10-25"}
        dets = {(d["natureza"], d["tipo"]): d["valor"] for d in w["detalhesContribuicao"]}
        assert dets[("P", "Contribuicao")] + dets[("R", "Contribuicao")] == Decimal("411.35")
        assert dets[("P", "Cotizacao")] + dets[("R", "Cotizacao")] == Decimal("190.52")
        # the stranger was not integrated
        r = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202509/trabalhador/{stranger}")
        assert r.json() == []
        m = D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/202509"))
        assert m["estado"] == "APURADO" and m["totalObrigacao"] == Decimal("601.87") and m["numeroTrabalhadores"] == 1
        assert m["dataLimitePagamento"] == "2025-10-25"
        lst = D(c.get(f"/ptss/rest/eeaoc/entidade-empregadora/{EE}/ano-mes/202509/trabalhador"))
        assert lst == [{"nissTrabalhador": 10000000001, "totalRemuneracao": Decimal("1732.00"), "totalContribuicao": Decimal("601.87"),
                        "totalReducao": Decimal("0.00"), "totalObrigacao": Decimal("601.87")}]
        an = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/anual/2025").json()
        assert [x["anoMes"] for x in an] == ["202509"]
    subs = sandbox.admin("GET", "submissions")
    assert [s["comprovativoEntrega"] for s in subs] == [comp]
    assert subs[0]["payload"]["trabalhadores"][0]["nissTrabalhador"] == TRAB


@pytest.mark.parametrize("body,msg", [
    (b"{not json", "Corpo do pedido inválido: "),
    (b"", "Corpo do pedido inválido: corpo vazio"),
    (b"[1, 2]", "Corpo do pedido inválido: é esperado um objeto JSON"),
    ({"anoMes": "2025-09", "trabalhadores": []}, "Ano/mês não cumpre os requisitos da estrutura definida YYYYMM"),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": "123"}]}, "NISS trabalhador com formato inválido."),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "Z", "remuneracao": 1, "diasTrabalho": 1}]}]},
     "Natureza de remuneração inválida: Z"),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": 1.005, "diasTrabalho": 1}]}]},
     "Valor de remuneração inválido: 1.005"),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": -1, "diasTrabalho": 1}]}]},
     "Valor de remuneração inválido: -1"),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": "2025-08-31", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": 1, "diasTrabalho": 1}]}]},
     "Período fora do ano/mês de referência: 2025-08-31..2025-09-30"),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": 1, "diasTrabalho": 31}]}]},
     "Dias de trabalho inválidos: 31"),
    ({"anoMes": "202509", "trabalhadores": [{"nissTrabalhador": TRAB, "inatividades": [
        {"dataInicio": "2025-09-01", "dataFim": "2025-09-02", "motivo": "FERIAS_NA_PRAIA"}]}]},
     "Motivo de inatividade inválido: FERIAS_NA_PRAIA"),
])
def test_submission_validation_400(sandbox, body, msg):
    with client(sandbox) as c:
        kw = {"content": body} if isinstance(body, bytes) else {"json": body}
        r = c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", headers={"Content-Type": "application/json"}, **kw)
    assert r.status_code == 400
    j = r.json()
    assert j["code"] == 400 and j["message"].startswith(msg), j
    assert "Traceback" not in r.text
    assert sandbox.admin("GET", "submissions") == []


def test_partial_month_inactivity_and_rates(sandbox):
    ee = completar("2123456780")
    admitido, doente, moe, cessado = (completar(f"11111111{i:02d}") for i in range(1, 5))
    seed_ee(sandbox, ee, [
        trab(admitido, 1500, inicio="2025-09-06"),
        trab(doente, 1800, diuturnidades=60),
        trab(moe, 3000, enq="MOE"),
        trab(cessado, 900, fim="2025-09-10"),
    ])
    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 0.3})
    with client(sandbox, niss=ee) as c:
        r = c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{ee}", json={"anoMes": "202509", "trabalhadores": [
            {"nissTrabalhador": doente, "remuneracoes": [], "inatividades": [
                {"dataInicio": "2025-09-10", "dataFim": "2025-09-12", "motivo": "DOENCA"}]}]})
        assert r.status_code == 200
        wait_estado(c, ee, "202509", "APURADO")

        def get(n):
            return D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/202509/trabalhador/{n}"))
        a = get(admitido)  # 25 days (6..30 Sep): 1500 / 30 × 25 = 1250.00
        p = a["remuneracoes"][0]
        assert (p["remuneracao"], p["diasTrabalho"], p["dataInicio"], p["dataFim"]) == (Decimal("1250.00"), Decimal("30.0") - 5, "2025-09-06", None)
        assert a["contribuicoes"][0]["valorContribuicao"] == Decimal("296.88")  # 296.875 half-up
        assert a["contribuicoes"][0]["valorCotizacao"] == Decimal("137.50")
        d = get(doente)  # (1800 + 60) / 30 × 27 = 1674.00, 3 days of inactivity
        p = d["remuneracoes"][0]
        assert (p["remuneracao"], p["diasTrabalho"], p["diasInatividade"]) == (Decimal("1674.00"), Decimal("27.0"), Decimal("3.0"))
        assert p["inatividades"] == [{"dataInicio": "2025-09-10", "dataFim": "2025-09-12", "motivo": "DOENCA"}]
        m = get(moe)
        ct = m["contribuicoes"][0]
        assert (ct["enquadramento"], ct["taxaContribuicao"], ct["taxaCotizacao"]) == ("Membros de órgãos estatutários", Decimal("20.3"), Decimal("9.3"))
        assert (ct["valorContribuicao"], ct["valorCotizacao"], m["totalObrigacao"]) == (Decimal("609.00"), Decimal("279.00"), Decimal("888.00"))
        x = get(cessado)  # 1..10 Sep: 900 / 30 × 10 = 300.00; dataFim = cessation
        assert (x["remuneracoes"][0]["remuneracao"], x["remuneracoes"][0]["dataFim"]) == (Decimal("300.00"), "2025-09-10")
        assert x["contribuicoes"][0]["dataFim"] == "2025-09-10"
        # October: the ceased worker is gone, the others are full months
        sandbox.admin("POST", f"apuramento/{ee}/202510")
        assert c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/202510/trabalhador/{cessado}").json() == []
        assert get(admitido)["totalRemuneracao"] == Decimal("1250.00")  # September unchanged
        oct_ = D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/202510/trabalhador/{admitido}"))
        assert oct_["totalRemuneracao"] == Decimal("1500.00")
        assert oct_["detalhesContribuicao"][0]["valoresDataLimitePagamento"][0]["dataLimitePagamento"] == "2025-11-25"


def test_days_exceeded_alert_and_declared_p_for_hourly_work(sandbox):
    with client(sandbox) as c:
        r = c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json={"anoMes": "202510", "trabalhadores": [
            {"nissTrabalhador": TRAB, "remuneracoes": [
                {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "S", "remuneracao": 100, "diasTrabalho": 20},
                {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "S", "remuneracao": 100, "diasTrabalho": 20},
                {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "P", "remuneracao": 1600, "diasTrabalho": 30}]}]})
        assert r.status_code == 200
        codes = {a["codigo"] for a in c.get(f"/ptss/rest/eeaoc/valores-comunicados/entidade-empregadora/{EE}/alertas").json()}
        assert codes == {"DIAS_EXCEDIDOS"}
        sandbox.admin("POST", f"apuramento/{EE}/202510")
        w = D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202510/trabalhador/{TRAB}"))
        s_days = [x["diasTrabalho"] for x in w["remuneracoes"] if x["natureza"] == "S"]
        assert s_days == [Decimal("20.0"), Decimal("10.0")]  # capped at 30
        # a declared P (hourly work, Art. 16 n.º 5) replaces the contract-derived one
        p_lines = [x for x in w["remuneracoes"] if x["natureza"] == "P"]
        assert [(x["remuneracao"], x["origem"]) for x in p_lines] == [(Decimal("1600"), "ENTIDADE_EMPREGADORA")]
        assert w["totalRemuneracao"] == Decimal("1800.00")  # the declared P (1600) plus S (200): no double P


def test_later_submission_replaces_worker_values(sandbox):
    with client(sandbox) as c:
        for valor in (100, 250):
            assert c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json={"anoMes": "202510", "trabalhadores": [
                {"nissTrabalhador": int(TRAB), "remuneracoes": [
                    {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "B", "remuneracao": valor, "diasTrabalho": 0}]}]}).status_code == 200
        m = D(c.post(f"{sandbox.url}/_sandbox/apuramento/{EE}/202510"))
        assert m["estado"] == "APURADO" and m["totalRemuneracao"] == Decimal("1850.00")


# ------------------------------------------------------------------------------------------ confirmar, avisos
def test_confirmar_idempotent_and_errors(sandbox):
    with client(sandbox) as c:
        url = f"/ptss/rest/eeaoc/obrigacao-contributiva/entidade-empregadora/{EE}/confirmar"
        r = c.post(url, json={"anoMes": "202401"})
        assert r.json() == {"code": 400, "message": "Não existem valores apurados para o ano/mês indicado."}
        assert c.post(url, json={"anoMes": "2024"}).json()["message"] == "Ano/mês não cumpre os requisitos da estrutura definida YYYYMM"
        assert c.post(url, content=b"{oops", headers={"Content-Type": "application/json"}).status_code == 400
        av = c.get(f"/ptss/rest/eeaoc/avisos/{EE}").json()
        assert [(a["anoMes"], a["tipo"]) for a in av] == [("202509", "PRAZO")]
        r1 = c.post(url, json={"anoMes": "202509"}).json()
        assert r1["confirmado"] is True and r1["jaConfirmado"] is False
        r2 = c.post(url, json={"anoMes": "202509"}).json()
        assert r2["jaConfirmado"] is True and r2["dataConfirmacao"] == r1["dataConfirmacao"]
        assert c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/202509").json()["estado"] == "CONFIRMADO"
        assert c.get(f"/ptss/rest/eeaoc/avisos/{EE}").json() == []
        # values still processing
        sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 60})
        c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json={"anoMes": "202509", "trabalhadores": []})
        r = c.post(url, json={"anoMes": "202509"})
        assert r.json() == {"code": 400, "message": "Existem valores comunicados em processamento para o ano/mês indicado."}
        assert c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/202509").json()["estado"] == "EM_APURAMENTO"
        m = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/203001").json()
        assert m["estado"] == "SEM_VALORES" and m["dataLimitePagamento"] is None


# payment documents: tests/integration/sandbox/test_sandbox_ci.py


# ------------------------------------------------------------------------------------------ admin API
def test_seed_bulk_10000_workers_fast(sandbox):
    ee = completar("2345678900")
    ts = [trab(completar(f"13{i:08d}"), 1000 + i % 500) for i in range(10000)]
    t0 = time.perf_counter()
    out = sandbox.admin("POST", "seed", json={"entidades": [{"niss": ee, "password": "x", "trabalhadores": ts}]})
    took = time.perf_counter() - t0
    assert out["trabalhadores"] == 10000
    assert took < 10, took
    m = sandbox.admin("POST", f"apuramento/{ee}/202510")
    assert m["numeroTrabalhadores"] == 10000
    r = httpx.get(f"{sandbox.url}/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/202510/trabalhador/{ts[7]['niss-trabalhador']}",
                  auth=(ee, "x"))
    assert D(r)["totalRemuneracao"] == Decimal("1007.00")


def test_seed_validation_and_reset_restores_defaults(sandbox):
    r = httpx.post(f"{sandbox.url}/_sandbox/seed", json={"entidades": [{"niss": "123", "trabalhadores": []}]})
    assert r.status_code == 400 and r.json()["code"] == 400
    r = httpx.post(f"{sandbox.url}/_sandbox/seed", json={"entidades": [{"niss": EE, "trabalhadores": [trab(TRAB, 1, enq="NAO_EXISTE")]}]})
    assert r.status_code == 400 and "Enquadramento" in r.json()["message"]
    r = httpx.post(f"{sandbox.url}/_sandbox/seed", content=b"{x", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"].startswith("Corpo do pedido inválido")
    seed_ee(sandbox, EE, [trab(TRAB, 9999)])
    sandbox.admin("POST", f"apuramento/{EE}/202509")
    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 42})
    sandbox.reset()
    assert sandbox.admin("GET", "config")["apuramento_delay_seconds"] == 3.0
    r = httpx.get(f"{sandbox.url}{APURADO_EX}", auth=(EE, PWD))
    assert D(r) == json.loads(json.dumps(SPEC_EXAMPLE), parse_float=Decimal)
    # default EEs have a few hundred workers with valid NISS
    m = sandbox.admin("POST", f"apuramento/{EE_IND}/202509")
    assert m["numeroTrabalhadores"] >= 250 and m["estado"] == "APURADO"
    from ciclo.domain.niss import niss_valido
    lst = httpx.get(f"{sandbox.url}/ptss/rest/eeaoc/entidade-empregadora/{EE_IND}/ano-mes/202509/trabalhador", auth=(REP, PWD)).json()
    assert lst and all(niss_valido(str(x["nissTrabalhador"])) for x in lst)
    enqs = set()
    for x in lst[:120]:
        w = httpx.get(f"{sandbox.url}/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE_IND}/ano-mes/202509/trabalhador/{x['nissTrabalhador']}",
                      auth=(REP, PWD)).json()
        enqs |= {ct["enquadramento"] for ct in w["contribuicoes"]}
    assert len(enqs) >= 3


def test_requests_log(sandbox):
    with client(sandbox) as c:
        c.get(APURADO_EX)
        c.get(f"/ptss/rest/eeaoc/avisos/{EE}")
        c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json={"anoMes": "2025", "trabalhadores": []})
    httpx.get(f"{sandbox.url}{APURADO_EX}")
    log = sandbox.admin("GET", "requests")
    assert [(x["method"], x["status"], x["niss"]) for x in log] == [("GET", 200, EE), ("GET", 200, EE), ("POST", 400, EE), ("GET", 401, None)]
    assert all(x["duration_ms"] >= 0 and x["time"] for x in log)
    only = sandbox.admin("GET", "requests", params={"method": "POST"})
    assert len(only) == 1 and only[0]["path"].endswith(EE)
    assert len(sandbox.admin("GET", "requests", params={"path_contains": "/avisos/"})) == 1
    sandbox.reset()
    assert sandbox.admin("GET", "requests") == []
