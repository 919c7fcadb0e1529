"""The lease around every write to the Segurança Social (see ``ciclo.ledger.repositorios.Concessoes``).

The holder is named ``host:pid:nonce``. The lease is short and renewed by a heartbeat while the write runs, so a
holder that died (a killed worker) frees it within ``DURACAO_S`` whatever machine it ran on; a holder on this same
machine whose process is gone is taken over at once. Whoever takes a lease next reads the ledger again and asks
the Segurança Social before sending anything.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager

from ciclo.app.contexto import Execucao
from ciclo.app.erros import Repetivel
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)

DURACAO_S = 90.0
RENOVAR_S = 30.0


def _morto_nesta_maquina(dono: str) -> bool:
    host, _, resto = dono.partition(":")
    pid = resto.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def concessao(ex: Execucao, p: Portas, operacao: str, segundos: float = DURACAO_S):
    from ciclo.ledger.repositorios import ConcessaoOcupada

    repo = p.ledger.concessoes
    dono = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        repo.tomar(ex.niss_ee, ex.mes, operacao, dono, segundos)
    except ConcessaoOcupada as exc:
        if not _morto_nesta_maquina(exc.dono):
            raise Repetivel(str(exc)) from None
        log.warning("%s: taking over the lease of %s from %s, whose process is gone", ex.rotulo, operacao, exc.dono)
        try:
            repo.tomar(ex.niss_ee, ex.mes, operacao, dono, segundos, substituir=exc.dono)
        except ConcessaoOcupada as outra:
            raise Repetivel(str(outra)) from None
    parar = threading.Event()

    def renovar():
        while not parar.wait(min(RENOVAR_S, segundos / 3)):
            try:
                repo.tomar(ex.niss_ee, ex.mes, operacao, dono, segundos)
            except ConcessaoOcupada:
                log.error("%s: lost the lease of %s while writing", ex.rotulo, operacao)
                return

    batida = threading.Thread(target=renovar, name=f"lease-{operacao}", daemon=True)
    batida.start()
    try:
        yield dono
    finally:
        parar.set()
        batida.join(5)
        repo.largar(ex.niss_ee, ex.mes, operacao, dono)
