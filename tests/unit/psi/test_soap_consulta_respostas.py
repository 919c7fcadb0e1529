"""``ConsultaSoapClient``'s reading of answers the sandbox never gives (403, the codigo-0 variants, a file answer,
a timeout Fault): canned HTTP answers through a requests adapter — the wire below zeep is all that is faked."""

from __future__ import annotations

from datetime import date

import pytest
import requests
from requests.adapters import BaseAdapter

from ciclo.psi import errors as E
from ciclo.psi import soap_consulta as Q
from ciclo.psi.auth import Credenciais
from ciclo.sandbox.soap import fault_timeout_xml
from ciclo.sandbox.soap_consulta import resposta


class Canned(BaseAdapter):
    def __init__(self, status: int, corpo: str, tipo: str = "text/xml; charset=utf-8"):
        super().__init__()
        self.status, self.corpo, self.tipo, self.pedidos = status, corpo, tipo, []

    def send(self, request, **kw):
        self.pedidos.append(request)
        r = requests.Response()
        r.status_code, r._content, r.url, r.request = self.status, self.corpo.encode(), request.url, request
        r.headers["Content-Type"] = self.tipo
        return r

    def close(self):
        pass


def cliente(adapter) -> Q.ConsultaSoapClient:
    c = Q.ConsultaSoapClient("http://ss.invalid/ws/contrato/v1/contratos",
                             "http://ss.invalid/ws/contrato/v1/obterComunicacoes",
                             Credenciais("20000003116", password="segredo"), timeout=2, intervalo=0.01, espera_max=0.05)
    c._session.mount("http://", adapter)
    return c


def test_403_is_forbidden_and_names_the_niss_never_the_password():
    with cliente(Canned(403, "")) as c, pytest.raises(Q.ConsultaNaoAutorizada) as ei:
        c.obter_comunicacoes()
    assert isinstance(ei.value, E.PsiForbiddenError) and "20000003116" in str(ei.value)
    assert "segredo" not in str(ei.value)


def test_token_expired_401():
    with cliente(Canned(401, "Token expirado.")) as c, pytest.raises(Q.ConsultaTokenExpirado):
        c.pesquisa_contratos(date(2026, 10, 1), date(2026, 10, 31))


@pytest.mark.parametrize("texto,estado", [("O pedido ainda não foi processado, tente mais tarde", "POR_PROCESSAR"),
                                          ("Pedido expirado — repita a pesquisa.", "EXPIRADO")])
def test_codigo_0_told_apart_by_its_text(texto, estado):
    with cliente(Canned(200, resposta("getDadosContratos", 0, [texto]))) as c:
        assert c.dados_contratos("k").estado == estado


def test_codigo_0_otherwise_is_a_retryable_internal_error_and_waiting_is_bounded():
    with cliente(Canned(200, resposta("getDadosContratos", 0, ["Erro interno do servidor"]))) as c:
        with pytest.raises(Q.ConsultaErroInterno) as ei:
            c.dados_contratos("k")
        assert ei.value.retryable
    adapter = Canned(200, resposta("pesquisaContratos", 1, corpo="<chave>k</chave>"))
    with cliente(adapter) as c:
        adapter.corpo = resposta("getDadosContratos", 0, ["O pedido ainda não foi processado, tente mais tarde"])
        c.pesquisa_contratos = lambda *a, **k: "k"
        with pytest.raises(E.PsiRetryableError, match="not processed within"):
            c.contratos(date(2026, 10, 1), date(2026, 10, 31))


def test_a_file_answer_is_refused_clearly():
    corpo = resposta("getDadosContratos", 1, corpo="<ficheiro-dados>UEsDBA==</ficheiro-dados>")
    with cliente(Canned(200, corpo)) as c, pytest.raises(E.PsiContractError, match="500 contracts or more"):
        c.dados_contratos("k")


def test_a_timeout_fault_is_retryable():
    with cliente(Canned(500, fault_timeout_xml())) as c, pytest.raises(Q.ConsultaTimeout) as ei:
        c.obter_comunicacoes()
    assert ei.value.retryable


def test_a_bad_amount_is_a_contract_error_naming_no_value():
    bloco = "<contratos><contrato><niss-trabalhador>10000000001</niss-trabalhador>" \
            "<remuneracao-base>mil</remuneracao-base></contrato></contratos>"
    with cliente(Canned(200, resposta("getDadosContratos", 1, corpo=bloco))) as c, \
            pytest.raises(E.PsiContractError) as ei:
        c.dados_contratos("k")
    assert "mil" not in str(ei.value)
