"""PSI payload models: the spec's worked example parsed exactly, Decimal in and out, ASSUMED request constraints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pydantic
import pytest

from ciclo.domain import jsonexato
from ciclo.psi import models as M
from ciclo.psi.models.valores_remuneracao import ValoresRemuneracao

# specs/consultar-valores-apurados-trabalhador.txt §2.2.5, "Response HTTP 200 OK" — the spec prints it with
# missing commas and a stray bracket; these are its values, field by field, as well-formed JSON.
EXEMPLO_SPEC = b"""{
  "anoMes": "202509", "nissTrabalhador": 10000000001,
  "totalRemuneracao": 1600, "totalContribuicao": 556, "totalReducao": 0, "totalObrigacao": 556,
  "remuneracoes": [{"dataInicio": "2022-06-06", "dataFim": null, "natureza": "P", "remuneracao": 1600,
                    "diasTrabalho": 30.0, "origem": "SEGURANCA_SOCIAL", "diasInatividade": 0.0, "inatividades": []}],
  "contribuicoes": [{"dataInicio": "2022-06-06", "dataFim": null, "enquadramento": "Regime geral",
                     "valorCotizacao": 176.0, "taxaCotizacao": 11, "valorComplementarCotizacao": 0,
                     "taxaComplementarCotizacao": 0, "valorContribuicao": 380.0, "taxaContribuicao": 23.75,
                     "valorComplementarContribuicao": 0, "taxaComplementarContribuicao": 0, "obrigacao": 556.0}],
  "detalhesContribuicao": [
    {"natureza": "P", "enquadramento": "Regime geral", "motivo": "MENSAL", "tipo": "Contribuicao", "valor": 380.0,
     "valoresDataLimitePagamento": [{"valor": 380.0, "dataLimitePagamento": "2025-11-25"}]},
    {"natureza": "P", "enquadramento": "Regime geral", "motivo": "MENSAL", "tipo": "Cotizacao", "valor": 176.0,
     "valoresDataLimitePagamento": [{"valor": 176.0, "dataLimitePagamento": "2025-11-25"}]}]
}"""


def test_spec_worked_example_parses_exactly():
    v = M.ValoresApuradosTrabalhador.model_validate(jsonexato.loads(EXEMPLO_SPEC))
    assert v.anoMes == "202509" and v.nissTrabalhador == 10000000001 and isinstance(v.nissTrabalhador, int)
    assert (v.totalRemuneracao, v.totalContribuicao, v.totalReducao, v.totalObrigacao) == (1600, 556, 0, 556)
    [r] = v.remuneracoes
    assert (r.dataInicio, r.dataFim, r.natureza, r.remuneracao) == (date(2022, 6, 6), None, "P", Decimal("1600"))
    assert r.diasTrabalho == Decimal("30.0") and r.origem == "SEGURANCA_SOCIAL" and r.inatividades == []
    [c] = v.contribuicoes
    assert c.enquadramento == "Regime geral"
    assert (c.taxaCotizacao, c.valorCotizacao, c.taxaContribuicao, c.valorContribuicao, c.obrigacao) == \
        (Decimal("11"), Decimal("176.0"), Decimal("23.75"), Decimal("380.0"), Decimal("556.0"))
    assert c.valorCotizacao + c.valorContribuicao == c.obrigacao == v.totalObrigacao
    assert [(d.tipo, d.valor, d.valoresDataLimitePagamento[0].dataLimitePagamento) for d in v.detalhesContribuicao] == \
        [("Contribuicao", Decimal("380.0"), date(2025, 11, 25)), ("Cotizacao", Decimal("176.0"), date(2025, 11, 25))]


def test_amounts_are_decimal_never_float():
    v = M.ValoresApuradosTrabalhador.model_validate(jsonexato.loads(EXEMPLO_SPEC))
    for x in (v.totalObrigacao, v.contribuicoes[0].taxaContribuicao, v.detalhesContribuicao[0].valor):
        assert type(x) is Decimal
    # values that float cannot hold stay exact through parse → model → wire
    doc = jsonexato.loads(b'{"anoMes": "202509", "nissTrabalhador": 10000000001, "totalRemuneracao": 0.10,'
                          b' "totalContribuicao": 0.20, "totalReducao": 0, "totalObrigacao": 12345678901234.37}')
    v = M.ValoresApuradosTrabalhador.model_validate(doc)
    assert v.totalRemuneracao + v.totalContribuicao == Decimal("0.30")
    assert str(v.totalObrigacao) == "12345678901234.37"
    assert '"totalObrigacao":12345678901234.37' in v.json_exato()
    assert '"totalRemuneracao":0.10' in v.json_exato()  # trailing zero kept, a number not a string


def test_unknown_fields_are_kept_and_nothing_apurado_is_not_a_model():
    doc = jsonexato.loads(EXEMPLO_SPEC)
    doc["campoNovo"] = 1.5
    v = M.ValoresApuradosTrabalhador.model_validate(doc)
    assert v.model_extra == {"campoNovo": Decimal("1.5")}
    with pytest.raises(pydantic.ValidationError):
        M.ValoresApuradosTrabalhador.model_validate([])  # "200 []": the client maps it to None first


def test_request_body_serialises_decimals_exactly_as_numbers():
    body = ValoresRemuneracao.model_validate({"anoMes": "202509", "trabalhadores": [
        {"nissTrabalhador": 12345678910, "remuneracoes": [
            {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": Decimal("132.00"),
             "diasTrabalho": 22}],
         "inatividades": [{"dataInicio": "2025-09-10", "dataFim": "2025-09-12", "motivo": "DOENCA"}]}]})
    wire = body.json_exato()
    assert '"remuneracao":132.00' in wire and '"nissTrabalhador":"12345678910"' in wire
    assert '"dataInicio":"2025-09-01"' in wire and '"diasTrabalho":22' in wire
    assert jsonexato.loads(wire)["trabalhadores"][0]["remuneracoes"][0]["remuneracao"] == Decimal("132.00")


@pytest.mark.parametrize("campo,valor", [("remuneracao", Decimal("10.005")), ("remuneracao", Decimal("-1.00")),
                                         ("diasTrabalho", 31), ("nissTrabalhador", "1234567891")])
def test_request_model_refuses_what_the_wire_refuses(campo, valor):
    linha = {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": Decimal("1.00")}
    trab = {"nissTrabalhador": "12345678910", "remuneracoes": [linha]}
    (trab if campo == "nissTrabalhador" else linha)[campo] = valor
    with pytest.raises(pydantic.ValidationError):
        ValoresRemuneracao.model_validate({"anoMes": "202509", "trabalhadores": [trab]})


def test_payment_document_nullable_references():
    doc = M.DocumentoPagamento.model_validate(jsonexato.loads(
        b'{"tipo": "DP", "subtipo": "CONTRIBUICOES", "numeroDocumentoPagamento": "100200300", "dataValidade": "2025-10-25",'
        b' "valor": 123456.78, "referenciaDocumentoPagamento": {"pagamentoMultibanco": null,'
        b' "pagamentoTransferenciaBancaria": {"iban": "PT50000000000000000000000"}, "pagamentoDebitoDireto": null}}'))
    assert doc.valor == Decimal("123456.78") and doc.referenciaDocumentoPagamento.pagamentoMultibanco is None
    assert doc.referenciaDocumentoPagamento.pagamentoTransferenciaBancaria.iban.startswith("PT50")


def test_assumed_models_are_declared_in_one_place():
    assert "ValoresApuradosTrabalhador" not in M.ASSUMED
    for nome in M.ASSUMED:
        assert nome in M.__doc__, nome
        assert getattr(M, nome).__module__.startswith("ciclo.psi.models.")


def test_an_answer_parsed_as_received_keeps_its_text():
    texto = '{"nissTrabalhador": 10000000001, "anoMes": "202509", "nome": "João", "totalRemuneracao": 0.10}'
    doc = jsonexato.loads_recebido(texto.encode("utf-8"))
    assert isinstance(doc, jsonexato.ObjetoRecebido) and doc.texto == texto
    assert doc == {"nissTrabalhador": 10000000001, "anoMes": "202509", "nome": "João",
                   "totalRemuneracao": Decimal("0.10")}
    # only an object carries its text; a list or nothing are as ``loads`` gives them
    assert type(jsonexato.loads_recebido(b'[{"a": 1}]')) is list
    assert jsonexato.loads_recebido(b"null") is None
    # JSON in UTF-16 parses (json accepts it) but is not kept as text: the ledger writes it again
    assert type(jsonexato.loads_recebido(texto.encode("utf-16"))) is dict
    # with a byte-order mark, json reads it but loads of the stored text would not: written again by dumps
    com_bom = jsonexato.loads_recebido(b"\xef\xbb\xbf" + texto.encode("utf-8"))
    assert type(com_bom) is dict and com_bom == doc
    with pytest.raises(ValueError):
        jsonexato.loads_recebido(b'{"a": ')
