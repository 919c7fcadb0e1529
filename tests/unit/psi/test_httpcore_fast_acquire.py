"""httpcore's connection locks acquire without an extra event-loop yield once the async PSI client exists
(``ciclo.psi.httpcore_fast_acquire``), and still exclude, wait and cancel as locks do."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import httpcore
import pytest
from httpcore._synchronization import AsyncLock

from ciclo.psi import httpcore_fast_acquire

# who runs first: the task that takes a free lock, or another task already scheduled? With httpcore as released
# the acquire yields once, so the other task runs first.
ORDEM = textwrap.dedent("""
    import asyncio, json, sys
    from httpcore._synchronization import AsyncLock
    {antes}

    async def main():
        ordem = []
        lock = AsyncLock()
        async def outra():
            ordem.append("outra")
        t = asyncio.create_task(outra())
        async with lock:
            ordem.append("com a trava")
        await t
        return ordem

    print(json.dumps({{"instalado": instalado, "ordem": asyncio.run(main())}}))
""")


def _correr(antes: str, **env) -> dict:
    import json

    r = subprocess.run([sys.executable, "-c", ORDEM.format(antes=antes)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, **env})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_installed_httpcore_is_one_the_change_was_checked_against():
    # a new httpcore release: read its _synchronization.py (AsyncLock.setup) before adding it to the set
    assert httpcore.__version__ in httpcore_fast_acquire.VERSOES_VERIFICADAS


def test_the_async_client_applies_it_and_a_free_lock_no_longer_yields():
    antes = ("from ciclo.psi.ambientes import resolver\n"
             "from ciclo.psi.auth import Credenciais\n"
             "from ciclo.psi.rest import AsyncPsiClient\n"
             "AsyncPsiClient(resolver('http://127.0.0.1:9'), Credenciais('20000000001', password='x'))\n"
             "from ciclo.psi import httpcore_fast_acquire as m\n"
             "instalado = m.instalar()")
    out = _correr(antes)
    assert out == {"instalado": True, "ordem": ["com a trava", "outra"]}


def test_httpcore_as_released_yields_on_a_free_lock():
    # the baseline the previous test differs from: without the change, the other task runs first
    assert _correr("instalado = False") == {"instalado": False, "ordem": ["outra", "com a trava"]}


def test_switched_off_by_the_environment():
    antes = "from ciclo.psi import httpcore_fast_acquire as m\ninstalado = m.instalar()"
    out = _correr(antes, CICLO_HTTPCORE_FAST_ACQUIRE="0")
    assert out == {"instalado": False, "ordem": ["outra", "com a trava"]}


def test_not_applied_to_a_release_it_was_not_checked_against():
    antes = ("import httpcore\nhttpcore.__version__ = '1.0.99'\n"
             "from ciclo.psi import httpcore_fast_acquire as m\ninstalado = m.instalar()")
    assert _correr(antes) == {"instalado": False, "ordem": ["outra", "com a trava"]}


@pytest.fixture
def instalado():
    assert httpcore_fast_acquire.instalar() is True


def test_a_held_lock_still_excludes_and_waiters_get_it_in_turn(instalado):
    async def main():
        lock = AsyncLock()
        dentro, maximo, ordem = 0, 0, []

        async def um(i):
            nonlocal dentro, maximo
            async with lock:
                dentro += 1
                maximo = max(maximo, dentro)
                await asyncio.sleep(0.001)
                ordem.append(i)
                dentro -= 1

        await asyncio.gather(*(um(i) for i in range(5)))
        return maximo, ordem

    maximo, ordem = asyncio.run(main())
    assert maximo == 1
    assert ordem == [0, 1, 2, 3, 4]


def test_a_waiter_cancelled_leaves_the_lock_usable(instalado):
    async def main():
        lock = AsyncLock()
        solta = asyncio.Event()

        async def dono():
            async with lock:
                await solta.wait()

        async def espera():
            async with lock:
                pass

        d = asyncio.create_task(dono())
        await asyncio.sleep(0)
        e = asyncio.create_task(espera())
        await asyncio.sleep(0.01)
        e.cancel()
        with pytest.raises(asyncio.CancelledError):
            await e
        solta.set()
        await d
        await asyncio.wait_for(espera(), 1)   # free again: a cancelled waiter did not keep it
        return True

    assert asyncio.run(main())

