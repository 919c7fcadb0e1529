"""The fetch's own HTTP/1.1 GET connections (``ciclo.psi.http11``), against real sockets: servers in the test's
event loop that answer with each framing (length, chunks split anywhere, the connection's close), send 1xx first,
send bytes no request asked for, close idle or in the middle, hang, trickle, speak TLS, or are not there. The
point of most cases: an answer reaches the request it answers, or that request fails — never another's."""

from __future__ import annotations

import asyncio
import gzip
import random
import ssl

import httpx
import pytest

from ciclo.psi.http11 import PoolHttp11
from tests.unit.psi.test_transporte import Servidor as _ServidorSimples
from tests.unit.psi.test_transporte import _correr, contextos_tls
# every case on asyncio's own event loop and on uvloop (what the bulk fetch runs on): test_transporte's fixture
from tests.unit.psi.test_transporte import laco  # noqa: F401

TEMPOS = {"connect": 2.0, "read": 0.5, "write": 2.0, "pool": 2.0}
CAB = [(b"Host", b"127.0.0.1"), (b"Accept", b"application/json"), (b"Authorization", b"Basic eDp5")]


class Servidor(_ServidorSimples):
    """A raw server on loopback (``test_transporte``'s, answering otherwise): ``tratar(pedido, w, n)`` (a
    coroutine) answers each request (its head, as bytes) on writer ``w``; returning False closes the connection.
    Counts connections, open and at most at once."""

    def __init__(self, tratar, ssl_ctx=None):
        super().__init__(None, ssl_ctx)
        self.tratar = tratar
        self.abertas = 0
        self.max_abertas = 0
        self.fechadas_pelo_cliente = 0

    def pool(self, https=False, ctx=None, **kw) -> PoolHttp11:
        kw.setdefault("max_connections", 4)
        return _pool(self.porta, https, ctx, **kw)

    async def _ligacao(self, r: asyncio.StreamReader, w: asyncio.StreamWriter):
        self.ligacoes += 1
        self.abertas += 1
        self.max_abertas = max(self.max_abertas, self.abertas)
        self._escritores.append(w)
        try:
            while True:
                try:
                    cab = await r.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as e:
                    if not e.partial:
                        self.fechadas_pelo_cliente += 1
                    return
                self.pedidos.append(cab)
                if await self.tratar(cab, w, len(self.pedidos)) is False:
                    w.close()
                    return
                await w.drain()
        except ConnectionError:
            self.fechadas_pelo_cliente += 1
        finally:
            self.abertas -= 1


def _pool(porta: int, https=False, ctx=None, *, max_connections=1, **kw) -> PoolHttp11:
    """A pool to 127.0.0.1:``porta`` (``ctx``: the TLS context, default the system's trust)."""
    url = httpx.URL(f"{'https' if https else 'http'}://127.0.0.1:{porta}")
    return PoolHttp11(url, ssl_context=ctx or ssl.create_default_context(), max_connections=max_connections, **kw)


def _em_sequencia(tratar, alvo: bytes, n: int):
    """``n`` GETs of ``alvo`` one after another on a fresh pool: the server and the answers."""
    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            rs = [await pool.get(alvo, CAB, TEMPOS) for _ in range(n)]
            await pool.aclose()
            return s, rs

    return _correr(caso())


def _todos_de_uma_vez(tratar, n: int, maximo: int):
    """``n`` GETs at once (``/t/0`` …) over a pool of ``maximo`` connections: each gets the answer that names its
    own target, and the server never holds more than ``maximo`` connections at once. The server."""
    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(max_connections=maximo)
            alvos = [b"/t/%d" % i for i in range(n)]
            rs = await asyncio.gather(*(pool.get(a, CAB, TEMPOS) for a in alvos))
            await pool.aclose()
            return s, alvos, rs

    s, alvos, rs = _correr(caso())
    assert [r.json()["alvo"].encode() for r in rs] == alvos
    assert s.max_abertas <= maximo
    return s


def _caminho(pedido: bytes) -> bytes:
    return pedido.split(b" ")[1]


def _ok(corpo: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        len(corpo), extra, corpo)


def _chunked(corpo: bytes, rng: random.Random) -> bytes:
    out, i = b"", 0
    while i < len(corpo):
        n = rng.randint(1, 9)
        out += b"%x\r\n%s\r\n" % (len(corpo[i:i + n]), corpo[i:i + n])
        i += n
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + out + b"0\r\n\r\n"


async def _em_pedacos(w: asyncio.StreamWriter, dados: bytes, rng: random.Random) -> None:
    """Written in pieces cut anywhere, with pauses: the parser sees every split a network can make."""
    i = 0
    while i < len(dados):
        n = rng.randint(1, 40)
        w.write(dados[i:i + n])
        await w.drain()
        i += n
        if rng.random() < 0.3:
            await asyncio.sleep(0.001)


def test_answers_on_one_keep_alive_connection_with_the_exact_request_bytes():
    async def tratar(p, w, n):
        w.write(_ok(b'{"n": %d, "alvo": "%s"}' % (n, _caminho(p))))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            rs = [await pool.get(b"/a/%d" % i, CAB, TEMPOS) for i in range(5)]
            await pool.aclose()
            return s, rs

    s, rs = _correr(caso())
    assert [r.json() for r in rs] == [{"n": i + 1, "alvo": f"/a/{i}"} for i in range(5)]
    assert s.ligacoes == 1
    assert s.pedidos[0] == (b"GET /a/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                            b"Authorization: Basic eDp5\r\n\r\n")
    assert rs[0].status_code == 200 and rs[0].reason_phrase == "OK" and rs[0].http_version == "HTTP/1.1"
    assert rs[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize("semente", range(3))
def test_chunked_and_gzip_answers_cut_anywhere_arrive_whole_and_decoded(semente):
    rng = random.Random(semente)
    corpo = b'{"x": "%s"}' % bytes(rng.choice(b"abcdef") for _ in range(3000))

    async def tratar(p, w, n):
        if n % 2:
            await _em_pedacos(w, _chunked(corpo, rng), rng)
        else:
            z = gzip.compress(corpo)
            await _em_pedacos(w, _ok(z, b"Content-Encoding: gzip\r\n"), rng)

    s, rs = _em_sequencia(tratar, b"/c", 4)
    assert all(r.content == corpo for r in rs)
    assert s.ligacoes == 1


def test_an_answer_ended_by_the_close_is_whole_and_its_connection_not_reused():
    async def tratar(p, w, n):
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + b'{"n": %d}' % n)
        return False

    s, rs = _em_sequencia(tratar, b"/f", 3)
    assert [r.json() for r in rs] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert s.ligacoes == 3


def test_informational_answers_before_the_final_one_are_skipped():
    async def tratar(p, w, n):
        w.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + _ok(b'{"ok": 1}'))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            r1 = await pool.get(b"/i", CAB, TEMPOS)
            r2 = await pool.get(b"/i", CAB, TEMPOS)
            await pool.aclose()
            return s, r1, r2

    s, r1, r2 = _correr(caso())
    assert r1.status_code == r2.status_code == 200 and r1.json() == {"ok": 1} and "link" not in r1.headers
    assert s.ligacoes == 1


def test_bytes_after_an_answer_are_never_read_as_the_next_requests_answer():
    """A server that sends a second answer nobody asked for right after the first (in the same write, or later
    while the connection idles): the first request gets its own answer, the connection is closed, and the next
    request gets the answer to itself on a new connection — h11 would have kept the extra bytes for it."""
    async def tratar(p, w, n):
        alvo = _caminho(p)
        if alvo == b"/junto":
            w.write(_ok(b'{"para": "junto"}') + _ok(b'{"para": "ninguem"}'))
        elif alvo == b"/depois":
            w.write(_ok(b'{"para": "depois"}'))
            await w.drain()
            await asyncio.sleep(0.05)
            w.write(_ok(b'{"para": "ninguem"}'))
        else:
            w.write(_ok(b'{"para": "%s"}' % alvo[1:]))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(max_connections=1)
            out = [(await pool.get(b"/junto", CAB, TEMPOS)).json(), (await pool.get(b"/a", CAB, TEMPOS)).json()]
            out.append((await pool.get(b"/depois", CAB, TEMPOS)).json())
            await asyncio.sleep(0.15)
            out.append((await pool.get(b"/b", CAB, TEMPOS)).json())
            await pool.aclose()
            return s, out

    s, out = _correr(caso())
    assert out == [{"para": "junto"}, {"para": "a"}, {"para": "depois"}, {"para": "b"}]
    assert s.ligacoes == 3   # /junto's connection dropped at once, /depois's when the stray answer came


def test_connection_close_or_http_1_0_answers_are_not_reused():
    async def tratar(p, w, n):
        if n == 1:
            w.write(_ok(b"{}", b"Connection: close\r\n"))
        else:
            w.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            versoes = []
            for _ in range(3):
                r = await pool.get(b"/k", CAB, TEMPOS)
                assert r.json() == {}
                versoes.append(r.http_version)
            await pool.aclose()
            return s, versoes

    s, versoes = _correr(caso())
    assert s.ligacoes == 3
    assert versoes == ["HTTP/1.1", "HTTP/1.0", "HTTP/1.0"]   # each answer's own version, as its status line says


def test_a_chunked_answers_trailers_are_not_taken_as_its_headers():
    async def tratar(p, w, n):
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                b"Trailer: X-Depois, Content-Type\r\n\r\n2\r\n{}\r\n0\r\n"
                b"X-Depois: 1\r\nContent-Type: text/html\r\n\r\n")

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            rs = [await pool.get(b"/t", CAB, TEMPOS) for _ in range(2)]
            await pool.aclose()
            return s, rs

    s, rs = _correr(caso())
    for r in rs:
        assert r.json() == {} and "x-depois" not in r.headers
        assert r.headers.get_list("content-type") == ["application/json"]
    assert s.ligacoes == 1   # the trailers end the answer: the connection is reused


def test_an_idle_connection_the_server_closed_is_replaced_not_reused():
    async def tratar(p, w, n):
        w.write(_ok(b'{"n": %d}' % n))
        return n != 1   # closes after the first answer, while the connection idles in the pool

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            r1 = await pool.get(b"/x", CAB, TEMPOS)
            await asyncio.sleep(0.05)
            r2 = await pool.get(b"/x", CAB, TEMPOS)
            await pool.aclose()
            return s, r1, r2

    s, r1, r2 = _correr(caso())
    assert (r1.json(), r2.json(), s.ligacoes) == ({"n": 1}, {"n": 2}, 2)


def test_a_server_that_closes_without_answering_or_in_the_middle_is_a_protocol_error():
    async def tratar(p, w, n):
        if _caminho(p) == b"/meio":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"parte\":")
        return False

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                await pool.get(b"/nada", CAB, TEMPOS)
            with pytest.raises(httpx.RemoteProtocolError, match="middle of its answer"):
                await pool.get(b"/meio", CAB, TEMPOS)
            assert pool._abertas == 0   # both slots given back
            await pool.aclose()

    _correr(caso())


def test_a_malformed_answer_is_a_protocol_error():
    async def tratar(p, w, n):
        w.write(b"HTTP/1.1 abc nonsense\r\n\r\n")

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            with pytest.raises(httpx.RemoteProtocolError, match="malformed answer"):
                await pool.get(b"/m", CAB, TEMPOS)
            await pool.aclose()

    _correr(caso())


def test_the_read_timeout_is_the_longest_silence_not_the_whole_answer():
    async def tratar(p, w, n):
        if _caminho(p) == b"/cala":
            await asyncio.sleep(5)
            return False
        corpo = b'{"devagar": true}'
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(corpo))
        for i in range(len(corpo)):   # 0.85 s in all, never 0.5 s without a byte
            await w.drain()
            await asyncio.sleep(0.05)
            w.write(corpo[i:i + 1])

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            assert (await pool.get(b"/devagar", CAB, TEMPOS)).json() == {"devagar": True}
            t0 = asyncio.get_running_loop().time()
            with pytest.raises(httpx.ReadTimeout):
                await pool.get(b"/cala", CAB, TEMPOS)
            assert 0.45 < asyncio.get_running_loop().time() - t0 < 2
            await pool.aclose()

    _correr(caso())


def test_nothing_listening_is_a_connect_error_and_the_slot_is_given_back():
    async def caso():
        async with Servidor(None) as s:
            porta = s.porta
        pool = _pool(porta)
        for _ in range(2):
            with pytest.raises(httpx.ConnectError):
                await pool.get(b"/", CAB, TEMPOS)
        assert pool._abertas == 0
        await pool.aclose()

    _correr(caso())


def test_many_requests_at_once_hold_at_most_max_connections_and_each_gets_its_own_answer():
    rng = random.Random(7)

    async def tratar(p, w, n):
        await asyncio.sleep(rng.uniform(0, 0.01))
        alvo = _caminho(p)
        corpo = b'{"alvo": "%s"}' % alvo
        dados = _chunked(corpo, rng) if rng.random() < 0.5 else _ok(corpo)
        await _em_pedacos(w, dados, rng)

    s = _todos_de_uma_vez(tratar, 120, 3)
    assert s.ligacoes == 3


def test_waiting_longer_than_the_pool_timeout_for_a_connection_is_a_pool_timeout():
    async def tratar(p, w, n):
        if _caminho(p) == b"/ocupa":
            await asyncio.sleep(1.0)
        w.write(_ok(b"{}"))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(max_connections=1)
            ocupa = asyncio.ensure_future(pool.get(b"/ocupa", CAB, {**TEMPOS, "read": 5.0}))
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.PoolTimeout):
                await pool.get(b"/espera", CAB, {**TEMPOS, "pool": 0.2})
            assert (await ocupa).json() == {}
            assert (await pool.get(b"/depois", CAB, TEMPOS)).json() == {}   # the slot still there, reused
            await pool.aclose()
            return s

    assert _correr(caso()).ligacoes == 1


def test_a_request_cancelled_while_waiting_drops_its_connection_and_its_late_answer():
    async def tratar(p, w, n):
        if _caminho(p) == b"/lento":
            await asyncio.sleep(0.3)
        w.write(_ok(b'{"alvo": "%s"}' % _caminho(p)))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(max_connections=1)
            t = asyncio.ensure_future(pool.get(b"/lento", CAB, TEMPOS))
            await asyncio.sleep(0.05)
            t.cancel()
            with pytest.raises(asyncio.CancelledError):
                await t
            r = await pool.get(b"/seguinte", CAB, TEMPOS)
            await asyncio.sleep(0.4)
            await pool.aclose()
            return s, r

    s, r = _correr(caso())
    assert r.json() == {"alvo": "/seguinte"} and s.ligacoes == 2


def test_an_idle_connection_older_than_the_keepalive_expiry_is_not_reused():
    async def tratar(p, w, n):
        w.write(_ok(b"{}"))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(keepalive_expiry=0.1)
            await pool.get(b"/", CAB, TEMPOS)
            await pool.get(b"/", CAB, TEMPOS)
            await asyncio.sleep(0.2)
            await pool.get(b"/", CAB, TEMPOS)
            await pool.aclose()
            return s

    assert _correr(caso()).ligacoes == 2


def test_a_target_or_header_that_would_break_the_request_line_is_refused_before_sending():
    async def tratar(p, w, n):
        w.write(_ok(b"{}"))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool()
            for alvo in (b"/a b", b"/a\r\nX: y", b"a"):
                with pytest.raises(httpx.LocalProtocolError):
                    await pool.get(alvo, CAB, TEMPOS)
            with pytest.raises(httpx.LocalProtocolError):
                await pool.get(b"/", [(b"X", b"a\r\nY: b")], TEMPOS)
            await pool.aclose()
            return s

    assert _correr(caso()).pedidos == []


def test_tls_verified_against_the_context_and_refused_when_the_certificate_is_not_trusted(tmp_path):
    servidor_ctx, confia = contextos_tls(tmp_path)

    async def tratar(p, w, n):
        w.write(_ok(b'{"n": %d}' % n))

    async def caso():
        async with Servidor(tratar, ssl_ctx=servidor_ctx) as s:
            pool = s.pool(https=True, ctx=confia)
            rs = [(await pool.get(b"/seguro", CAB, TEMPOS)).json() for _ in range(3)]
            await pool.aclose()
            estranho = s.pool(https=True)
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await estranho.get(b"/seguro", CAB, TEMPOS)
            await estranho.aclose()
            return s, rs

    s, rs = _correr(caso())
    assert rs == [{"n": 1}, {"n": 2}, {"n": 3}] and s.ligacoes == 1   # the refused handshake never reaches it


def _servidor_em_thread(servir):
    """A blocking server in threads (it writes while the test's event loop is busy): ``servir(sock)`` per
    connection (a connection the client drops ends it); the listening socket, to close."""
    import socket
    import threading

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def um(c):
        with c:
            try:
                servir(c)
            except OSError:
                pass

    def aceitar():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return   # closed: the test is over
            threading.Thread(target=um, args=(c,), daemon=True).start()

    threading.Thread(target=aceitar, daemon=True).start()
    return s


def test_a_connection_handed_to_a_waiting_request_is_checked_as_an_idle_one_is():
    """The pool's only connection goes from the request that ends to the one waiting for it. Meanwhile (the
    caller busy with its answer) the server sends an answer nobody asked for: the waiting request must not read it
    as its own (found in review: asyncio ran the waiting request's write before the loop read those bytes)."""
    import time

    def servir(conn):
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                d = conn.recv(4096)
                if not d:
                    return
                buf += d
            cab, buf = buf.split(b"\r\n\r\n", 1)
            alvo = cab.split(b" ")[1]
            conn.sendall(_ok(b'{"para": "%s"}' % alvo))
            if alvo == b"/1":
                time.sleep(0.05)
                conn.sendall(_ok(b'{"para": "ninguem"}'))

    escuta = _servidor_em_thread(servir)
    porta = escuta.getsockname()[1]

    async def caso():
        pool = _pool(porta)

        async def primeiro():
            r = await pool.get(b"/1", CAB, TEMPOS)
            time.sleep(0.2)   # the caller's own work on its answer: the loop reads nothing meanwhile
            return r

        t1 = asyncio.ensure_future(primeiro())
        await asyncio.sleep(0)
        t2 = asyncio.ensure_future(pool.get(b"/2", CAB, TEMPOS))   # waits for the only connection
        r1, r2 = await t1, await t2
        await pool.aclose()
        return r1.json(), r2.json(), pool.ligacoes_abertas

    try:
        assert _correr(caso()) == ({"para": "/1"}, {"para": "/2"}, 2)
    finally:
        escuta.close()


def test_requests_waiting_for_connections_the_server_closes_after_each_answer_all_get_theirs():
    """No ``Connection: close``, yet the server closes after each answer: a waiting request handed such a
    connection opens a new one instead of failing (found in review: 24 of 50 failed)."""
    async def tratar(p, w, n):
        w.write(_ok(b'{"alvo": "%s"}' % _caminho(p)))
        return False

    _todos_de_uma_vez(tratar, 50, 2)


def test_a_request_the_server_does_not_read_is_a_write_timeout_and_its_connection_dropped():
    """A request larger than what the socket and the server take while the server reads nothing (a 16 MB header
    here): the write waits for the transport to drain, at most the ``write`` timeout."""
    async def calado(r: asyncio.StreamReader, w: asyncio.StreamWriter):
        await asyncio.sleep(5)   # reads nothing
        w.close()

    async def caso():
        srv = await asyncio.start_server(calado, "127.0.0.1", 0)
        try:
            pool = _pool(srv.sockets[0].getsockname()[1])
            enorme = CAB + [(b"X-Enorme", b"a" * (16 << 20))]
            with pytest.raises(httpx.WriteTimeout):
                await pool.get(b"/grande", enorme, {**TEMPOS, "write": 0.3})
            assert pool._abertas == 0   # the connection closed, its slot given back
            await pool.aclose()
        finally:
            srv.close()

    _correr(caso())


def test_silence_in_the_middle_of_a_body_is_a_read_timeout_and_the_connection_is_not_reused():
    async def tratar(p, w, n):
        if _caminho(p) == b"/meio":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{\"meio\": ")   # 9 of the 20 bytes, then nothing
            await w.drain()
            await asyncio.sleep(2)
            w.write(b'"atrasado"}')
            return
        w.write(_ok(b'{"alvo": "%s"}' % _caminho(p)))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(max_connections=1)
            with pytest.raises(httpx.ReadTimeout):
                await pool.get(b"/meio", CAB, TEMPOS)
            assert pool._abertas == 0   # the slot given back with the connection closed
            r = await pool.get(b"/seguinte", CAB, TEMPOS)
            await pool.aclose()
            return s, r

    s, r = _correr(caso())
    # the rest of the cut answer, written later on the old connection, never reaches the next request
    assert r.json() == {"alvo": "/seguinte"} and s.ligacoes == 2


def test_closing_the_pool_lets_requests_in_flight_finish_fails_those_waiting_and_closes_every_connection():
    async def tratar(p, w, n):
        await asyncio.sleep(0.2)
        w.write(_ok(b'{"alvo": "%s"}' % _caminho(p)))

    async def caso():
        async with Servidor(tratar) as s:
            pool = s.pool(max_connections=2)
            voo = [asyncio.ensure_future(pool.get(b"/v/%d" % i, CAB, TEMPOS)) for i in range(2)]
            espera = asyncio.ensure_future(pool.get(b"/espera", CAB, TEMPOS))
            await asyncio.sleep(0.05)
            await pool.aclose()
            with pytest.raises(httpx.ConnectError, match="closed"):
                await espera
            rs = [(await v).json() for v in voo]
            with pytest.raises(httpx.ConnectError, match="closed"):
                await pool.get(b"/depois", CAB, TEMPOS)
            await asyncio.sleep(0.05)
            return s, pool, rs

    s, pool, rs = _correr(caso())
    assert rs == [{"alvo": "/v/0"}, {"alvo": "/v/1"}]
    assert pool._abertas == 0 and not pool._livres and s.abertas == 0 and s.ligacoes == 2
    assert sorted(_caminho(p) for p in s.pedidos) == [b"/v/0", b"/v/1"]   # neither waiting request was sent


def test_a_request_cancelled_during_the_tls_handshake_gives_its_slot_back(tmp_path):
    servidor_ctx, confia = contextos_tls(tmp_path)
    aceites: list[asyncio.StreamWriter] = []

    async def mudo(r, w):   # accepts the TCP connection and never answers the TLS handshake
        aceites.append(w)
        await asyncio.sleep(5)

    async def caso():
        servidor = await asyncio.start_server(mudo, "127.0.0.1", 0)
        porta = servidor.sockets[0].getsockname()[1]
        pool = _pool(porta, https=True, ctx=confia)
        t = asyncio.ensure_future(pool.get(b"/", CAB, TEMPOS))
        while not aceites:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        abertas = pool._abertas
        # the slot is free again: the next request gets as far as the handshake, which times out
        with pytest.raises(httpx.ConnectTimeout):
            await pool.get(b"/", CAB, {**TEMPOS, "connect": 0.2})
        await pool.aclose()
        for w in aceites:
            w.close()
        servidor.close()
        return abertas, pool._abertas, len(aceites)

    assert _correr(caso()) == (0, 0, 2)
