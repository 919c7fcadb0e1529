"""``python -m ciclo.sandbox --host 127.0.0.1 --port 8765 --state PATH [--apuramento-delay SECONDS]``"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from ciclo.sandbox.app import create_app
from ciclo.sandbox.store import Store


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ciclo.sandbox", description="Local PSI sandbox (Segurança Social, quality)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--state", default="psi-sandbox.sqlite3", help="SQLite state file (created and seeded if absent)")
    p.add_argument("--apuramento-delay", type=float, default=3.0, help="seconds between values received and apuramento")
    p.add_argument("--emissao-delay", type=float, default=1.0, help="seconds a payment-document emission stays processando")
    p.add_argument("--log-level", default="info")
    a = p.parse_args(argv)
    logging.basicConfig(level=a.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(a.state, apuramento_delay=a.apuramento_delay, emissao_delay=a.emissao_delay)
    app = create_app(store)
    uvicorn.run(app, host=a.host, port=a.port, loop="uvloop", http="httptools", access_log=False,
                log_level=a.log_level, timeout_graceful_shutdown=2)


if __name__ == "__main__":
    main()
