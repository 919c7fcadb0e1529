"""httpcore's connection locks acquire without an extra event-loop yield where a bulk fetch asks for it
(``ciclo.psi.httpcore_fast_acquire.ativas``), as released elsewhere, and still exclude, wait and cancel as locks
do."""

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
    import asyncio, contextlib, json, sys
    from httpcore._synchronization import AsyncLock
    from ciclo.psi import httpcore_fast_acquire as m
    {antes}

    async def ordem():
        ordem = []
        lock = AsyncLock()
        async def outra():
            ordem.append("outra")
        t = asyncio.create_task(outra())
        async with lock:
            ordem.append("com a trava")
        await t
        return ordem

    async def main():
        with m.ativas():
            dentro = await ordem()
        return {{"dentro": dentro, "fora": await ordem()}}

    print(json.dumps({{"instalado": instalado, **asyncio.run(main())}}))
""")
PRIMEIRO_A_OUTRA = ["outra", "com a trava"]   # httpcore as released
SEM_ESPERA = ["com a trava", "outra"]


def _correr(antes: str, **env) -> dict:
    import json

    r = subprocess.run([sys.executable, "-c", ORDEM.format(antes=antes)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, **env})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_installed_httpcore_is_one_the_change_was_checked_against():
    # a new httpcore release: read its _synchronization.py (AsyncLock.setup) before adding it to the set
    assert httpcore.__version__ in httpcore_fast_acquire.VERSOES_VERIFICADAS


def test_where_asked_a_free_lock_no_longer_yields_and_elsewhere_httpcore_is_as_released():
    # the async client installs the hook; only locks set up within ativas() (and the tasks started there) change
    antes = ("from ciclo.psi.ambientes import resolver\n"
             "from ciclo.psi.auth import Credenciais\n"
             "from ciclo.psi.rest import AsyncPsiClient\n"
             "AsyncPsiClient(resolver('http://127.0.0.1:9'), Credenciais('20000000001', password='x'))\n"
             "instalado = m.instalar()")
    assert _correr(antes) == {"instalado": True, "dentro": SEM_ESPERA, "fora": PRIMEIRO_A_OUTRA}


def test_without_the_hook_a_free_lock_yields_even_where_asked():
    # the baseline the previous test differs from
    assert _correr("instalado = False") == {"instalado": False, "dentro": PRIMEIRO_A_OUTRA, "fora": PRIMEIRO_A_OUTRA}


def test_switched_off_by_the_environment():
    out = _correr("instalado = m.instalar()", CICLO_HTTPCORE_FAST_ACQUIRE="0")
    assert out == {"instalado": False, "dentro": PRIMEIRO_A_OUTRA, "fora": PRIMEIRO_A_OUTRA}


def test_not_applied_to_a_release_it_was_not_checked_against():
    antes = "import httpcore\nhttpcore.__version__ = '1.0.99'\ninstalado = m.instalar()"
    assert _correr(antes) == {"instalado": False, "dentro": PRIMEIRO_A_OUTRA, "fora": PRIMEIRO_A_OUTRA}


def test_the_bulk_fetch_asks_for_it_only_when_told():
    # fetch_valores_apurados_sync(travas_rapidas=True) runs the fetch (and the tasks it starts) within ativas()
    from ciclo.psi import bulk

    vistos = []

    class Cliente:
        async def valores_apurados_trabalhador_json(self, ee, mes, niss):
            vistos.append(httpcore_fast_acquire._ATIVAS.get())
            return {"nissTrabalhador": niss}

        async def aclose(self):
            pass

    for pedido in (True, False):
        vistos.clear()
        r = bulk.fetch_valores_apurados_sync(Cliente, "20000000001", "202510", ["10000000001", "10000000002"],
                                             lambda n, d: None, concurrency=2, travas_rapidas=pedido)
        assert r.done == 2 and vistos == [pedido, pedido]


@pytest.fixture
def instalado():
    assert httpcore_fast_acquire.instalar() is True
    with httpcore_fast_acquire.ativas():
        yield


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

