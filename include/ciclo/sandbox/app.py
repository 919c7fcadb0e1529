"""The sandbox's ASGI app: PSI REST routes (same paths as production), admin API under ``/_sandbox/``,
an outer ASGI middleware for fault injection and the request log (covers every route, SOAP included),
and the background apuramento scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from decimal import Decimal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ciclo.domain.niss import formato_valido
from ciclo.sandbox import jsonout, validacao as val
from ciclo.sandbox.store import AuthError, Store
from ciclo.sandbox.validacao import ErroPedido

log = logging.getLogger("ciclo.sandbox")

REST = "/ptss/rest"
EEAOC = f"{REST}/eeaoc"
MSG_403 = "Operação não permitida. O NISS autenticado não tem permissão para a entidade empregadora indicada."
_DEFAULT_MSG = {400: "Pedido inválido.", 401: "Credenciais inválidas.", 403: MSG_403, 404: "Recurso não encontrado.",
                405: "Método não permitido.", 429: "Demasiados pedidos.", 500: "Erro interno do servidor",
                501: "Não disponível no sandbox.", 503: "Serviço temporariamente indisponível.",
                504: "Tempo de resposta excedido."}
_JSON = "application/json"


def J(obj, status: int = 200, headers: dict | None = None) -> Response:
    return Response(jsonout.dumps(obj), status_code=status, media_type=_JSON, headers=headers)


def erro(code: int, message: str | None = None, headers: dict | None = None) -> Response:
    return J({"code": code, "message": message or _DEFAULT_MSG.get(code, "Erro.")}, code, headers)


class ApiError(Exception):
    def __init__(self, code: int, message: str | None = None, *, codigo: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message or _DEFAULT_MSG.get(code, "Erro.")
        self.codigo = codigo  # a ci/ codigoResultado to carry next to {code, message}


# ------------------------------------------------------------------------------------------ faults
_HOT = re.compile(r"^/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/([^/]+)/ano-mes/([^/]+)/trabalhador/([^/]+)$")
_MODES = ("latency", "error", "hang", "lost_ack")


def parse_fault(f: dict, fid: int) -> dict:
    if not isinstance(f, dict):
        raise ErroPedido("Corpo do pedido inválido: cada falha tem de ser um objeto")
    mode = f.get("mode")
    if mode is None:
        mode = ("lost_ack" if f.get("lost_ack") else "hang" if "hang_seconds" in f or "seconds" in f
                else "error" if "status" in f or "error_rate" in f else "latency")
    if mode not in _MODES:
        raise ErroPedido(f"Modo de falha inválido: {mode} (use {', '.join(_MODES)})")
    try:
        rx = re.compile(f.get("path") or ".*")
    except re.error as exc:
        raise ErroPedido(f"Expressão regular inválida: {exc}") from None
    status = int(f.get("status", 503))
    if mode == "error" and status not in (500, 503, 429):
        raise ErroPedido("status tem de ser 500, 503 ou 429")
    times = f.get("times")
    return {
        "id": fid, "mode": mode, "method": (f.get("method") or "*").upper(), "path": rx.pattern, "_rx": rx,
        "latency_ms": float(f.get("latency_ms", 0)), "jitter_ms": float(f.get("jitter_ms", 0)),
        "rate": float(f.get("rate", f.get("error_rate", 1.0))), "status": status,
        "retry_after": int(f.get("retry_after", 1)),
        "hang_seconds": float(f.get("hang_seconds", f.get("seconds", 120))),
        "times": None if times is None else int(times),
    }


def fault_public(f: dict) -> dict:
    return {k: v for k, v in f.items() if not k.startswith("_")}


class SandboxMiddleware:
    """Fault injection + request log for every non-admin route (REST and SOAP)."""

    def __init__(self, app, store: Store):
        self.app = app
        self.store = store

    def _matching(self, method: str, path: str) -> list[dict]:
        out = []
        for f in self.store.faults:
            if f["times"] is not None and f["times"] <= 0:
                continue
            if f["method"] not in ("*", method):
                continue
            if not f["_rx"].search(path):
                continue
            if f["rate"] < 1.0 and random.random() >= f["rate"]:
                continue
            out.append(f)
        return out

    def _consume(self, f: dict) -> None:
        if f["times"] is not None:
            f["times"] -= 1
            if f["times"] <= 0:
                with contextlib.suppress(ValueError):
                    self.store.faults.remove(f)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith("/_sandbox/"):
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        method = scope["method"]
        st = [0]

        async def send_status(msg):
            if msg["type"] == "http.response.start":
                st[0] = msg["status"]
            await send(msg)

        try:
            faults = self._matching(method, path) if self.store.faults else ()
            acao = None
            for f in faults:
                self._consume(f)
                if f["mode"] == "latency":
                    atraso = f["latency_ms"] + (random.uniform(0, f["jitter_ms"]) if f["jitter_ms"] else 0)
                    await asyncio.sleep(atraso / 1000)
                elif acao is None:
                    acao = f
            if acao is None:
                m = _HOT.match(path) if method == "GET" else None
                if m is not None:
                    await self._hot(m, scope, send_status)
                else:
                    await self.app(scope, receive, send_status)
            elif acao["mode"] == "error":
                hdrs = {"Retry-After": str(acao["retry_after"])} if acao["status"] in (429, 503) else None
                await erro(acao["status"], headers=hdrs)(scope, receive, send_status)
            elif acao["mode"] == "hang":
                await self._hang(acao["hang_seconds"], scope, receive, send_status)
            else:  # lost_ack
                await self._lost_ack(scope, receive, send, st)
        finally:
            self.store.log_request(method, path, scope.get("query_string", b"").decode("latin-1"), st[0],
                                   scope.get("ciclo_niss"), (time.perf_counter() - t0) * 1000)

    async def _hot(self, m: re.Match, scope, send) -> None:
        """Fast path for the per-worker valores apurados GET (the hot endpoint): the same checks and answers as
        the FastAPI route, without routing/dependency overhead. The body is a pre-rendered JSON row."""
        auth = None
        for k, v in scope["headers"]:
            if k == b"authorization":
                auth = v.decode("latin-1")
                break
        niss_ee, ano_mes, niss_trab = m.group(1), m.group(2), m.group(3)
        try:
            niss = self.store.autenticar_header(auth)
            scope["ciclo_niss"] = niss
            val.niss_ee(niss_ee)
            if not self.store.pode_agir(niss, niss_ee):
                raise ApiError(403)
            am = str(val.ano_mes(ano_mes))
            val.niss_trab(niss_trab)
            corpo = self.store.apurado_trabalhador(niss_ee, am, niss_trab)
            body = (corpo if corpo is not None else "[]").encode()
            status = 200
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        except (AuthError, ApiError, ErroPedido) as exc:
            status, msg = exc.code, exc.message
            body = jsonout.dumps({"code": status, "message": msg}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            if status == 401:
                headers.append((b"www-authenticate", b'Basic realm="PSI"'))
        except Exception:  # noqa: BLE001 - same shape as the app's 500 handler, no traceback in the body
            log.exception("internal error on the per-worker apurados fast path")
            status = 500
            body = jsonout.dumps({"code": 500, "message": _DEFAULT_MSG[500]}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _hang(self, seconds: float, scope, receive, send):
        async def desligado():
            while True:
                m = await receive()
                if m["type"] == "http.disconnect":
                    return True

        disc = asyncio.ensure_future(desligado())
        try:
            done, _ = await asyncio.wait({disc}, timeout=seconds)
        finally:
            disc.cancel()
        if not done:
            await erro(504)(scope, receive, send)

    async def _lost_ack(self, scope, receive, send, st):
        """Process and commit the request, then send headers with a Content-Length larger than the body and stop:
        the client sees a transport error (e.g. httpx.RemoteProtocolError), never an HTTP status."""
        inicio: dict = {}
        corpo: list[bytes] = []

        async def captura(msg):
            if msg["type"] == "http.response.start":
                inicio.update(msg)
            elif msg["type"] == "http.response.body":
                corpo.append(msg.get("body", b""))

        await self.app(scope, receive, captura)  # the handler commits before returning
        body = b"".join(corpo)
        st[0] = int(inicio.get("status", 200))
        headers = [(k, v) for k, v in inicio.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body) + 4096).encode()))
        await send({"type": "http.response.start", "status": inicio.get("status", 200), "headers": headers})
        try:
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": False})
        except RuntimeError:
            pass  # uvicorn refuses the short body and closes the connection: exactly the lost acknowledgement


# ------------------------------------------------------------------------------------------ app
def create_app(store: Store) -> FastAPI:
    async def scheduler():
        while True:
            try:
                devidos, _ = store.apuramentos_devidos()
                for ee, am in devidos:
                    store.apurar(ee, am)
                    await asyncio.sleep(0)
            except Exception:  # noqa: BLE001 - keep the scheduler alive
                log.exception("apuramento failed")
            await asyncio.sleep(0.2)

    async def flusher():
        while True:
            await asyncio.sleep(1.0)
            try:
                store.flush_log()
            except Exception:  # noqa: BLE001
                log.exception("request log flush failed")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        tasks = [asyncio.create_task(scheduler()), asyncio.create_task(flusher())]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            store.close()

    app = FastAPI(title="PSI sandbox", lifespan=lifespan, docs_url="/_sandbox/docs", redoc_url=None,
                  openapi_url="/_sandbox/openapi.json")
    app.state.store = store

    # ---------------------------------------------------------------- error shapes
    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        hdrs = {"WWW-Authenticate": 'Basic realm="PSI"'} if exc.code == 401 else None
        if exc.codigo is not None:
            return J({"code": exc.code, "message": exc.message, "codigoResultado": exc.codigo}, exc.code, hdrs)
        return erro(exc.code, exc.message, hdrs)

    @app.exception_handler(ErroPedido)
    async def _erro_pedido(request, exc: ErroPedido):
        return erro(exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException):
        msg = exc.detail if isinstance(exc.detail, str) and exc.detail not in (
            "Not Found", "Method Not Allowed", "Unauthorized", "Forbidden", "Bad Request", "Internal Server Error") else None
        return erro(exc.status_code, msg, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request, exc: RequestValidationError):
        errs = exc.errors()
        det = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in errs[:3])
        return erro(400, f"Pedido inválido: {det}")

    @app.exception_handler(Exception)
    async def _internal(request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return erro(500)

    # ---------------------------------------------------------------- helpers
    def autenticar(request: Request) -> str:
        try:
            niss = store.autenticar_header(request.headers.get("authorization"))
        except AuthError as exc:
            raise ApiError(401, exc.message) from None
        request.scope["ciclo_niss"] = niss
        return niss

    def acesso(request: Request, niss_ee) -> str:
        """401 → 400 (EE NISS format) → 403, in that order. Returns the EE NISS."""
        niss = autenticar(request)
        ee = val.niss_ee(niss_ee)
        if not store.pode_agir(niss, ee):
            raise ApiError(403)
        return ee

    async def corpo_json(request: Request):
        raw = await request.body()
        if not raw.strip():
            raise ErroPedido("Corpo do pedido inválido: corpo vazio")
        try:
            return raw, jsonout.loads(raw)
        except ValueError as exc:
            raise ErroPedido(f"Corpo do pedido inválido: {exc}") from None

    def q_ano_mes(request: Request) -> str | None:
        am = request.query_params.get("anoMes")
        return str(val.ano_mes(am)) if am is not None else None

    # ---------------------------------------------------------------- eeaoc: valores de remuneração / comunicados
    @app.post(f"{EEAOC}/valores-remuneracao/entidade-empregadora/{{niss_ee}}")
    async def enviar_valores(niss_ee: str, request: Request):
        niss = autenticar(request)
        ee = val.niss_ee(niss_ee)
        if not store.pode_agir(niss, ee):
            raise ApiError(403)
        raw, body = await corpo_json(request)
        norm = val.valores_remuneracao(body)
        comp = store.submeter(ee, norm, raw, niss)
        return J({"comprovativoEntrega": comp})

    @app.get(f"{EEAOC}/valores-comunicados/entidade-empregadora/{{niss_ee}}")
    async def por_processar(niss_ee: str, request: Request):
        ee = acesso(request, niss_ee)
        estado = request.query_params.get("estado")
        if estado is not None and estado not in ("EM_PROCESSAMENTO", "PROCESSADO"):
            raise ErroPedido(f"Estado inválido: {estado}")
        lista = store.comprovativos_lista(ee, estado, q_ano_mes(request))
        return J({"semAlertas": [c["comprovativoEntrega"] for c in lista if not c["comAlertas"]],
                  "comAlertas": [c["comprovativoEntrega"] for c in lista if c["comAlertas"]]})

    @app.get(f"{EEAOC}/valores-comunicados/entidade-empregadora/{{niss_ee}}/comprovativo")
    async def comprovativos(niss_ee: str, request: Request):
        ee = acesso(request, niss_ee)
        return J(store.comprovativos_lista(ee, None, q_ano_mes(request)))

    @app.get(f"{EEAOC}/valores-comunicados/entidade-empregadora/{{niss_ee}}/comprovativo/{{comp}}")
    async def comprovativo(niss_ee: str, comp: str, request: Request):
        ee = acesso(request, niss_ee)
        c = store.comprovativo(ee, comp)
        if c is None:
            raise ApiError(404, "Comprovativo de entrega não encontrado.")
        return J(c)

    @app.get(f"{EEAOC}/valores-comunicados/entidade-empregadora/{{niss_ee}}/alertas")
    async def alertas(niss_ee: str, request: Request):
        ee = acesso(request, niss_ee)
        return J(store.alertas(ee, q_ano_mes(request)))

    # ---------------------------------------------------------------- eeaoc: valores apurados
    @app.get(f"{EEAOC}/valores-apurados/entidade-empregadora/{{niss_ee}}/ano-mes/{{ano_mes}}/trabalhador/{{niss_trab}}")
    async def apurado_trabalhador(niss_ee: str, ano_mes: str, niss_trab: str, request: Request):
        ee = acesso(request, niss_ee)
        am = str(val.ano_mes(ano_mes))
        nt = val.niss_trab(niss_trab)
        corpo = store.apurado_trabalhador(ee, am, nt)
        return Response(corpo if corpo is not None else "[]", media_type=_JSON)

    @app.get(f"{EEAOC}/valores-apurados/entidade-empregadora/{{niss_ee}}/mensal/ano-mes/{{ano_mes}}")
    async def mensal(niss_ee: str, ano_mes: str, request: Request):
        ee = acesso(request, niss_ee)
        return J(store.mensal(ee, str(val.ano_mes(ano_mes))))

    @app.get(f"{EEAOC}/valores-apurados/entidade-empregadora/{{niss_ee}}/anual/{{ano}}")
    async def anual(niss_ee: str, ano: str, request: Request):
        ee = acesso(request, niss_ee)
        if not re.fullmatch(r"[0-9]{4}", ano) or int(ano) < 1900:
            raise ErroPedido(val.MSG_ANO)
        return J(store.anual(ee, ano))

    @app.get(f"{EEAOC}/entidade-empregadora/{{niss_ee}}/ano-mes/{{ano_mes}}/trabalhador")
    async def obrigacao_trabalhadores(niss_ee: str, ano_mes: str, request: Request):
        ee = acesso(request, niss_ee)
        return J(store.obrigacao_trabalhadores(ee, str(val.ano_mes(ano_mes))))

    @app.post(f"{EEAOC}/obrigacao-contributiva/entidade-empregadora/{{niss_ee}}/confirmar")
    async def confirmar(niss_ee: str, request: Request):
        ee = acesso(request, niss_ee)
        _, body = await corpo_json(request)
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
        am = str(val.ano_mes(body.get("anoMes")))
        return J(store.confirmar(ee, am))

    @app.get(f"{EEAOC}/avisos/{{niss_ee}}")
    async def avisos(niss_ee: str, request: Request):
        ee = acesso(request, niss_ee)
        return J(store.avisos(ee))

    from ciclo.sandbox.pedidos import make_pedidos_router  # Pedidos (art. 26.º corrections), before the catch-all
    app.include_router(make_pedidos_router(store))

    # ---------------------------------------------------------------- out of scope (paths exist)
    @app.api_route(f"{EEAOC}/ficheiros/{{resto:path}}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def nao_disponivel(resto: str):
        return erro(501)

    # ---------------------------------------------------------------- ci: payment documents
    # docs/psi-contract.md §ci (PUBLIC-CLIENT): the employer is the authenticated NISS, or the ``niss-representado``
    # a representative names; a NISS that may not act for it → 403 with codigoResultado 7 (no valid representation).
    CI = f"{REST}/ci"

    def ee_ci(request: Request) -> str:
        niss = autenticar(request)
        rep = request.query_params.get("niss-representado")
        if rep is None:
            return niss
        if not formato_valido(rep):
            raise ApiError(400, "NISS inválido.", codigo=8)
        if not store.pode_agir(niss, rep):
            raise ApiError(403, "Sem representação válida.", codigo=7)
        return rep

    @app.post(f"{CI}/documento-pagamento/pedido-emissao")
    async def pedido_emissao(request: Request):
        ee = ee_ci(request)
        _, body = await corpo_json(request)
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
        ambito = body.get("ambito")
        if isinstance(ambito, str) and ambito.isdigit():
            ambito = int(ambito)
        if isinstance(ambito, bool) or not isinstance(ambito, int) or not 11 <= ambito <= 20:
            raise ErroPedido(f"Âmbito inválido: {ambito}")
        return J(store.pedido_emissao(ee, ambito))

    @app.get(f"{CI}/documento-pagamento/consulta-pedido/{{chave}}")
    async def consulta_pedido(chave: str, request: Request):
        ee = ee_ci(request)
        if store.pedido_niss(chave) != ee:
            # a key of another employer reads as unknown (PUBLIC-CLIENT: 404 = "not a request of this company")
            return J({"codigoResultado": 13, "mensagem": "Chave inválida."}, 404)
        return J(store.consulta_pedido(chave))

    @app.get(f"{CI}/documento-pagamento/consulta")
    async def consulta_documentos(request: Request):
        docs = store.documentos(ee_ci(request))
        # codigoResultado 4 = no results, answered with HTTP 400 (seen in production — PUBLIC-CLIENT _soapUtils.js)
        return J(docs) if docs else J({"codigoResultado": 4, "mensagem": "Sem resultados."}, 400)

    @app.put(f"{CI}/documento-pagamento/{{identificador}}")
    async def cancelar_documento(identificador: str, request: Request):
        ee = ee_ci(request)
        if not identificador.isdigit():
            return J({"codigoResultado": 17, "mensagem": "Identificador de documento inválido."}, 400)
        dono = store.documento_niss(identificador)
        if dono is not None and dono != ee:
            return J({"codigoResultado": 7, "mensagem": "Sem representação válida."}, 403)
        return J(store.cancelar_documento(identificador))

    @app.get(f"{CI}/comprovativos-pagamento/{{ano}}")
    async def comprovativos_pagamento(ano: str, request: Request):
        ee = ee_ci(request)
        if not (len(ano) == 4 and ano.isdigit()):
            raise ErroPedido(val.MSG_ANO)
        recibos = store.comprovativos_pagamento(ee, ano)
        # the live service sent "4" as a string here, with HTTP 400 (PUBLIC-CLIENT _soapUtils.js)
        return J(recibos) if recibos else J({"codigoResultado": "4"}, 400)

    # ---------------------------------------------------------------- admin API
    A = "/_sandbox"

    async def admin_json(request: Request, default=None):
        raw = await request.body()
        if not raw.strip():
            return default
        try:
            return jsonout.loads(raw)
        except ValueError as exc:
            raise ErroPedido(f"Corpo do pedido inválido: {exc}") from None

    @app.get(f"{A}/health")
    async def health():
        return J({"status": "ok"})

    @app.post(f"{A}/reset")
    async def reset():
        store.reset()
        return J({"status": "ok"})

    @app.post(f"{A}/seed")
    async def seed(request: Request):
        body = await admin_json(request)
        return J(store.seed(body))

    @app.post(f"{A}/token")
    async def token(request: Request):
        body = await admin_json(request, {})
        if not isinstance(body, dict) or "niss" not in body:
            raise ErroPedido("Corpo do pedido inválido: 'niss' é obrigatório")
        exp = body.get("expires_in", 3600)
        if isinstance(exp, bool) or not isinstance(exp, (int, Decimal)):
            raise ErroPedido("expires_in tem de ser um número de segundos")
        return J(store.emitir_token(str(body["niss"]), int(exp)))

    @app.get(f"{A}/faults")
    async def get_faults():
        return J({"faults": [fault_public(f) for f in store.faults]})

    @app.put(f"{A}/faults")
    async def put_faults(request: Request):
        body = await admin_json(request, [])
        lista = body.get("faults", [body]) if isinstance(body, dict) else body
        if not isinstance(lista, list):
            raise ErroPedido("Corpo do pedido inválido: lista de falhas esperada")
        store.faults = [parse_fault(f, i + 1) for i, f in enumerate(lista)]
        return J({"faults": [fault_public(f) for f in store.faults]})

    @app.delete(f"{A}/faults")
    async def delete_faults():
        store.faults = []
        return J({"faults": []})

    @app.get(f"{A}/config")
    async def get_config():
        return J(store.config)

    @app.put(f"{A}/config")
    async def put_config(request: Request):
        body = await admin_json(request, {})
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: objeto esperado")
        return J(store.set_config(body))

    @app.post(f"{A}/apuramento/{{niss_ee}}/{{ano_mes}}")
    async def apurar_agora(niss_ee: str, ano_mes: str):
        ee = val.niss_ee(niss_ee)
        return J(store.apurar(ee, str(val.ano_mes(ano_mes))))

    @app.get(f"{A}/requests")
    async def requests_log(request: Request):
        qp = request.query_params
        limite = qp.get("limit", "10000")
        if not limite.isdigit():
            raise ErroPedido(f"limit inválido: {limite}")
        return J(store.requests(qp.get("method"), qp.get("path_contains"), int(limite)))

    @app.get(f"{A}/submissions")
    async def submissions(request: Request):
        qp = request.query_params
        return J(store.submissoes_admin(qp.get("niss_ee"), qp.get("ano_mes")))

    @app.get(f"{A}/contratos")
    async def contratos_soap(request: Request):
        return J(store.contratos_soap(request.query_params.get("niss_ee")))

    @app.post(f"{A}/pagamentos")
    async def registar_pagamento(request: Request):
        body = await admin_json(request, {})
        if not isinstance(body, dict) or not body.get("numeroDocumentoPagamento"):
            raise ErroPedido("Corpo do pedido inválido: 'numeroDocumentoPagamento' é obrigatório")
        return J(store.registar_pagamento(str(body["numeroDocumentoPagamento"]), body.get("dataPagamento")))

    @app.post(f"{A}/soap/timeouts")
    async def soap_timeouts(request: Request):
        body = await admin_json(request, {})
        vezes = body.get("vezes", 1) if isinstance(body, dict) else None
        if isinstance(vezes, bool) or not isinstance(vezes, int) or vezes < 0:
            raise ErroPedido("Corpo do pedido inválido: 'vezes' tem de ser um inteiro >= 0")
        return J(store.agendar_timeouts_soap(vezes))

    @app.post(f"{A}/pedidos-emissao/{{chave}}/expirar")
    async def expirar_pedido(chave: str):
        return J(store.expirar_pedido(chave))

    @app.put(f"{A}/debito-direto/{{niss_ee}}")
    async def debito_direto(niss_ee: str, request: Request):
        body = await admin_json(request, {})
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: objeto esperado")
        return J(store.registar_debito_direto(val.niss_ee(niss_ee), body.get("numeroAutorizacao")))

    @app.post(f"{A}/alertas")
    async def levantar_alerta(request: Request):
        body = await admin_json(request, {})
        if not isinstance(body, dict) or not body.get("comprovativoEntrega") or not body.get("nissTrabalhador"):
            raise ErroPedido("Corpo do pedido inválido: 'comprovativoEntrega' e 'nissTrabalhador' são obrigatórios")
        return J(store.levantar_alerta(str(body["comprovativoEntrega"]), str(body["nissTrabalhador"]),
                                       str(body.get("codigo") or "SEM_VINCULO"),
                                       str(body.get("mensagem") or "Valores não considerados.")))

    # ---------------------------------------------------------------- SOAP (another module)
    try:
        from ciclo.sandbox.soap import make_soap_router
    except ImportError as exc:
        log.warning("SOAP router not available (%s): /ws/contrato/v1/alterarContratoTrabalho not served", exc)
    else:
        app.include_router(make_soap_router(store))   # dates on the store's clock (Store.hoje)
    from ciclo.sandbox.soap_consulta import make_consulta_router  # the SS's contract data, communications (#14)
    app.include_router(make_consulta_router(store))
    from ciclo.sandbox.soap_vinculo import make_vinculo_router  # cessation, workers bound to the EE, admission
    app.include_router(make_vinculo_router(store))

    return SandboxMiddleware(app, store)  # type: ignore[return-value]
