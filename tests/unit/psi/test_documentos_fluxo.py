"""The payment-document state machine on answers a sandbox cannot be made to give in order (a second 14, a 0),
and its poll intervals (floor, doubling, ceiling) — with a scripted client and a fake clock."""

import pytest

from ciclo.psi import models as M
from ciclo.psi.documentos import EmissaoExpirada, EmissaoRecusada, obter_documentos
from ciclo.psi.errors import PsiError


class Roteiro:
    def __init__(self, emissoes, consultas):
        self.emissoes, self.consultas, self.feitas = list(emissoes), list(consultas), []

    def pedir_emissao_documentos(self, niss_ee=None, *, ambito=11):
        self.feitas.append(("POST", niss_ee, ambito))
        return M.PedidoEmissao.model_validate(self.emissoes.pop(0))

    def consultar_pedido_emissao(self, chave, *, niss_ee=None):
        self.feitas.append(("GET", chave))
        return M.ConsultaPedidoEmissao.model_validate(self.consultas.pop(0))


def test_a_second_14_is_an_error_after_one_re_ask():
    c = Roteiro([{"codigoResultado": "1", "chave": "a"}, {"codigoResultado": 1, "chave": "b"}],
                [{"codigoResultado": 14}, {"codigoResultado": "14"}])
    with pytest.raises(EmissaoExpirada, match="expired again"):
        obter_documentos(c, sleep=lambda s: None)
    assert [f[0] for f in c.feitas] == ["POST", "GET", "POST", "GET"]


def test_refused_emission_and_internal_error_are_errors():
    with pytest.raises(EmissaoRecusada, match="codigoResultado 0"):
        obter_documentos(Roteiro([{"codigoResultado": 0, "mensagem": "Erro interno"}], []), sleep=lambda s: None)
    with pytest.raises(PsiError, match="codigoResultado 0"):
        obter_documentos(Roteiro([], [{"codigoResultado": 0}]), "k", sleep=lambda s: None)


def test_poll_interval_starts_at_the_floor_doubles_and_stops_at_the_ceiling():
    esperas, t = [], [0.0]

    def dormir(s):
        esperas.append(s)
        t[0] += s

    c = Roteiro([], [{"codigoResultado": 10}] * 6 + [{"codigoResultado": 1, "resultado": [
        {"numeroDocumentoPagamento": 1, "valor": 10, "referenciaDocumentoPagamento": {
            "pagamentoTransferenciaBancaria": {"Iban": "PT50X"}, "pagamentoDebitoDireto": {"numeroAutorizacao": 7}}}]}])
    r = obter_documentos(c, "k", intervalo_min=1, intervalo_max=5, timeout=100, sleep=dormir, relogio=lambda: t[0])
    assert esperas == [1, 2, 4, 5, 5, 5]
    [doc] = r.documentos
    assert doc.debito_direto and not doc.multibanco_disponivel
    assert doc.referenciaDocumentoPagamento.pagamentoTransferenciaBancaria.iban == "PT50X"  # "Iban" accepted
