"""The eeaoc Pedidos (corrections of earlier months, DR 1-A/2011 art. 26.º) on the REST clients.

Paths SPEC (specs/psi-endpoints.txt); methods, bodies and answers ASSUMED (``ciclo.psi.models.pedido``,
docs/psi-contract.md §Pedidos). Built on the clients' one request path (``_Pedido`` + ``_exec``), so a Pedido call
behaves like every other operation: GETs retried with backoff, POST/PUT never retried (a lost answer is
``PsiOutcomeUnknown``: consult the Pedidos before sending again), errors mapped the same way, every call audited
through the client's ``on_call``. Works with ``PsiClient`` (returns values) and ``AsyncPsiClient`` (returns
coroutines)::

    with PsiClient(...) as c:
        criado = Pedidos(c).criar(niss_ee, corpo)
"""

from __future__ import annotations

import pydantic

from ciclo.psi import models as M
from ciclo.psi.models import documento_pagamento as _dp
from ciclo.psi.rest import _Operacoes, _Pedido, _seg

_BASE = "/eeaoc/pedido"


def _lista(modelo):
    return lambda data: [modelo.model_validate(x) for x in _dp.itens(data, "pedidos", "motivos")]


def _corpo(c):
    return c.model_dump(exclude_none=True) if isinstance(c, pydantic.BaseModel) else c


class Pedidos:
    """The six Pedido operations over one REST client (sync or async)."""

    def __init__(self, client: _Operacoes):
        self.client = client

    def motivos(self, niss_ee: str):
        """'Consultar Lista de Motivos' → ``[MotivoPedido]``."""
        return self.client._exec(_Pedido("consultarMotivosPedido", "GET", f"{_BASE}/entidade-empregadora/{{niss-ee}}/motivos",
                                         f"{_BASE}/entidade-empregadora/{_seg(niss_ee)}/motivos",
                                         _lista(M.MotivoPedido), niss_ee=niss_ee))

    def criar(self, niss_ee: str, corpo: "M.PedidoCorrecao | dict"):
        """'Criar Pedido' → ``Pedido`` (its ``numeroPedido``). Never retried: on ``PsiOutcomeUnknown`` look at
        ``consultar`` before creating it again."""
        return self.client._exec(_Pedido("criarPedido", "POST", f"{_BASE}/entidade-empregadora/{{niss-ee}}",
                                         f"{_BASE}/entidade-empregadora/{_seg(niss_ee)}", M.Pedido.model_validate,
                                         corpo=_corpo(corpo), niss_ee=niss_ee))

    def consultar(self, niss_ee: str, *, ano_mes: str | None = None, estado: str | None = None):
        """'Consultar Pedidos' of the employer (optionally of one month / state; filters ASSUMED) → ``[Pedido]``."""
        params = {k: v for k, v in {"anoMes": ano_mes, "estado": estado}.items() if v}
        return self.client._exec(_Pedido("consultarPedidos", "GET", f"{_BASE}/entidade-empregadora/{{niss-ee}}",
                                         f"{_BASE}/entidade-empregadora/{_seg(niss_ee)}", _lista(M.Pedido),
                                         params=params or None, niss_ee=niss_ee))

    def detalhe(self, numero_pedido: str, *, niss_ee: str | None = None):
        """'Consultar Detalhe do Pedido' → ``Pedido`` with its ``trabalhadores``; unknown → ``PsiNotFound``.
        ``niss_ee`` only labels the audit row (the path carries no employer)."""
        return self.client._exec(_Pedido("consultarDetalhePedido", "GET", f"{_BASE}/{{numero-pedido}}",
                                         f"{_BASE}/{_seg(numero_pedido)}", M.Pedido.model_validate, niss_ee=niss_ee))

    def atualizar(self, numero_pedido: str, corpo: "M.PedidoCorrecao | dict", *, niss_ee: str | None = None):
        """'Atualizar Pedido' (PUT; only while ``SUBMETIDO`` — ASSUMED) → ``Pedido``. Never retried."""
        return self.client._exec(_Pedido("atualizarPedido", "PUT", f"{_BASE}/{{numero-pedido}}",
                                         f"{_BASE}/{_seg(numero_pedido)}", M.Pedido.model_validate,
                                         corpo=_corpo(corpo), niss_ee=niss_ee))

    def anular_valor_remuneracao(self, niss_ee: str, numero_pedido: str, corpo: "M.AnulacaoValor | dict"):
        """'Anular Valor Pedido de Remuneração' (POST — ASSUMED): the Pedido also annuls a worker's communicated
        values → ``Pedido``. Never retried: read ``detalhe`` (its ``anulacoes``) before sending again."""
        return self.client._exec(_Pedido("anularValorRemuneracaoPedido", "POST",
                                         f"{_BASE}/anular-valor-remuneracao/{{niss-ee}}/{{numero-pedido}}",
                                         f"{_BASE}/anular-valor-remuneracao/{_seg(niss_ee)}/{_seg(numero_pedido)}",
                                         M.Pedido.model_validate, corpo=_corpo(corpo), niss_ee=niss_ee))
