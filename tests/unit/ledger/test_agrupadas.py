"""The ledger's group commit (``ciclo.ledger.db._Agrupadas``): rows that threads insert while another transaction
of theirs is being written go in the next one, together; each call returns once its row is written, or raises."""

from __future__ import annotations

import threading
import time

import pytest

from ciclo.ledger.db import LedgerError, _Agrupadas


class Escritor:
    """Records each transaction's rows; the first one waits for ``solta`` (a slow commit); ``falhar_em``: the
    transactions (1-based) that fail."""

    def __init__(self, falhar_em=()):
        self.transacoes: list[list[int]] = []
        self.solta = threading.Event()
        self.falhar_em = set(falhar_em)

    def __call__(self, linhas):
        self.transacoes.append([l["n"] for l in linhas])
        if len(self.transacoes) == 1:
            self.solta.wait(10)
        if len(self.transacoes) in self.falhar_em:
            raise OSError("disk I/O error")


def _inserir(grupo, escritor, n, saidas):
    try:
        grupo.inserir(escritor, {"n": n})
        saidas[n] = "ok"
    except Exception as exc:  # noqa: BLE001
        saidas[n] = exc


def _esperar(cond, s=5.0):
    fim = time.monotonic() + s
    while not cond() and time.monotonic() < fim:
        time.sleep(0.005)
    return cond()


def test_rows_queued_while_one_is_written_go_together_in_the_next_transaction():
    grupo, esc, saidas = _Agrupadas(), Escritor(), {}
    primeiro = threading.Thread(target=_inserir, args=(grupo, esc, 0, saidas))
    primeiro.start()
    assert _esperar(lambda: esc.transacoes == [[0]])
    outros = [threading.Thread(target=_inserir, args=(grupo, esc, n, saidas)) for n in range(1, 9)]
    for f in outros:
        f.start()
    assert _esperar(lambda: len(grupo._fila) == 8)
    time.sleep(0.05)
    assert saidas == {}                      # nobody returns before its row is written
    esc.solta.set()
    for f in [primeiro, *outros]:
        f.join(10)
    assert len(esc.transacoes) == 2 and esc.transacoes[0] == [0] and sorted(esc.transacoes[1]) == list(range(1, 9))
    assert saidas == dict.fromkeys(range(9), "ok")


def test_a_failed_transaction_fails_every_row_in_it_and_the_next_rows_are_written():
    grupo, esc, saidas = _Agrupadas(), Escritor(falhar_em={2}), {}
    primeiro = threading.Thread(target=_inserir, args=(grupo, esc, 0, saidas))
    primeiro.start()
    assert _esperar(lambda: len(esc.transacoes) == 1)
    outros = [threading.Thread(target=_inserir, args=(grupo, esc, n, saidas)) for n in range(1, 5)]
    for f in outros:
        f.start()
    assert _esperar(lambda: len(grupo._fila) == 4)
    esc.solta.set()
    for f in [primeiro, *outros]:
        f.join(10)
    assert saidas[0] == "ok"
    falhas = [saidas[n] for n in range(1, 5)]
    # the thread that wrote the transaction gets the database's error itself; the others a LedgerError naming it
    assert sum(isinstance(e, OSError) for e in falhas) == 1
    assert all(isinstance(e, (OSError, LedgerError)) and "disk I/O error" in str(e) for e in falhas)
    grupo.inserir(esc, {"n": 9})             # the group goes on
    assert esc.transacoes[-1] == [9]


def test_a_row_alone_is_written_at_once():
    grupo, esc = _Agrupadas(), Escritor()
    esc.solta.set()
    for n in range(3):
        grupo.inserir(esc, {"n": n})
    assert esc.transacoes == [[0], [1], [2]]

    def falha(linhas):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        grupo.inserir(falha, {"n": 3})
    grupo.inserir(esc, {"n": 4})
    assert esc.transacoes[-1] == [4]
