"""The payment-document state machine on answers a sandbox cannot be made to give in order (a second 14, a 0),
and its poll intervals (floor, 20 % of the time waited, ceiling, jitter) — with a scripted client and a fake clock."""

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


def test_poll_interval_is_the_floor_then_a_fifth_of_the_time_waited_up_to_the_ceiling():
    esperas, t = [], [0.0]

    def dormir(s):
        esperas.append(s)
        t[0] += s

    c = Roteiro([], [{"codigoResultado": 10}] * 16 + [{"codigoResultado": 1, "resultado": [
        {"numeroDocumentoPagamento": 1, "valor": 10, "referenciaDocumentoPagamento": {
            "pagamentoTransferenciaBancaria": {"Iban": "PT50X"}, "pagamentoDebitoDireto": {"numeroAutorizacao": 7}}}]}])
    r = obter_documentos(c, "k", intervalo_min=1, intervalo_max=5, timeout=100, jitter=0, sleep=dormir,
                         relogio=lambda: t[0])
    # the floor for the first 5 s (a fifth of 5 s is the floor), then a fifth of the time waited, then the ceiling
    assert esperas[:6] == [1, 1, 1, 1, 1, 1]
    decorrido = 6.0
    for e in esperas[6:]:
        assert e == pytest.approx(min(5, 0.2 * decorrido)), esperas
        decorrido += e
    assert esperas[6:9] == pytest.approx([1.2, 1.44, 1.728]) and esperas[-2:] == pytest.approx([5, 5]) and len(esperas) == 16
    [doc] = r.documentos
    assert doc.debito_direto and not doc.multibanco_disponivel
    assert doc.referenciaDocumentoPagamento.pagamentoTransferenciaBancaria.iban == "PT50X"  # "Iban" accepted


DOC = {"numeroDocumentoPagamento": 1, "valor": 10}


def test_several_employers_are_polled_together_one_wait_per_round_not_one_employer_after_another():
    from ciclo.psi.documentos import PedidoEmissao, obter_documentos_varios

    t, esperas = [0.0], []

    def dormir(s):
        esperas.append(s)
        t[0] += s

    a = Roteiro([{"codigoResultado": 1, "chave": "a"}], [{"codigoResultado": 10}] * 2 + [{"codigoResultado": 1, "resultado": [DOC]}])
    b = Roteiro([], [{"codigoResultado": 10}, {"codigoResultado": 15}])
    c = Roteiro([{"codigoResultado": 11, "chave": "c"}], [{"codigoResultado": 1, "resultado": [DOC]}])
    vistas = []
    ra, rb, rc = obter_documentos_varios(
        [PedidoEmissao(a, None, "A", ao_pedir=lambda ch, cod: vistas.append(ch)), PedidoEmissao(b, "b", "B"),
         PedidoEmissao(c, None, "C")], intervalo_min=1, intervalo_max=5, jitter=0, sleep=dormir, relogio=lambda: t[0])
    assert ra.estado == "DOCUMENTOS" and ra.pedidos == 1 and vistas == ["a"]
    assert rb.sem_valores and rb.pedidos == 0  # given a chave: only polled, never asked again
    assert rc.estado == "DOCUMENTOS" and len(rc.documentos) == 1
    # rounds: every pending request polled, then one wait — 1 + 1 s in all, as for the slowest alone
    assert esperas == [1, 1]
    assert [f[0] for f in a.feitas] == ["POST", "GET", "GET", "GET"] and len(b.feitas) == 2


def test_jitter_and_slow_requests_do_not_split_a_round_and_no_request_is_polled_before_its_wait():
    import random

    from ciclo.psi.documentos import PedidoEmissao, obter_documentos_varios

    t, esperas = [0.0], []

    class Lento(Roteiro):  # every call to the SS takes 0.2 s: the third employer asks 0.8 s after the first
        def pedir_emissao_documentos(self, niss_ee=None, *, ambito=11):
            t[0] += 0.2
            self.feitas.append(("POST", t[0]))
            return M.PedidoEmissao.model_validate(self.emissoes.pop(0))

        def consultar_pedido_emissao(self, chave, *, niss_ee=None):
            t[0] += 0.2
            self.feitas.append(("GET", t[0]))
            return M.ConsultaPedidoEmissao.model_validate(self.consultas.pop(0))

    def dormir(s):
        esperas.append(s)
        t[0] += s

    for semente in range(20):   # whatever the jitter draws
        t[0], esperas[:] = 0.0, []
        ees = [Lento([{"codigoResultado": 1, "chave": k}], [{"codigoResultado": 10}] * 2 + [{"codigoResultado": 15}])
               for k in "abc"]
        rs = obter_documentos_varios([PedidoEmissao(e, None, k) for e, k in zip(ees, "ABC")], intervalo_min=2,
                                     intervalo_max=10, jitter=0.1, sleep=dormir, relogio=lambda: t[0],
                                     rng=random.Random(semente))
        assert all(r.sem_valores for r in rs)
        assert len(esperas) == 2, (semente, esperas)            # two rounds of polls after the first: two waits
        for e in ees:                                           # and never a poll sooner than the floor after the last
            gets = [x[1] for x in e.feitas if x[0] == "GET"]
            assert all(b - a >= 2 for a, b in zip(gets, gets[1:])), (semente, gets)


def test_one_employers_failure_is_its_outcome_and_the_others_go_on():
    from ciclo.psi.documentos import PedidoEmissao, obter_documentos_varios

    t = [0.0]

    class Cai(Roteiro):
        def consultar_pedido_emissao(self, chave, *, niss_ee=None):
            self.feitas.append(("GET", chave))
            raise PsiError("connection reset", servico="consultarPedidoEmissao")

    mau = Cai([{"codigoResultado": 1, "chave": "m"}], [])
    recusado = Roteiro([{"codigoResultado": 0, "mensagem": "Erro interno"}], [])
    bom = Roteiro([{"codigoResultado": 1, "chave": "b"}], [{"codigoResultado": 10}, {"codigoResultado": 1, "resultado": [DOC]}])
    rm, rr, rb = obter_documentos_varios([PedidoEmissao(mau), PedidoEmissao(recusado), PedidoEmissao(bom)],
                                         intervalo_min=1, jitter=0, sleep=lambda s: t.__setitem__(0, t[0] + s),
                                         relogio=lambda: t[0])
    assert isinstance(rm, PsiError) and "connection reset" in str(rm)
    assert isinstance(rr, EmissaoRecusada)
    assert rb.estado == "DOCUMENTOS" and [f[0] for f in bom.feitas] == ["POST", "GET", "GET"]


def test_still_processing_after_the_timeout_carries_the_chave_per_employer():
    from ciclo.psi.documentos import EmissaoEmProcessamento, PedidoEmissao, obter_documentos_varios

    t = [0.0]
    lento = Roteiro([], [{"codigoResultado": 10}] * 10)
    pronto = Roteiro([], [{"codigoResultado": 15}])
    rl, rp = obter_documentos_varios([PedidoEmissao(lento, "k1"), PedidoEmissao(pronto, "k2")], intervalo_min=1,
                                     timeout=3, jitter=0, sleep=lambda s: t.__setitem__(0, t[0] + s),
                                     relogio=lambda: t[0])
    assert isinstance(rl, EmissaoEmProcessamento) and rl.chave == "k1" and rp.sem_valores
