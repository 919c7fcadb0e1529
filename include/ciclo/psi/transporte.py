"""The async client's HTTP transport: httpcore's connection pool over asyncio's own transports, not anyio's.

What it replaces, and why (measured in docs/BENCHMARKS.md, "The fetch's network layer"): the bulk fetch of the
*valores apurados* is bound by the client's CPU per request on this 2-core machine, and a third of that CPU was
the glue between httpcore and the event loop rather than HTTP itself. httpx's default async transport reaches the
socket through httpcore's anyio backend: every read and write opens an ``anyio.fail_after`` cancel scope, every
check of an idle connection (``has_expired``, once per request) looks the socket up through anyio's typed
attributes, and anyio's stream layer (its own protocol, events and checkpoints) sits between httpcore and
asyncio's transport. Here:

* ``RedeAsyncio`` is an ``httpcore.AsyncNetworkBackend`` — httpcore's public interface for network backends
  (``AsyncConnectionPool(network_backend=...)``) — over ``loop.create_connection``: the event loop (uvloop where
  installed) reads the socket into a buffer as data arrives, a read takes what is there and waits only when
  nothing is, with a timer for its timeout; TLS by ``loop.start_tls``. Connecting tries the resolved addresses
  as anyio does (Happy Eyeballs, RFC 8305); closing aborts, as anyio does.
* ``TransporteAsyncio`` is an ``httpx.AsyncBaseTransport`` (httpx's public interface for transports) over that
  pool. It reads each answer whole before returning it (the clients read every answer whole anyway: JSON
  documents and the payment documents), so the answer's body is plain bytes, with no stream to drain and close.
  httpcore's exceptions become httpx's of the same name, as in httpx's own transport.

Same HTTP (httpcore's HTTP/1.1 connection and h11), same pool semantics, same timeouts (read, write, connect and
pool, from the request's ``timeout`` extension), same TLS context. Not for proxies: ``AsyncPsiClient`` keeps
httpx's own transport when a proxy applies. Under trio this backend does not run: the clients run on asyncio.
The async client's plain GETs go on ``ciclo.psi.http11``'s connections instead (the default, ``asyncio``);
``CICLO_TRANSPORTE_ASYNC=httpcore`` sends them through this transport too, ``httpx`` gives the client httpx's own.
"""

from __future__ import annotations

import asyncio
import os
import select
import ssl
import typing

import httpcore
import httpx

# a read returns at most this much; reading pauses above the high mark until the buffer is read below the low one
_ALTA = 1 << 20
_BAIXA = 1 << 16


def transporte_async() -> str:
    """From ``CICLO_TRANSPORTE_ASYNC``: ``asyncio`` (the default: this module's transport, and the plain GETs on
    ``ciclo.psi.http11``'s connections), ``httpcore`` (this module's transport for every request, the GETs
    included) or ``httpx`` (httpx's own); any other value is an error, not a fallback."""
    valor = os.environ.get("CICLO_TRANSPORTE_ASYNC", "asyncio").strip().lower() or "asyncio"
    if valor not in ("asyncio", "httpcore", "httpx"):
        raise ValueError(f"CICLO_TRANSPORTE_ASYNC={valor!r}: use 'asyncio' (the default), 'httpcore' or 'httpx'")
    return valor


def _legivel(sock) -> bool:
    """Whether the socket has something to read now (data, or the peer's end): a poll with no wait. No socket (or
    a closed one) counts as readable: its next read ends the stream, as httpcore's own backends treat it."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(0))


def _expirar(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError())


class _Protocolo(asyncio.Protocol):
    """What the event loop delivers for one connection: the bytes received, the end of the stream, and whether
    writing must wait (flow control)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transporte: asyncio.Transport | None = None
        self.buf = bytearray()
        self.fim = False
        self.erro: BaseException | None = None
        self.perdida = False
        self.leitura_pausada = False
        self.escrita_pausada = False
        self.espera_leitura: asyncio.Future | None = None
        self.espera_escrita: asyncio.Future | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transporte = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > _ALTA and not self.leitura_pausada and self.transporte is not None:
            self.leitura_pausada = True
            self.transporte.pause_reading()
        self._acordar_leitura()

    def eof_received(self):
        self.fim = True
        self._acordar_leitura()
        return False  # close the transport

    def connection_lost(self, exc) -> None:
        self.fim = True
        self.perdida = True
        self.erro = exc
        self._acordar_leitura()
        self._acordar_escrita()

    def pause_writing(self) -> None:
        self.escrita_pausada = True

    def resume_writing(self) -> None:
        self.escrita_pausada = False
        self._acordar_escrita()

    def _acordar_leitura(self) -> None:
        f = self.espera_leitura
        if f is not None and not f.done():
            f.set_result(None)

    def _acordar_escrita(self) -> None:
        f = self.espera_escrita
        if f is not None and not f.done():
            f.set_result(None)


async def _esperar(p: _Protocolo, atributo: str, timeout: float | None) -> None:
    fut = p.loop.create_future()
    setattr(p, atributo, fut)
    temporizador = p.loop.call_later(timeout, _expirar, fut) if timeout is not None else None
    try:
        await fut
    finally:
        setattr(p, atributo, None)
        if temporizador is not None:
            temporizador.cancel()


class _Fluxo(httpcore.AsyncNetworkStream):
    def __init__(self, protocolo: _Protocolo) -> None:
        self._p = protocolo

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._p
        if not p.buf and not p.fim:
            try:
                await _esperar(p, "espera_leitura", timeout)
            except TimeoutError:
                raise httpcore.ReadTimeout("timed out reading the answer") from None
        if p.buf:
            dados = bytes(p.buf[:max_bytes])
            del p.buf[:max_bytes]
            if p.leitura_pausada and len(p.buf) < _BAIXA and p.transporte is not None:
                p.leitura_pausada = False
                p.transporte.resume_reading()
            return dados
        if p.erro is not None:
            raise httpcore.ReadError(str(p.erro) or type(p.erro).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._p
        t = p.transporte
        if p.perdida or t is None or t.is_closing():
            raise httpcore.WriteError("the connection is closed")
        t.write(buffer)
        if p.escrita_pausada:
            try:
                await _esperar(p, "espera_escrita", timeout)
            except TimeoutError:
                raise httpcore.WriteTimeout("timed out writing the request") from None
            if p.perdida:
                raise httpcore.WriteError(str(p.erro or "the connection was lost while writing"))

    async def aclose(self) -> None:
        # abort, as anyio's socket stream does: httpcore closes a connection after a write timeout, a cancellation
        # or an error, and what is still buffered of a request it gave up on must not go out afterwards (close()
        # would send it first, and hold the socket until the peer reads it)
        t = self._p.transporte
        if t is not None:
            t.abort()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        p = self._p
        try:
            async with asyncio.timeout(timeout):   # not wait_for: on 3.11 it can swallow the task's cancellation
                novo = await p.loop.start_tls(p.transporte, p, ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        p.transporte = novo
        return _Fluxo(p)

    def get_extra_info(self, info: str) -> typing.Any:
        t = self._p.transporte
        if info == "is_readable":
            # an idle keep-alive connection the server closed or wrote on: the loop's reads (buffer, end) and
            # the socket's own (what the loop has not read yet), as httpcore's backends check
            p = self._p
            return bool(p.buf) or p.fim or t is None or t.is_closing() or \
                _legivel(t.get_extra_info("socket"))
        if t is None:
            return None
        if info == "ssl_object":
            return t.get_extra_info("ssl_object")
        if info == "client_addr":
            return t.get_extra_info("sockname")
        if info == "server_addr":
            return t.get_extra_info("peername")
        if info == "socket":
            return t.get_extra_info("socket")
        return None


# RFC 8305 (Happy Eyeballs v2) §5: the next address is tried this long after the last attempt started, the
# earlier attempts still running; anyio's connect_tcp, which httpx's transport uses, waits the same 250 ms
ESCALONAR_S = 0.25


def _intercalar(infos: list) -> list:
    """The resolved addresses alternating between families, the first family first (RFC 8305 §4)."""
    por_familia: dict = {}
    for info in infos:
        por_familia.setdefault(info[0], []).append(info)
    filas = list(por_familia.values())
    out = []
    while any(filas):
        for f in filas:
            if f:
                out.append(f.pop(0))
    return out


async def _tentar(loop, info, local_address: str | None):
    """One address: a connected non-blocking socket, or the error."""
    import socket

    familia, tipo, proto, _, endereco = info
    sock = socket.socket(familia, tipo, proto)
    try:
        sock.setblocking(False)
        if local_address:
            sock.bind((local_address, 0))
        await loop.sock_connect(sock, endereco)
    except BaseException:
        sock.close()
        raise
    return sock


async def _resolver(loop, host: str, port: int, tipo) -> list:
    return await loop.getaddrinfo(host, port, type=tipo)


def _fechar_se_ligou(t: asyncio.Task) -> None:
    if not t.cancelled() and t.exception() is None:
        t.result().close()


async def _ligar(loop, host: str, port: int, local_address: str | None):
    """A connected socket to ``host``: every resolved address tried, each ``ESCALONAR_S`` after the previous
    attempt started (or at once when it failed), the first that connects kept and the others stopped — what
    anyio's ``connect_tcp`` does, so that an address family that drops packets (an IPv6 route that goes
    nowhere) does not hold every new connection until its timeout. uvloop's ``create_connection`` has no such
    option, and asyncio's only tries the addresses one after another by default."""
    import socket

    infos = _intercalar(await _resolver(loop, host, port, socket.SOCK_STREAM))
    if not infos:
        raise OSError(f"{host} resolved to no address")
    proximas, pendentes, erros = list(infos), set(), []
    try:
        while proximas or pendentes:
            if proximas:
                pendentes.add(asyncio.ensure_future(_tentar(loop, proximas.pop(0), local_address)))
            feitas, pendentes = await asyncio.wait(pendentes, timeout=ESCALONAR_S if proximas else None,
                                                   return_when=asyncio.FIRST_COMPLETED)
            ligadas = [t.result() for t in feitas if t.exception() is None]
            erros += [t.exception() for t in feitas if t.exception() is not None]
            if ligadas:
                for sobra in ligadas[1:]:
                    sobra.close()
                return ligadas[0]
        raise OSError("; ".join(dict.fromkeys(str(e) for e in erros)) or f"could not connect to {host}:{port}")
    finally:
        for t in pendentes:   # the attempts still running: stopped, and closed should one connect meanwhile
            t.cancel()
            t.add_done_callback(_fechar_se_ligou)


class RedeAsyncio(httpcore.AsyncNetworkBackend):
    """httpcore's network backend over asyncio's transports (see the module)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: typing.Iterable | None = None) -> httpcore.AsyncNetworkStream:
        import socket

        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):   # not wait_for: on 3.11 it can swallow the task's cancellation
                sock = await _ligar(loop, host, port, local_address)
                try:
                    # TCP_NODELAY, as anyio and asyncio set on their TCP connections; then the caller's options
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    for opcao in socket_options or ():
                        sock.setsockopt(*opcao)
                    _, p = await loop.create_connection(lambda: _Protocolo(loop), sock=sock)
                except BaseException:
                    sock.close()
                    raise
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _Fluxo(p)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable | None = None) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, p = await loop.create_unix_connection(lambda: _Protocolo(loop), path)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _Fluxo(p)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _excecao_httpx(exc: Exception, pedido: httpx.Request | None) -> Exception:
    """httpx's exception of the same name (httpx's own transport maps them the same way, one to one)."""
    for cls in type(exc).__mro__:
        alvo = getattr(httpx, cls.__name__, None)
        if isinstance(alvo, type) and issubclass(alvo, httpx.TransportError):
            return alvo(str(exc), request=pedido) if issubclass(alvo, httpx.RequestError) else alvo(str(exc))
    return exc


class TransporteAsyncio(httpx.AsyncBaseTransport):
    """httpx's transport over httpcore's pool on ``RedeAsyncio``; each answer read whole (see the module)."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=RedeAsyncio())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        u = request.url
        pedido = httpcore.Request(
            method=request.method, url=httpcore.URL(scheme=u.raw_scheme, host=u.raw_host, port=u.port,
                                                    target=u.raw_path),
            headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        return await self._enviar(pedido, request)

    async def get(self, base: httpx.URL, alvo: bytes, cabecalhos: list[tuple[bytes, bytes]],
                  extensoes: dict) -> httpx.Response:
        """A GET of ``alvo`` (the request target: path and query, already encoded as it goes on the wire) at
        ``base``'s scheme, host and port, with these raw headers (``Host`` among them): what
        ``handle_async_request`` sends for the same ``httpx.Request``, without parsing its URL again — the bulk
        fetch's per-worker GET (``AsyncPsiClient._get_direto``). The answer carries no ``request``."""
        pedido = httpcore.Request(method=b"GET", url=httpcore.URL(scheme=base.raw_scheme, host=base.raw_host,
                                                                  port=base.port, target=alvo),
                                  headers=cabecalhos, extensions=extensoes)
        return await self._enviar(pedido, None)

    async def _enviar(self, pedido: httpcore.Request, request: httpx.Request | None) -> httpx.Response:
        try:
            r = await self._pool.handle_async_request(pedido)
            try:
                corpo = b"".join([parte async for parte in r.stream])  # type: ignore[union-attr]
            finally:
                await r.aclose()
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                httpcore.UnsupportedProtocol, httpcore.ProxyError) as exc:
            raise _excecao_httpx(exc, request) from exc
        return httpx.Response(r.status, headers=r.headers, content=corpo, extensions=r.extensions, request=request)

    async def aclose(self) -> None:
        await self._pool.aclose()
