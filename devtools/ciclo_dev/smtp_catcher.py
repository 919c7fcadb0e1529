"""A local SMTP server that stores every message it receives as an ``.eml`` file.

``python -m ciclo_dev.smtp_catcher --host 127.0.0.1 --port 8025 --out var/mail``

Used by ``make demo`` / ``make airflow`` (finance reports land here instead of real inboxes) and by the tests
(a real SMTP conversation, then the ``.eml`` parsed back).
"""

from __future__ import annotations

import argparse
import itertools
import signal
import threading
import time
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class _GuardarEml:
    def __init__(self, pasta: Path):
        self.pasta = pasta
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            n = next(self._seq)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        destino = self.pasta / f"{stamp}-{n:04d}.eml"
        cabecalho = (f"X-Envelope-From: {envelope.mail_from}\r\n"
                     f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        tmp = destino.with_suffix(".part")
        tmp.write_bytes(cabecalho + envelope.original_content)
        tmp.rename(destino)  # atomic: readers never see half a message
        return "250 Message accepted for delivery"


class SmtpCatcher:
    """Context manager: ``with SmtpCatcher(out_dir) as c: ... c.port ... c.messages()``."""

    def __init__(self, pasta: str | Path, host: str = "127.0.0.1", port: int = 0):
        self.pasta = Path(pasta)
        self.pasta.mkdir(parents=True, exist_ok=True)
        if port == 0:
            import socket

            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.host, self.port = host, port
        self._ctl = Controller(_GuardarEml(self.pasta), hostname=host, port=port)

    def start(self) -> "SmtpCatcher":
        self._ctl.start()
        return self

    def stop(self) -> None:
        self._ctl.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def files(self) -> list[Path]:
        return sorted(self.pasta.glob("*.eml"))

    def messages(self):
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in self.files()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Path]:
        end = time.monotonic() + timeout
        while time.monotonic() < end and len(self.files()) < count:
            time.sleep(0.05)
        return self.files()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8025)
    ap.add_argument("--out", default="var/mail")
    a = ap.parse_args(argv)
    c = SmtpCatcher(a.out, a.host, a.port).start()
    print(f"SMTP catcher on {a.host}:{c.port}, writing .eml files to {Path(a.out).resolve()}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    c.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
