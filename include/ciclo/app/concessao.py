"""The lease around every write to the Segurança Social (see ``ciclo.ledger.repositorios.Concessoes``)."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager

from ciclo.app.contexto import Execucao
from ciclo.app.erros import Repetivel
from ciclo.app.portas import Portas

# Longer than any single write step takes (the DAG's execution timeouts are 15–30 min); a dead holder's lease
# expires after it, and whoever takes it next asks the SS what it holds before sending.
DURACAO_S = 45 * 60


@contextmanager
def concessao(ex: Execucao, p: Portas, operacao: str, segundos: float = DURACAO_S):
    from ciclo.ledger.repositorios import ConcessaoOcupada

    dono = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        p.ledger.concessoes.tomar(ex.niss_ee, ex.mes, operacao, dono, segundos)
    except ConcessaoOcupada as exc:
        raise Repetivel(str(exc)) from None
    try:
        yield dono
    finally:
        p.ledger.concessoes.largar(ex.niss_ee, ex.mes, operacao, dono)
