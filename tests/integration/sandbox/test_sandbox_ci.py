"""The sandbox's payment-document services (``/ptss/rest/ci``), alerts and avisos over real HTTP, one test per row
of issue 12's evidence table (docs/psi-contract.md §ci, PUBLIC-CLIENT)."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import httpx
import pytest

from ciclo.domain.niss import completar

EE = "20000003116"          # the spec's example EE: 202509 apurado, obligation 556.00
EE_IND = completar("2000000010")  # a default EE with nothing apurado
REP = completar("2500000001")     # the default representative (represents every default EE)
PWD = "sandbox"
CI = "/ptss/rest/ci"
PE = f"{CI}/documento-pagamento/pedido-emissao"


def D(r: httpx.Response):
    return json.loads(r.content, parse_float=Decimal)


def client(sb, niss=EE) -> httpx.Client:
    return httpx.Client(base_url=sb.url, auth=(niss, PWD), timeout=10.0)


def poll(c, chave, params=None, timeout=6.0) -> dict:
    fim = time.monotonic() + timeout
    while time.monotonic() < fim:
        r = D(c.get(f"{CI}/documento-pagamento/consulta-pedido/{chave}", params=params))
        if r["codigoResultado"] != 10:
            return r
        time.sleep(0.05)
    raise AssertionError("still processing (10)")


@pytest.fixture
def lento(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.5})
    return sandbox


def test_emission_body_is_ambito_only_and_answers_1_10_11_with_the_same_chave(lento):
    with client(lento) as c:
        r1 = c.post(PE, json={"ambito": 11}).json()
        assert r1["codigoResultado"] == 1 and r1["chave"] and r1["mensagem"]
        r2 = c.post(PE, json={"ambito": 11}).json()
        assert (r2["codigoResultado"], r2["chave"]) == (10, r1["chave"])  # never a second request while processing
        assert c.get(f"{CI}/documento-pagamento/consulta-pedido/{r1['chave']}").json()["codigoResultado"] == 10
        assert poll(c, r1["chave"])["codigoResultado"] == 1
        r3 = c.post(PE, json={"ambito": 11}).json()
        assert (r3["codigoResultado"], r3["chave"]) == (11, r1["chave"])  # a valid answer exists
        assert c.post(PE, json={"ambito": 21}).json() == {"code": 400, "message": "Âmbito inválido: 21"}


def test_poll_by_path_success_carries_the_documents_in_resultado(sandbox):
    with client(sandbox) as c:
        chave = c.post(PE, json={"ambito": 11}).json()["chave"]
        r = poll(c, chave)
    [doc] = r["resultado"]
    assert doc["valor"] == Decimal("556.00") and doc["anoMes"] == "202509"
    ref = doc["referenciaDocumentoPagamento"]
    assert set(ref) == {"pagamentoMultibanco", "pagamentoTransferenciaBancaria", "pagamentoTesouraria", "pagamentoDebitoDireto"}
    assert ref["pagamentoMultibanco"]["entidadeMultibanco"] and len(ref["pagamentoMultibanco"]["referenciaMultibanco"]) == 9
    assert set(ref["pagamentoTransferenciaBancaria"]) == {"iban", "swift"}
    assert ref["pagamentoDebitoDireto"] is None


def test_poll_15_nothing_to_pay_13_unknown_key_14_expired(sandbox):
    with client(sandbox, EE_IND) as c:
        chave = c.post(PE, json={"ambito": 11}).json()["chave"]
        assert poll(c, chave)["codigoResultado"] == 15  # processed, nothing to pay
        r = c.get(f"{CI}/documento-pagamento/consulta-pedido/nao-existe")
        assert (r.status_code, r.json()["codigoResultado"]) == (404, 13)
    with client(sandbox) as c:
        # another employer's key reads as unknown
        r = c.get(f"{CI}/documento-pagamento/consulta-pedido/{chave}")
        assert (r.status_code, r.json()["codigoResultado"]) == (404, 13)
        mine = c.post(PE, json={"ambito": 11}).json()["chave"]
        assert poll(c, mine)["codigoResultado"] == 1
        sandbox.admin("POST", f"pedidos-emissao/{mine}/expirar")
        assert c.get(f"{CI}/documento-pagamento/consulta-pedido/{mine}").json()["codigoResultado"] == 14


def test_listing_takes_only_niss_representado_and_answers_4_when_empty(sandbox):
    with client(sandbox, EE_IND) as c:
        r = c.get(f"{CI}/documento-pagamento/consulta")
        assert (r.status_code, r.json()["codigoResultado"]) == (400, 4)  # "no results", as seen in production
    with client(sandbox) as c:
        poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])
        [doc] = D(c.get(f"{CI}/documento-pagamento/consulta"))
    with client(sandbox, REP) as c:  # the representative names the employer
        assert D(c.get(f"{CI}/documento-pagamento/consulta", params={"niss-representado": EE})) == [doc]


def test_receipts_by_year_of_payment_after_a_simulated_payment(sandbox):
    with client(sandbox) as c:
        r = c.get(f"{CI}/comprovativos-pagamento/2026")
        assert (r.status_code, r.json()) == (400, {"codigoResultado": "4"})  # a string, HTTP 400: the live quirk
        [doc] = poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])["resultado"]
        sandbox.admin("POST", "pagamentos", json={"numeroDocumentoPagamento": doc["numeroDocumentoPagamento"],
                                                  "dataPagamento": "2026-01-10"})
        assert D(c.get(f"{CI}/comprovativos-pagamento/2026")) == [
            {"numeroDocumentoPagamento": doc["numeroDocumentoPagamento"], "dataPagamento": "2026-01-10", "valor": Decimal("556.00")}]
        assert c.get(f"{CI}/comprovativos-pagamento/2025").json() == {"codigoResultado": "4"}
        assert c.get(f"{CI}/comprovativos-pagamento/26").json()["message"] == "Ano não cumpre os requisitos da estrutura definida YYYY"
        # a paid month is not emitted again: nothing left to pay
        assert poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])["codigoResultado"] == 15


def test_cancel_is_a_put_by_identifier_with_codes_1_17_7(sandbox):
    with client(sandbox) as c:
        [doc] = poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])["resultado"]
        numero = doc["numeroDocumentoPagamento"]
        r = c.put(f"{CI}/documento-pagamento/abc")
        assert (r.status_code, r.json()["codigoResultado"]) == (400, 17)  # technically invalid identifier
    with client(sandbox, EE_IND) as c:
        r = c.put(f"{CI}/documento-pagamento/{numero}")
        assert (r.status_code, r.json()["codigoResultado"]) == (403, 7)  # no valid representation
    with client(sandbox) as c:
        r = c.put(f"{CI}/documento-pagamento/{numero}")
        assert (r.status_code, r.json()["codigoResultado"]) == (200, 1)
        r = c.put(f"{CI}/documento-pagamento/{numero}")
        assert (r.status_code, r.json()["codigoResultado"]) == (200, 17)  # already cancelled
        assert c.get(f"{CI}/documento-pagamento/consulta").json()["codigoResultado"] == 4
        # the cancelled month can be emitted again
        assert len(poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])["resultado"]) == 1


def test_representative_acts_with_niss_representado_and_gets_403_for_an_employer_not_represented(sandbox):
    outro = completar("2234567000")
    sandbox.admin("POST", "seed", json={"entidades": [{"niss": outro, "password": PWD, "trabalhadores": []}]})
    with client(sandbox, REP) as c:
        r = c.post(PE, params={"niss-representado": EE}, json={"ambito": 11}).json()
        assert r["codigoResultado"] == 1
        assert poll(c, r["chave"], params={"niss-representado": EE})["codigoResultado"] == 1
        r = c.post(PE, params={"niss-representado": outro}, json={"ambito": 11})
        assert (r.status_code, r.json()["codigoResultado"]) == (403, 7)
        assert c.get(f"/ptss/rest/eeaoc/avisos/{outro}").status_code == 403  # eeaoc: the EE's NISS in the path
        assert c.get(f"/ptss/rest/eeaoc/avisos/{EE}").status_code == 200
        assert c.get(f"{CI}/comprovativos-pagamento/2026", params={"niss-representado": "123"}).json()["codigoResultado"] == 8


def test_multibanco_unavailable_above_99999_99_and_direct_debit_documents(sandbox):
    ee = completar("2234567890")
    ricos = [{"niss-trabalhador": completar(f"12222222{i:02d}"), "enquadramento": "REGIME_GERAL", "inicio-vinculo": "2020-01-01",
              "modalidade-contrato": "A", "prestacao-trabalho": "P", "inicio-contrato": "2020-01-01", "profissao": "41101",
              "remuneracao-base": 200000} for i in range(1, 3)]
    sandbox.admin("POST", "seed", json={"entidades": [{"niss": ee, "password": PWD, "trabalhadores": ricos}]})
    assert sandbox.admin("POST", f"apuramento/{ee}/202509")["estado"] == "APURADO"
    with client(sandbox, ee) as c:
        [doc] = poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])["resultado"]
    assert doc["valor"] == Decimal("139000.00")  # 400,000 × 34.75 %
    ref = doc["referenciaDocumentoPagamento"]
    assert ref["pagamentoMultibanco"] is None and ref["pagamentoTransferenciaBancaria"]["iban"].startswith("PT50")

    sandbox.admin("PUT", f"debito-direto/{EE}", json={"numeroAutorizacao": "ADC-778899"})
    with client(sandbox) as c:
        [doc] = poll(c, c.post(PE, json={"ambito": 11}).json()["chave"])["resultado"]
    assert doc["referenciaDocumentoPagamento"]["pagamentoDebitoDireto"] == {"numeroAutorizacao": "ADC-778899"}


def test_admin_raises_an_alert_on_a_submission_and_avisos_carry_resumo_and_descricao(sandbox):
    trab = "10000000001"
    with client(sandbox) as c:
        comp = c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json={
            "anoMes": "202510", "trabalhadores": [{"nissTrabalhador": trab, "remuneracoes": [
                {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "R", "remuneracao": 10, "diasTrabalho": 0}]}]}
        ).json()["comprovativoEntrega"]
        sandbox.admin("POST", "alertas", json={"comprovativoEntrega": comp, "nissTrabalhador": trab,
                                               "codigo": "DIAS_EXCEDIDOS", "mensagem": "Dias declarados excedem 30."})
        base = f"/ptss/rest/eeaoc/valores-comunicados/entidade-empregadora/{EE}"
        assert c.get(f"{base}/alertas", params={"anoMes": "202510"}).json() == [
            {"comprovativoEntrega": comp, "anoMes": "202510", "nissTrabalhador": int(trab), "codigo": "DIAS_EXCEDIDOS",
             "mensagem": "Dias declarados excedem 30."}]
        assert comp in c.get(base).json()["comAlertas"]
        avisos = c.get(f"/ptss/rest/eeaoc/avisos/{EE}").json()
    [alerta] = [a for a in avisos if a.get("anoMes") == "202510"]
    assert alerta["resumoAviso"] == "Alertas nos valores comunicados de 202510"
    assert "não foram considerados" in alerta["descricaoAviso"]
    r = httpx.post(f"{sandbox.url}/_sandbox/alertas", json={"comprovativoEntrega": "nope", "nissTrabalhador": trab})
    assert r.status_code == 404
