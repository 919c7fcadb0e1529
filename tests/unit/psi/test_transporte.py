"""The async client's transport over asyncio's own transports (``ciclo.psi.transporte``), against real sockets:
servers in the test's own event loop that answer, hang, close mid-answer, close an idle keep-alive connection,
send a body larger than the read buffer, speak TLS, or are not there. Each case checks what httpx's own transport
would raise or return; the per-worker GET built from the parsed base sends the same bytes as the ``httpx.Request``."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import random
import ssl
import string

import httpx
import pytest

from ciclo.psi import transporte as T
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.rest import _CAMINHO_SIMPLES, AsyncPsiClient, _seg

LIMITES = httpx.Limits(max_connections=2, max_keepalive_connections=2)
TIMEOUT = {"timeout": {"connect": 2.0, "read": 0.5, "write": 2.0, "pool": 2.0}}


class Servidor:
    """A raw HTTP/1.1 server on loopback: ``responder(pedido_bytes, n)`` gives the bytes to write back (None: write
    nothing and hold the connection; ``FECHAR``: close it). Keeps what each connection received."""

    FECHAR = object()

    def __init__(self, responder, ssl_ctx=None):
        self.responder = responder
        self.ssl_ctx = ssl_ctx
        self.pedidos: list[bytes] = []
        self.ligacoes = 0
        self._escritores: list[asyncio.StreamWriter] = []

    async def __aenter__(self):
        self.srv = await asyncio.start_server(self._ligacao, "127.0.0.1", 0, ssl=self.ssl_ctx)
        self.porta = self.srv.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        for w in self._escritores:
            w.close()
        self.srv.close()
        await self.srv.wait_closed()

    async def _ligacao(self, r: asyncio.StreamReader, w: asyncio.StreamWriter):
        self.ligacoes += 1
        self._escritores.append(w)
        try:
            while True:
                cab = await r.readuntil(b"\r\n\r\n")
                n = int(next((l.split(b":")[1] for l in cab.split(b"\r\n") if l.lower().startswith(b"content-length:")),
                             b"0"))
                pedido = cab + (await r.readexactly(n) if n else b"")
                self.pedidos.append(pedido)
                resposta = self.responder(pedido, len(self.pedidos))
                if resposta is Servidor.FECHAR:
                    w.close()
                    return
                if resposta is None:
                    await asyncio.sleep(30)
                    return
                w.write(resposta)
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return


def _ok(corpo: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        len(corpo), extra, corpo)


def _pedido(url: str, metodo="GET", **kw) -> httpx.Request:
    return httpx.Request(metodo, url, extensions=TIMEOUT, **kw)


@pytest.fixture
def sem_proxy(monkeypatch):
    """No proxy in the environment: the client then uses its own connections, not httpx's proxy path."""
    for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(v, raising=False)


@pytest.fixture(params=["asyncio", "uvloop"], autouse=True)
def laco(request, monkeypatch):
    """Every case on asyncio's own event loop and on uvloop (what the bulk fetch runs on)."""
    if request.param == "uvloop":
        import uvloop  # a requirement (the fetch installs it): not skipped when missing

        monkeypatch.setitem(globals(), "_FABRICA", uvloop.new_event_loop)
    return request.param


_FABRICA = None


def _transporte(ssl_context: ssl.SSLContext | None = None) -> T.TransporteAsyncio:
    return T.TransporteAsyncio(ssl_context=ssl_context or ssl.create_default_context(), limits=LIMITES)


def _correr(corotina):
    with asyncio.Runner(loop_factory=_FABRICA) as r:
        return r.run(asyncio.wait_for(corotina, 20))


def test_answers_on_one_keep_alive_connection_and_posts_their_body():
    async def caso():
        async with Servidor(lambda p, n: _ok(b'{"n": %d}' % n)) as s:
            t = _transporte()
            url = f"http://127.0.0.1:{s.porta}/x"
            r1 = await t.handle_async_request(_pedido(url))
            r2 = await t.handle_async_request(_pedido(url, "POST", content=b'{"a": 1}'))
            await t.aclose()
            return s, r1, r2

    s, r1, r2 = _correr(caso())
    assert (r1.status_code, r1.json(), r2.json()) == (200, {"n": 1}, {"n": 2})
    assert s.ligacoes == 1  # the second request reused the first connection
    assert s.pedidos[1].startswith(b"POST /x HTTP/1.1\r\n") and s.pedidos[1].endswith(b'\r\n\r\n{"a": 1}')
    assert r1.request.url == f"http://127.0.0.1:{s.porta}/x"


def test_a_chunked_gzip_answer_is_read_whole_and_decoded():
    import gzip
    corpo = gzip.compress(b'{"grande": "' + b"x" * 5000 + b'"}')
    pedacos = b"".join(b"%x\r\n%s\r\n" % (len(corpo[i:i + 700]), corpo[i:i + 700]) for i in range(0, len(corpo), 700))
    resposta = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + pedacos +
                b"0\r\n\r\n")

    async def caso():
        async with Servidor(lambda p, n: resposta) as s:
            t = _transporte()
            r = await t.handle_async_request(_pedido(f"http://127.0.0.1:{s.porta}/g"))
            await t.aclose()
            return r

    r = _correr(caso())
    assert r.json() == {"grande": "x" * 5000}


def test_a_body_larger_than_the_read_buffer_arrives_whole(monkeypatch):
    corpo = random.Random(1).randbytes(3 * (1 << 20))
    # marks low enough that the loop pauses reading the socket and resumes it as the buffer is read
    monkeypatch.setattr(T, "_ALTA", 8192)
    monkeypatch.setattr(T, "_BAIXA", 1024)
    pausas = []
    original = T._Protocolo.data_received

    def data_received(self, data):
        original(self, data)
        pausas.append(self.leitura_pausada)

    monkeypatch.setattr(T._Protocolo, "data_received", data_received)

    async def caso():
        async with Servidor(lambda p, n: _ok(corpo)) as s:
            t = _transporte()
            r = await t.handle_async_request(_pedido(f"http://127.0.0.1:{s.porta}/pdf"))
            await t.aclose()
            return r

    assert _correr(caso()).content == corpo
    # it paused, and resumed: else the read would wait for ever (the case's 20 s bound)
    assert any(pausas)


def test_a_large_body_is_written_whole_waiting_when_the_socket_is_full(monkeypatch):
    corpo = random.Random(2).randbytes(8 * (1 << 20))
    esperas = []
    original = T._esperar

    async def _esperar(p, atributo, timeout):
        esperas.append(atributo)
        await original(p, atributo, timeout)

    monkeypatch.setattr(T, "_esperar", _esperar)

    async def caso():
        async with Servidor(lambda p, n: _ok(b'{"recebidos": %d}' % len(p.split(b"\r\n\r\n", 1)[1]))) as s:
            t = _transporte()
            r = await t.handle_async_request(_pedido(f"http://127.0.0.1:{s.porta}/grande", "POST", content=corpo))
            await t.aclose()
            return s, r

    s, r = _correr(caso())
    assert r.json() == {"recebidos": len(corpo)} and s.pedidos[0].endswith(corpo[-1000:])
    assert "espera_escrita" in esperas  # the loop's buffer filled: the write waited for it to drain


def test_a_server_that_never_answers_is_a_read_timeout():
    async def caso():
        async with Servidor(lambda p, n: None) as s:
            t = _transporte()
            try:
                with pytest.raises(httpx.ReadTimeout) as e:
                    await t.handle_async_request(_pedido(f"http://127.0.0.1:{s.porta}/hang"))
                return e.value
            finally:
                await t.aclose()

    erro = _correr(caso())
    assert erro.request.url.path == "/hang"


def test_a_connection_closed_mid_answer_is_a_protocol_error_not_a_short_body():
    async def caso():
        # the answer is cut: written short of its Content-Length, then the connection closed
        cortada = _ok(b'{"truncated": "yes"}')[:-6]

        async def ligacao(r, w):
            await r.readuntil(b"\r\n\r\n")
            w.write(cortada)
            await w.drain()
            w.close()

        srv = await asyncio.start_server(ligacao, "127.0.0.1", 0)
        porta = srv.sockets[0].getsockname()[1]
        t = _transporte()
        try:
            with pytest.raises(httpx.RemoteProtocolError):
                await t.handle_async_request(_pedido(f"http://127.0.0.1:{porta}/cut"))
        finally:
            await t.aclose()
            srv.close()
            await srv.wait_closed()

    _correr(caso())


def test_an_idle_connection_the_server_closed_is_replaced_not_reused():
    async def caso():
        async with Servidor(lambda p, n: _ok(b'{"n": %d}' % n)) as s:
            t = _transporte()
            url = f"http://127.0.0.1:{s.porta}/x"
            r1 = await t.handle_async_request(_pedido(url))
            for w in s._escritores:  # the server ends the keep-alive connection while it is idle
                w.close()
            await asyncio.sleep(0.1)
            r2 = await t.handle_async_request(_pedido(url))
            await t.aclose()
            return s, r1, r2

    s, r1, r2 = _correr(caso())
    assert (r1.json(), r2.json()) == ({"n": 1}, {"n": 2})
    assert s.ligacoes == 2


def test_nothing_listening_is_a_connect_error():
    async def caso():
        srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        porta = srv.sockets[0].getsockname()[1]
        srv.close()
        await srv.wait_closed()
        t = _transporte()
        try:
            with pytest.raises(httpx.ConnectError):
                await t.handle_async_request(_pedido(f"http://127.0.0.1:{porta}/"))
        finally:
            await t.aclose()

    _correr(caso())


def _certificado():
    """A self-signed certificate for 127.0.0.1 (key and PEM), made with cryptography (Airflow's dependency)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    chave = ec.generate_private_key(ec.SECP256R1())
    nome = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "psi.test")])
    agora = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(nome).issuer_name(nome).public_key(chave.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(agora - dt.timedelta(minutes=5))
            .not_valid_after(agora + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(chave, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    chave_pem = chave.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return pem, chave_pem


def contextos_tls(tmp_path):
    """A server's TLS context with a self-signed certificate for 127.0.0.1, and a client's context that trusts it."""
    pem, chave = _certificado()
    (tmp_path / "c.pem").write_bytes(pem)
    (tmp_path / "k.pem").write_bytes(chave)
    servidor_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    servidor_ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    return servidor_ctx, ssl.create_default_context(cafile=str(tmp_path / "c.pem"))


def test_tls_verified_against_the_context_and_refused_when_the_certificate_is_not_trusted(tmp_path):
    servidor_ctx, confia = contextos_tls(tmp_path)

    async def caso():
        async with Servidor(lambda p, n: _ok(), ssl_ctx=servidor_ctx) as s:
            url = f"https://127.0.0.1:{s.porta}/seguro"
            t = _transporte(confia)
            r = await t.handle_async_request(_pedido(url))
            versao = r.extensions["network_stream"].get_extra_info("ssl_object").version()
            await t.aclose()
            estranho = _transporte()
            try:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await estranho.handle_async_request(_pedido(url))
            finally:
                await estranho.aclose()
            return r, versao

    r, versao = _correr(caso())
    assert r.json() == {"ok": True} and versao.startswith("TLSv1.")


@pytest.mark.usefixtures("sem_proxy")
def test_the_async_client_sends_the_same_bytes_on_both_paths(monkeypatch):
    """The per-worker GET built from the parsed base — on the fetch's own connections (``ciclo.psi.http11``, the
    default) and through httpcore (``TransporteAsyncio.get``) — against the ``httpx.Request`` of the same call
    through httpx's own transport: the same request line and headers on the wire."""
    async def recebido(transporte: str, base: str, s: Servidor) -> bytes:
        monkeypatch.setenv("CICLO_TRANSPORTE_ASYNC", transporte)
        async with AsyncPsiClient(resolver(base.format(porta=s.porta)), Credenciais("20000000001", password="x")) as c:
            assert isinstance(c._transportes[0], T.TransporteAsyncio) == (transporte != "httpx")
            assert (c._pool11 is not None) == (transporte == "asyncio")
            await c.valores_apurados_trabalhador_json("20000000001", "202510", "12345678901")
        return s.pedidos[-1]

    async def caso():
        corpo = (b'{"anoMes": "202510", "nissTrabalhador": 12345678901, "totalRemuneracao": 1000.00, '
                 b'"totalContribuicao": 347.50, "totalReducao": 0, "totalObrigacao": 347.50}')
        async with Servidor(lambda p, n: _ok(corpo)) as s:
            out = []
            for base in ("http://127.0.0.1:{porta}", "http://127.0.0.1:{porta}/psi/api"):
                out.append((await recebido("asyncio", base, s), await recebido("httpcore", base, s),
                            await recebido("httpx", base, s)))
            return out

    for rapido, httpcore, httpx_proprio in _correr(caso()):
        assert rapido == httpcore == httpx_proprio   # request line and every header, in the same order
        linhas = rapido.split(b"\r\n")
        assert linhas[0].startswith(b"GET /") and linhas[0].endswith(b"/trabalhador/12345678901 HTTP/1.1")
        assert linhas[1].startswith(b"Host: 127.0.0.1:")
        assert any(l.startswith(b"Authorization: Basic ") for l in linhas)


@pytest.mark.parametrize("semente", range(5))
def test_the_fast_path_target_is_what_httpx_would_send(semente):
    rng = random.Random(semente)
    for base in ("https://psi.example.pt", "https://psi.example.pt/", "https://psi.example.pt/api/v1",
                 "http://127.0.0.1:8443/a%20b"):
        prefixo = httpx.Request("GET", base + "/").url.raw_path[:-1]
        for _ in range(200):
            segs = ["".join(rng.choice(string.printable + "çãé/") for _ in range(rng.randint(1, 12)))
                    for _ in range(rng.randint(1, 4))]
            caminho = "/eeaoc/" + "/".join(_seg(x) for x in segs)
            if not _CAMINHO_SIMPLES.match(caminho):
                assert any("." in x for x in segs)  # quote leaves dots: such a path goes through httpx.Request
                continue
            assert prefixo + caminho.encode("ascii") == httpx.Request("GET", base + caminho).url.raw_path
    # what the pattern refuses goes through httpx.Request: a stray percent sign, dot segments, a query
    for caminho in ("/a/%zz", "/a/%2f", "/a/./b", "/a/../b", "/a?x=1", "/a b", "a/b", "/"):
        assert not _CAMINHO_SIMPLES.match(caminho)


def test_an_unknown_transport_setting_is_an_error_not_a_fallback(monkeypatch):
    monkeypatch.setenv("CICLO_TRANSPORTE_ASYNC", "aiohttp")
    with pytest.raises(ValueError, match="CICLO_TRANSPORTE_ASYNC"):
        AsyncPsiClient(resolver("https://psi.example.pt"), Credenciais("20000000001", password="x"))


def test_a_request_abandoned_on_a_write_timeout_is_not_sent_afterwards():
    """httpcore closes the connection of a request it gave up on: the rest of its bytes must not go out later
    (a POST recorded as failed must not arrive whole): the connection is aborted, as anyio's stream does."""
    corpo = bytes(32 * (1 << 20))
    recebidos = []

    async def ligacao(r, w):
        await r.readuntil(b"\r\n\r\n")
        await asyncio.sleep(1.0)   # reads nothing while the client's write times out
        n = 0
        try:
            while pedaco := await r.read(1 << 20):
                n += len(pedaco)
        except ConnectionError:
            pass
        recebidos.append(n)
        w.close()

    async def caso():
        srv = await asyncio.start_server(ligacao, "127.0.0.1", 0)
        porta = srv.sockets[0].getsockname()[1]
        t = _transporte()
        pedido = httpx.Request("POST", f"http://127.0.0.1:{porta}/grande", content=corpo,
                               extensions={"timeout": {"connect": 2.0, "read": 2.0, "write": 0.2, "pool": 2.0}})
        try:
            with pytest.raises(httpx.WriteTimeout):
                await t.handle_async_request(pedido)
        finally:
            await t.aclose()
        for _ in range(100):
            if recebidos:
                break
            await asyncio.sleep(0.05)
        srv.close()
        await srv.wait_closed()

    _correr(caso())
    assert recebidos and recebidos[0] < len(corpo)


def test_an_address_that_drops_packets_does_not_hold_the_connection(monkeypatch):
    """Happy Eyeballs (RFC 8305), as anyio's connect: the first address (an IPv6 route that goes nowhere, here an
    attempt that never completes) is left running while the next is tried 250 ms later; the first to connect is
    used and the other stopped."""
    import socket

    real = T._resolver
    paradas = []

    async def resolver(loop, host, port, tipo):
        v4 = await real(loop, "127.0.0.1", port, tipo)
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2001:db8::1", port, 0, 0))] + v4

    original = T._tentar

    async def tentar(loop, info, local_address):
        if info[0] == socket.AF_INET6:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                paradas.append(info[4][0])
                raise
        return await original(loop, info, local_address)

    monkeypatch.setattr(T, "_resolver", resolver)
    monkeypatch.setattr(T, "_tentar", tentar)

    async def caso():
        async with Servidor(lambda p, n: _ok()) as s:
            t = _transporte()
            inicio = asyncio.get_running_loop().time()
            r = await t.handle_async_request(_pedido(f"http://psi.test:{s.porta}/x"))
            demorou = asyncio.get_running_loop().time() - inicio
            await t.aclose()
            return r, demorou

    r, demorou = _correr(caso())
    assert r.json() == {"ok": True}
    assert T.ESCALONAR_S <= demorou < 1.5
    assert paradas == ["2001:db8::1"]


def test_no_address_answering_is_a_connect_timeout_and_every_attempt_stopped(monkeypatch):
    import socket

    paradas = []

    async def resolver(loop, host, port, tipo):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2001:db8::1", port, 0, 0)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port))]

    async def tentar(loop, info, local_address):
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            paradas.append(info[4][0])
            raise

    monkeypatch.setattr(T, "_resolver", resolver)
    monkeypatch.setattr(T, "_tentar", tentar)

    async def caso():
        t = _transporte()
        pedido = httpx.Request("GET", "http://psi.test:443/x",
                               extensions={"timeout": {"connect": 0.6, "read": 1.0, "write": 1.0, "pool": 1.0}})
        try:
            with pytest.raises(httpx.ConnectTimeout):
                await t.handle_async_request(pedido)
        finally:
            await t.aclose()
        await asyncio.sleep(0)

    _correr(caso())
    assert sorted(paradas) == ["192.0.2.1", "2001:db8::1"]


def test_a_fetch_cancelled_while_waiting_for_its_answer_is_cancelled_and_the_connection_dropped():
    async def caso():
        async with Servidor(lambda p, n: None if n == 1 else _ok(b'{"n": %d}' % n)) as s:
            t = _transporte()
            url = f"http://127.0.0.1:{s.porta}/x"
            tarefa = asyncio.ensure_future(t.handle_async_request(_pedido(url)))
            await asyncio.sleep(0.2)
            tarefa.cancel()
            with pytest.raises(asyncio.CancelledError):
                await tarefa
            r = await t.handle_async_request(_pedido(url))   # a new connection, not the abandoned one
            await t.aclose()
            return s, r

    s, r = _correr(caso())
    assert r.json() == {"n": 2} and s.ligacoes == 2


@pytest.mark.usefixtures("sem_proxy")
def test_a_document_naming_another_worker_or_month_is_never_taken_as_the_one_asked_for(monkeypatch):
    """Whatever sent it (a connection out of step, a proxy, the service), an answer naming another worker or month
    than the GET's is not this worker's document: the GET is tried again, and after the retries it fails saying
    so — on every path to the network."""
    from ciclo.psi import errors as E
    from ciclo.psi.rest import RetryPolicy

    def doc(niss: int, ano_mes: str = "202510") -> bytes:
        return (b'{"anoMes": "%s", "nissTrabalhador": %d, "totalRemuneracao": 1000.00, "totalContribuicao": 347.50, '
                b'"totalReducao": 0, "totalObrigacao": 347.50}' % (ano_mes.encode(), niss))

    async def caso(transporte: str):
        monkeypatch.setenv("CICLO_TRANSPORTE_ASYNC", transporte)
        respostas = {   # per worker, the answers in turn, the last one repeated
            "/trabalhador/12345678901": [doc(12345678902), doc(12345678901)],   # another's first, then its own
            "/trabalhador/12345678903": [doc(12345678903, "202509")],           # always another month
        }

        def responder(pedido: bytes, n: int) -> bytes:
            alvo = pedido.split(b" ")[1].decode()
            fila = next(v for k, v in respostas.items() if alvo.endswith(k))
            return _ok(fila.pop(0) if len(fila) > 1 else fila[0])

        async with Servidor(responder) as s:
            retry = RetryPolicy(attempts=3, timeout=10, wait_initial=0.01, wait_max=0.02, wait_jitter=0)
            async with AsyncPsiClient(resolver(f"http://127.0.0.1:{s.porta}"), Credenciais("20000000001", password="x"),
                                      retry=retry) as c:
                bom = await c.valores_apurados_trabalhador_json("20000000001", "202510", "12345678901")
                modelo = await c.valores_apurados_trabalhador("20000000001", "202510", "12345678901")
                with pytest.raises(E.PsiRetryableError, match="asked for worker 12345678903 in 202510, the answer "
                                                               "is worker 12345678903's in 202509"):
                    await c.valores_apurados_trabalhador_json("20000000001", "202510", "12345678903")
            return bom, modelo, len(s.pedidos)

    for transporte in ("asyncio", "httpcore", "httpx"):
        bom, modelo, pedidos = _correr(caso(transporte))
        assert bom["nissTrabalhador"] == 12345678901 and modelo.nissTrabalhador == 12345678901
        assert pedidos == 2 + 1 + 3   # the wrong worker's answer retried once; the wrong month's three times
