"""One share of a large employer's bulk fetch, in its own process (``python -m ciclo.app.obtencao_filho``).

The fetch of valores apurados is bound by the client's CPU per request (httpx, JSON, the ledger's writes:
docs/BENCHMARKS.md), so one process cannot keep an employer's whole concurrency budget busy; ``obtencao`` hands
shares of the workers to processes like this one, each with its part of the budget, and fetches one share itself.

Started before its share is known, it imports what it needs, says so (a first line ``pronto`` on stdout: the
parent fetches from the front of the list meanwhile, and hands each ready process a part of what is left), then
reads the share from stdin (a pickle from the
parent: the share's ``LigacaoDireta`` — environment, credentials, its part of the budget —, the ledger URL, the NISS
to fetch; never on the command line or in the environment, where other users could read them; nothing: not needed,
it exits), fetches it into the ledger with ``obtencao.buscar_parte`` (as the parent fetches its own
share), and writes **one JSON line** to stdout: done, failed (NISS → reason), seconds. Logs go to stderr (the task's
log). It imports neither Airflow nor Great Expectations, and exits when its parent does (an Airflow task killed
mid-fetch leaves no fetch running).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pickle
import sys
import threading
import time


def _morrer_com_o_pai(pai: int) -> None:
    def vigiar():
        while True:
            if os.getppid() != pai:
                os._exit(3)
            time.sleep(1.0)

    threading.Thread(target=vigiar, name="vigia-pai", daemon=True).start()


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _morrer_com_o_pai(os.getppid())
    # what the fetch needs is imported before the share is read: the parent starts this process while it still
    # asks the SS for the list of workers, and hands the share over once it has it
    from ciclo.app.obtencao import PRONTO, buscar_parte
    from ciclo.ledger import Ledger

    for modulo in ("ciclo.psi.bulk", "ciclo.psi.rest", "uvloop"):   # used by buscar_parte: imported now too
        importlib.import_module(modulo)
    # ready: the parent hands out the shares once its processes have said so (it fetches meanwhile)
    sys.stdout.buffer.write(PRONTO + b"\n")
    sys.stdout.flush()

    dados = sys.stdin.buffer.read()
    if not dados:
        return 0   # not needed after all (fewer workers to fetch than expected, or the task failed first)
    spec = pickle.loads(dados)
    ledger = Ledger(spec["ledger_url"])
    try:
        # a share of a large employer, alone in this process
        res = buscar_parte(ledger.apurados, spec["niss_ee"], spec["mes"], spec["ligacao"], spec["nisses"],
                           travas_rapidas=True)
    finally:
        ledger.dispose()
    sys.stdout.write(json.dumps({"done": res.done, "failed": res.failed, "seconds": res.seconds}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    codigo = main()
    # the result is written and flushed and the ledger disposed: end now, without the interpreter's teardown
    # (freeing every module and object: ≈0.1 s, measured in an earlier session) that the parent, reading this
    # process's stdout to its end, would wait for. An exception in main() still ends the usual way.
    sys.stderr.flush()
    os._exit(codigo)
