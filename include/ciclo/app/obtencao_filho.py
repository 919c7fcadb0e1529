"""One share of a large employer's bulk fetch, in its own process (``python -m ciclo.app.obtencao_filho``).

The fetch of valores apurados is bound by the client's CPU per request (httpx, JSON, the ledger's writes:
docs/BENCHMARKS.md), so one process cannot keep an employer's whole concurrency budget busy; ``obtencao`` hands
shares of the workers to processes like this one, each with its part of the budget, and fetches one share itself.

Reads the share from stdin (a pickle from the parent: environment, credentials, budget, ledger URL, the NISS to
fetch — never on the command line or in the environment, where other users could read them), fetches it into the
ledger (the same client, sink and repository as the parent), and writes **one JSON line** to stdout: done, failed
(NISS → reason), seconds. Logs go to stderr (the task's log). It imports neither Airflow nor Great Expectations, and
exits when its parent does (an Airflow task killed mid-fetch leaves no fetch running).
"""

from __future__ import annotations

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
    spec = pickle.loads(sys.stdin.buffer.read())
    _morrer_com_o_pai(spec["pai"])

    from ciclo.ledger import Ledger
    from ciclo.psi.bulk import BatchingSink, fetch_valores_apurados_sync
    from ciclo.psi.rest import AsyncPsiClient

    ledger = Ledger(spec["ledger_url"])
    try:
        apurados = ledger.apurados
        niss_ee, mes = spec["niss_ee"], spec["mes"]

        def cliente():
            kw = {"retry": spec["retry"]} if spec.get("retry") is not None else {}
            return AsyncPsiClient(spec["ambiente"], spec["credenciais"], timeout=spec["timeout"],
                                  max_connections=spec["concurrency"], **kw)

        def gravar(docs):
            apurados.guardar(niss_ee, mes, [d for _, d in docs])

        with BatchingSink(gravar, max_batch=250) as sink:
            res = fetch_valores_apurados_sync(cliente, niss_ee, mes, spec["nisses"], sink,
                                              concurrency=spec["concurrency"], rate_per_second=spec["rate_per_second"])
    finally:
        ledger.dispose()
    sys.stdout.write(json.dumps({"done": res.done, "failed": res.failed, "seconds": res.seconds}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
