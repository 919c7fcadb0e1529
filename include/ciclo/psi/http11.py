"""The bulk fetch's GETs over keep-alive HTTP/1.1 connections of its own, the answers framed by llhttp (httptools).

Why (docs/BENCHMARKS.md, "The fetch's HTTP client"): the fetch of the *valores apurados* — one GET per worker,
tens of thousands per employer — is bound by the client's CPU per request on a 2-core machine. Through httpcore
(``ciclo.psi.transporte``) a GET cost ≈0.85 ms of CPU; most of it is httpcore's pool and connection state machine
and h11, all pure Python, around a request of 400 bytes and an answer of 700. Here a GET is one write of
prepared bytes, and its answer is framed by llhttp (Node.js's HTTP parser, in C: ``httptools``, the parser uvicorn
serves with, already installed with it) as the bytes arrive.

What it does, and what keeps one worker's answer from ever reaching another's request:

* **one request at a time per connection**, never pipelined; a connection goes back to the pool only when its
  answer was complete (llhttp's end of message), the answer allowed keep-alive, and nothing else arrived after
  it. Bytes that arrive while no request waits on the connection, an answer cut short, a parser error, a timeout
  or a cancelled request: the connection is closed (aborted), never reused;
* an answer's end is what llhttp says: ``Content-Length``, chunked transfer coding, or — neither given — the
  server's close (RFC 9112 §6.3); informational answers (1xx) before the final one are skipped, as h11 does;
* the connections: at most ``max_connections`` open or opening at once; a request waits for one at most the
  ``pool`` timeout (``httpx.PoolTimeout``); an idle connection is reused newest first, unless the server closed
  or wrote on it meanwhile (the event loop's callbacks and a poll of the socket, as httpcore checks) or it idled
  longer than ``keepalive_expiry``;
* timeouts as httpcore's: ``connect`` (TCP and TLS), ``write`` (when the socket's buffer is full), ``read``
  (the longest wait without a byte of the answer), ``pool``; errors as httpx's transport raises them
  (``ConnectError``, ``ConnectTimeout``, ``ReadTimeout``, ``WriteTimeout``, ``PoolTimeout``, ``ReadError``,
  ``RemoteProtocolError`` — a server that closes a reused connection before answering, as httpcore says it);
  the answer comes back as an ``httpx.Response`` read whole (``Content-Encoding`` decoded by httpx).

GETs only: the fetch's client (``AsyncPsiClient``) sends its other requests, if any, through httpx. Connecting
reuses ``ciclo.psi.transporte``'s Happy Eyeballs (``_ligar``); TLS by the event loop with the client's context.
``CICLO_TRANSPORTE_ASYNC=httpcore`` sends the GETs through httpcore as before (``ciclo.psi.transporte``).
"""

from __future__ import annotations

import asyncio
import collections
import socket
import ssl

import httptools
import httpx

from ciclo.psi.transporte import _esperar, _legivel, _ligar


class _Falha(Exception):
    """An answer that did not come whole: carries the httpx exception class to raise."""

    def __init__(self, cls: type[httpx.TransportError], mensagem: str):
        super().__init__(mensagem)
        self.cls = cls


class _Ligacao(asyncio.Protocol):
    """One keep-alive connection, one request at a time: llhttp frames the answer as the bytes arrive."""

    __slots__ = ("loop", "transporte", "parser", "espera", "cabecalhos", "corpo", "razao", "status",
                 "reutilizavel", "fechada", "escrita_pausada", "espera_escrita", "ultima", "ociosa_desde",
                 "delimitada", "comecou", "no_corpo", "versao", "_tempo_leitura", "_temporizador")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transporte: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.espera: asyncio.Future | None = None   # the request waiting on this connection's answer
        self.cabecalhos: list[tuple[bytes, bytes]] = []
        self.corpo: list[bytes] = []
        self.razao = b""
        self.status = 0
        self.delimitada = False        # the answer says where it ends (Content-Length or chunked)
        self.reutilizavel = False      # the last answer came whole, allowed keep-alive, nothing after it
        self.fechada = False
        self.escrita_pausada = False
        self.espera_escrita: asyncio.Future | None = None
        self.ultima = 0.0              # loop time of the last byte received (the read timeout counts from it)
        self.ociosa_desde = 0.0
        self._tempo_leitura: float | None = None
        self._temporizador: asyncio.TimerHandle | None = None
        self.comecou = False           # the answer's first byte came
        self.no_corpo = False          # the answer's head is over: header lines now are a chunked body's trailers
        self.versao = b"HTTP/1.1"      # the answer's own, as its status line says

    # ----------------------------------------------------------------- the event loop's side
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transporte = transport

    def data_received(self, data: bytes) -> None:
        if self.espera is None:
            # bytes no request asked for (after a complete answer, or on an idle connection): never read as the
            # next request's answer
            self._falhar(_Falha(httpx.RemoteProtocolError, "the server sent data no request asked for"))
            return
        self.ultima = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._falhar(_Falha(httpx.RemoteProtocolError, "the server switched protocols"))
        except httptools.HttpParserError as exc:
            self._falhar(_Falha(httpx.RemoteProtocolError, f"malformed answer: {exc}"))

    def eof_received(self):
        self._fim_do_fluxo(None)
        return False   # close the transport

    def connection_lost(self, exc) -> None:
        self._fim_do_fluxo(exc)
        f = self.espera_escrita
        if f is not None and not f.done():
            f.set_result(None)

    def pause_writing(self) -> None:
        self.escrita_pausada = True

    def resume_writing(self) -> None:
        self.escrita_pausada = False
        f = self.espera_escrita
        if f is not None and not f.done():
            f.set_result(None)

    # ----------------------------------------------------------------- llhttp's callbacks
    def on_message_begin(self) -> None:
        if self.espera is None:   # a second answer in the same bytes as the one just completed
            raise httptools.HttpParserError("an answer no request asked for")
        self.comecou = True
        self.no_corpo = False
        self.cabecalhos = []
        self.corpo = []
        self.razao = b""

    def on_status(self, razao: bytes) -> None:
        self.razao += razao

    def on_header(self, nome: bytes, valor: bytes) -> None:
        if not self.no_corpo:   # a chunked body's trailers are dropped, as httpcore drops them: never headers
            self.cabecalhos.append((nome, valor))

    def on_headers_complete(self) -> None:
        self.no_corpo = True
        self.status = self.parser.get_status_code()
        self.versao = b"HTTP/" + self.parser.get_http_version().encode("ascii")
        self.delimitada = any(n.lower() in (b"content-length", b"transfer-encoding") for n, _ in self.cabecalhos)

    def on_body(self, dados: bytes) -> None:
        self.corpo.append(dados)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:   # informational (100 Continue, 103 Early Hints): the final answer follows
            return
        self.reutilizavel = self.parser.should_keep_alive()
        self._acabar(None)

    # ----------------------------------------------------------------- ending
    def _fim_do_fluxo(self, exc: BaseException | None) -> None:
        self.fechada = True
        self.reutilizavel = False
        if self.espera is None:
            return
        if exc is None and self.status >= 200 and not self.delimitada:
            # no Content-Length, not chunked: the answer ends with the connection (RFC 9112 §6.3, item 8)
            self._acabar(None)
            return
        if self.comecou:
            falha = _Falha(httpx.RemoteProtocolError, "the server closed the connection in the middle of its answer")
        elif exc is not None:
            falha = _Falha(httpx.ReadError, str(exc) or type(exc).__name__)
        else:
            falha = _Falha(httpx.RemoteProtocolError, "Server disconnected without sending a response.")
        self._acabar(falha)

    def _falhar(self, falha: _Falha) -> None:
        """The connection cannot carry another answer: closed now, and the request waiting on it fails."""
        self.fechada = True
        self.reutilizavel = False
        if self.transporte is not None:
            self.transporte.abort()
        self._acabar(falha)

    def _acabar(self, falha: _Falha | None) -> None:
        """The request waiting on this connection is answered (its answer whole: None) or fails (``falha``)."""
        f, self.espera = self.espera, None
        self._parar_temporizador()
        if f is not None and not f.done():
            if falha is None:
                f.set_result(None)
            else:
                f.set_exception(falha)

    def fechar(self) -> None:
        self.fechada = True
        self.reutilizavel = False
        f, self.espera = self.espera, None   # a request given up on (cancelled, timed out): nobody waits for it
        if f is not None and not f.done():
            f.cancel()
        self._parar_temporizador()
        if self.transporte is not None:
            self.transporte.abort()   # as httpcore's backends do: nothing still buffered goes out afterwards

    # ----------------------------------------------------------------- the read timeout: bytes must keep coming
    def _parar_temporizador(self) -> None:
        if self._temporizador is not None:
            self._temporizador.cancel()
            self._temporizador = None

    def _verificar_leitura(self) -> None:
        self._temporizador = None
        if self.espera is None or self._tempo_leitura is None:
            return
        falta = self.ultima + self._tempo_leitura - self.loop.time()
        if falta > 0:
            self._temporizador = self.loop.call_later(falta, self._verificar_leitura)
            return
        self._falhar(_Falha(httpx.ReadTimeout, "timed out reading the answer"))

    # ----------------------------------------------------------------- one request
    def usavel(self, agora: float, expira: float | None) -> bool:
        """An idle connection that can carry the next request: open, not expired, nothing read from it."""
        if self.fechada or not self.reutilizavel or self.transporte is None or self.transporte.is_closing():
            return False
        if expira is not None and agora - self.ociosa_desde >= expira:
            return False
        return not _legivel(self.transporte.get_extra_info("socket"))

    async def pedir(self, dados: bytes, leitura: float | None, escrita: float | None) -> httpx.Response:
        loop = self.loop
        t = self.transporte
        if self.fechada or t is None or t.is_closing():
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        self.reutilizavel = False
        self.status = 0
        self.delimitada = False
        self.comecou = False
        f = self.espera = loop.create_future()
        self.ultima = loop.time()
        self._tempo_leitura = leitura
        t.write(dados)
        if self.escrita_pausada:
            await self._esperar_escrita(escrita)
        if leitura is not None and not f.done():
            self._temporizador = loop.call_later(leitura, self._verificar_leitura)
        try:
            await f
        except _Falha as falha:
            raise falha.cls(str(falha)) from None
        return httpx.Response(self.status, headers=self.cabecalhos, content=b"".join(self.corpo),
                              extensions={"http_version": self.versao, "reason_phrase": self.razao})

    async def _esperar_escrita(self, escrita: float | None) -> None:
        try:
            await _esperar(self, "espera_escrita", escrita)   # transporte's wait: resume_writing or the timer
        except TimeoutError:
            raise httpx.WriteTimeout("timed out writing the request") from None
        if self.fechada and self.espera is not None and not self.espera.done():
            raise httpx.WriteError("the connection was lost while writing")


class PoolHttp11:
    """Keep-alive HTTP/1.1 connections to one origin (``base``'s scheme, host and port) for GETs (see the module).

    ``get(alvo, cabecalhos, timeouts)``: ``alvo`` the request target as it goes on the wire (path and query,
    encoded), ``cabecalhos`` the raw header lines (``Host`` among them, as httpx sends them), ``timeouts`` httpx's
    timeout extension (``connect``, ``read``, ``write``, ``pool``; None: no limit)."""

    def __init__(self, base: httpx.URL, *, ssl_context: ssl.SSLContext, max_connections: int,
                 keepalive_expiry: float | None = 5.0) -> None:
        if base.scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme {base.scheme!r}")
        self._host = base.host
        self._porta = base.port or (443 if base.scheme == "https" else 80)
        self._ssl = ssl_context if base.scheme == "https" else None
        self._max = max(1, int(max_connections))
        self._expira = keepalive_expiry
        self._livres: list[_Ligacao] = []
        self._abertas = 0   # open or opening, idle or busy: never above max_connections
        self._fila: collections.deque[asyncio.Future] = collections.deque()
        self._cabecalhos: tuple | None = None
        self._bloco = b""
        self._fechado = False
        self.ligacoes_abertas = 0   # connections opened in all (tests and benchmarks read it)

    def _linhas(self, cabecalhos: list[tuple[bytes, bytes]]) -> bytes:
        chave = tuple(cabecalhos)
        if chave != self._cabecalhos:
            for n, v in cabecalhos:
                if any(c in n + v for c in (b"\r", b"\n")):
                    raise httpx.LocalProtocolError("a header with a line break")
            self._bloco = b"".join(n + b": " + v + b"\r\n" for n, v in cabecalhos) + b"\r\n"
            self._cabecalhos = chave
        return self._bloco

    async def get(self, alvo: bytes, cabecalhos: list[tuple[bytes, bytes]], timeouts: dict) -> httpx.Response:
        if any(c in alvo for c in b" \r\n") or not alvo.startswith(b"/"):
            raise httpx.LocalProtocolError("invalid request target")
        dados = b"GET " + alvo + b" HTTP/1.1\r\n" + self._linhas(cabecalhos)
        c = await self._obter(timeouts.get("connect"), timeouts.get("pool"))
        try:
            r = await c.pedir(dados, timeouts.get("read"), timeouts.get("write"))
        except BaseException:
            self._devolver(c, False)
            raise
        self._devolver(c, c.reutilizavel and not c.fechada)
        return r

    # ----------------------------------------------------------------- the pool
    async def _obter(self, ligar: float | None, espera: float | None) -> _Ligacao:
        if self._fechado:
            raise httpx.ConnectError("the connection pool is closed")
        loop = asyncio.get_running_loop()
        agora = loop.time()
        while self._livres:
            c = self._livres.pop()
            if c.usavel(agora, self._expira):
                return c
            c.fechar()
            self._abertas -= 1
        if self._abertas < self._max:
            self._abertas += 1
            return await self._abrir(loop, ligar)
        f = loop.create_future()
        self._fila.append(f)
        try:
            async with asyncio.timeout(espera):
                c = await f
        except BaseException as exc:
            if f.done() and not f.cancelled() and f.exception() is None:
                # handed a connection (or a slot) just as this request gave up: pass it on
                self._passar(f.result())
            else:
                f.cancel()
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("timed out waiting for a free connection") from None
            raise
        if c is not None and not c.usavel(loop.time(), self._expira):
            # handed over when its last answer ended, checked now, in the step that writes on it: the server may
            # have closed it or written on it meanwhile (as an idle connection is checked when taken)
            c.fechar()
            c = None
        if c is None:   # a slot freed by a connection closed: open a new one in it
            return await self._abrir(loop, ligar)
        return c

    async def _abrir(self, loop, ligar: float | None) -> _Ligacao:
        """A new connection, in a slot already counted in ``_abertas`` (given back when it fails)."""
        sock = None
        try:
            try:
                async with asyncio.timeout(ligar):
                    sock = await _ligar(loop, self._host, self._porta, None)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    kw = {"ssl": self._ssl, "server_hostname": self._host} if self._ssl is not None else {}
                    _, c = await loop.create_connection(lambda: _Ligacao(loop), sock=sock, **kw)
            except TimeoutError:
                raise httpx.ConnectTimeout(f"timed out connecting to {self._host}:{self._porta}") from None
            except (OSError, ssl.SSLError) as exc:
                raise httpx.ConnectError(str(exc)) from exc
        except BaseException:
            if sock is not None:
                sock.close()
            self._passar(None)
            raise
        self.ligacoes_abertas += 1
        c.reutilizavel = True
        return c   # type: ignore[return-value]

    def _devolver(self, c: _Ligacao, reutilizar: bool) -> None:
        if reutilizar and not self._fechado:
            c.ociosa_desde = c.loop.time()
            self._passar(c)
        else:
            c.fechar()
            self._passar(None)

    def _passar(self, c: _Ligacao | None) -> None:
        """A connection (or, None, the slot of one closed) to the first request still waiting; else kept idle (or
        the slot freed)."""
        while self._fila:
            f = self._fila.popleft()
            if not f.done():
                f.set_result(c)
                return
        if c is None:
            self._abertas -= 1
        elif self._fechado:
            c.fechar()
            self._abertas -= 1
        else:
            self._livres.append(c)

    async def aclose(self) -> None:
        self._fechado = True
        while self._livres:
            self._livres.pop().fechar()
            self._abertas -= 1
        while self._fila:
            f = self._fila.popleft()
            if not f.done():
                f.set_exception(httpx.ConnectError("the connection pool is closed"))
