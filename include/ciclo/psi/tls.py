"""One TLS context per process for every httpx client of the PSI.

Building an ``ssl.SSLContext`` loads the CA bundle (≈15–40 ms of CPU each on the 2-core machine of
docs/BENCHMARKS.md); the pipeline opens short-lived clients per employer and per step, so a context per client
was a third of a second per employer in a lote. The context holds no per-connection state and is safe to share
between clients and threads; it verifies certificates exactly as httpx's default does (certifi's bundle).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def contexto_tls() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process."""
    return httpx.create_ssl_context()
