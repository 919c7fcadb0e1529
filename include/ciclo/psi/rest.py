"""REST clients for the PSI (httpx): ``PsiClient`` (sync) and ``AsyncPsiClient`` (async).

Each operation is defined once, on ``_Operacoes``, as a ``_Pedido`` (method, path, body, parser); the sync and
async clients differ only in ``_exec``. Behaviour:

- GETs are retried with exponential backoff and jitter (stamina) on connection errors, timeouts, 429
  (honouring ``Retry-After``), 502/503/504 — bounded in attempts and total time. A 500 is retried at most
  ``RetryPolicy.attempts_500 - 1`` times: the SS documents it as "contact suporte-psi", not as transient.
- POSTs/DELETEs are never retried here. A connection that could not be opened means nothing was sent
  (``PsiRetryableError``); a request that left without a complete answer, or a 5xx, is ``PsiOutcomeUnknown``:
  the caller checks what the Segurança Social holds before sending again.
- 400 → ``PsiValidationError`` (the SS's message and the parameter), 401 → ``PsiAuthError``,
  403 → ``PsiForbiddenError`` (what to ask suporte-psi), 404 → ``PsiNotFound``; a 2xx answer the models cannot
  read → ``PsiContractError`` (GET) or ``PsiOutcomeUnknown`` (POST/DELETE: it was processed, the answer is lost).
- Request bodies are serialised with exact decimals; responses parsed with ``Decimal`` (never float).
- Logs carry the operation, method, path template, status and duration — never headers, bodies or amounts.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pydantic
import stamina

from ciclo.domain import jsonexato
from ciclo.psi import errors as E
from ciclo.psi import httpcore_fast_acquire
from ciclo.psi import models as M
from ciclo.psi.ambientes import Ambiente
from ciclo.psi.auth import Credenciais
from ciclo.psi.tls import contexto_tls
from ciclo.psi.http11 import PoolHttp11
from ciclo.psi.transporte import TransporteAsyncio, transporte_async

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for GET retries: at most ``attempts`` tries and ``timeout`` seconds in all."""

    attempts: int = 6
    timeout: float = 120.0
    wait_initial: float = 0.3
    wait_max: float = 15.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0
    attempts_500: int = 3  # a 500 is tried at most this many times (within ``attempts``)


@dataclass
class _Pedido:
    servico: str
    metodo: str
    modelo: str  # path template, for logs and error texts
    caminho: str
    parse: Callable[[Any], Any]
    params: dict | None = None
    corpo: Any = None
    niss_ee: str | None = None
    extra: dict = field(default_factory=dict)
    # non-2xx statuses whose JSON body carries a codigoResultado the parser reads (the poll's 13 comes as 404/400)
    aceitar_codigo: set = field(default_factory=set)
    # the answer's object keeps its text (``jsonexato.ObjetoRecebido``): a document the ledger stores as received
    recebido: bool = False


# a path httpx sends as written: segments of unreserved characters and percent-escapes, no dot segments
_CAMINHO_SIMPLES = re.compile(r"(?:/(?:[A-Za-z0-9_~-]|%[0-9A-F]{2})+)+\Z")


def _seg(v) -> str:
    return quote(str(v), safe="")


def _lista(modelo):
    return lambda data: [modelo.model_validate(x) for x in M.documento_pagamento.itens(data)]


def _itens(modelo, *chaves):
    return lambda data: [modelo.model_validate(x) for x in M.documento_pagamento.itens(data, *chaves)]


def _do_trabalhador(ano_mes: str, niss_trabalhador: str, como_modelo: bool):
    """The parser of one worker's valores apurados: None when there is nothing ("200 with an empty list when there
    is nothing", SPEC), else the document checked against the model — the model, or the JSON as received — and
    checked to be **this** worker's and month's (``nissTrabalhador``, ``anoMes``: the answer names both — SPEC
    consultar-valores-apurados-trabalhador.txt §2.2.4, whose example answers ``/ano-mes/202509/trabalhador/
    10000000001`` with ``"anoMes": "202509", "nissTrabalhador": 10000000001``). An
    answer naming another is never taken as this worker's: whatever sent it (a connection out of step, a proxy, the
    service), the GET is tried again, and after the retries it fails, saying so."""
    pedido = (str(ano_mes), str(niss_trabalhador).zfill(11))

    def parse(data):
        if data in (None, [], {}):
            return None
        modelo = M.ValoresApuradosTrabalhador.model_validate(data)
        if (modelo.anoMes, str(modelo.nissTrabalhador).zfill(11)) != pedido:
            raise E.PsiRetryableError(
                f"consultarValoresApuradosTrabalhador: asked for worker {pedido[1]} in {pedido[0]}, the answer is "
                f"worker {str(modelo.nissTrabalhador).zfill(11)}'s in {modelo.anoMes}: not taken",
                servico="consultarValoresApuradosTrabalhador")
        return modelo if como_modelo else data

    return parse


_PARAMETROS = (("Ano/mês", "ano-mes"), ("Ano não", "ano"), ("NISS entidade", "niss-ee"), ("NISS trabalhador", "niss-trabalhador"),
               ("Natureza", "natureza"), ("Valor de remuneração", "remuneracao"), ("Período", "dataInicio/dataFim"),
               ("Dias", "diasTrabalho"), ("Motivo", "motivo"), ("Corpo", "corpo"), ("Âmbito", "ambito"), ("ambito", "ambito"))


class _Operacoes:
    """The PSI operations the pipeline uses (docs/psi-contract.md). ``_exec`` is sync or async."""

    ambiente: Ambiente
    credenciais: Credenciais

    # --------------------------------------------------------------------- eeaoc: valores de remuneração
    def enviar_valores_remuneracao(self, niss_ee: str, payload: "dict | M.ValoresRemuneracao"):
        """Send valores de remuneração (a dict or ``ValoresRemuneracao``; Decimal amounts are sent exactly).
        Never retried; ``PsiOutcomeUnknown`` when the answer was lost — look at ``comprovativos`` before resending."""
        if isinstance(payload, pydantic.BaseModel):
            payload = payload.model_dump(exclude_none=True)
        return self._exec(_Pedido("enviarValoresRemuneracao", "POST",
                                  "/eeaoc/valores-remuneracao/entidade-empregadora/{niss-ee}",
                                  f"/eeaoc/valores-remuneracao/entidade-empregadora/{_seg(niss_ee)}",
                                  M.ComprovativoEntrega.model_validate, corpo=payload, niss_ee=niss_ee))

    def valores_comunicados_por_processar(self, niss_ee: str, *, estado: str | None = None, ano_mes: str | None = None):
        params = {k: v for k, v in {"estado": estado, "anoMes": ano_mes}.items() if v}
        return self._exec(_Pedido("consultarValoresComunicadosPorProcessar", "GET",
                                  "/eeaoc/valores-comunicados/entidade-empregadora/{niss-ee}",
                                  f"/eeaoc/valores-comunicados/entidade-empregadora/{_seg(niss_ee)}",
                                  M.PorProcessar.model_validate, params=params or None, niss_ee=niss_ee))

    def comprovativos(self, niss_ee: str, *, ano_mes: str | None = None):
        return self._exec(_Pedido("consultarComprovativosEntrega", "GET",
                                  "/eeaoc/valores-comunicados/entidade-empregadora/{niss-ee}/comprovativo",
                                  f"/eeaoc/valores-comunicados/entidade-empregadora/{_seg(niss_ee)}/comprovativo",
                                  _lista(M.Comprovativo), params={"anoMes": ano_mes} if ano_mes else None, niss_ee=niss_ee))

    def comprovativo(self, niss_ee: str, comprovativo: str):
        return self._exec(_Pedido("consultarValoresComunicados", "GET",
                                  "/eeaoc/valores-comunicados/entidade-empregadora/{niss-ee}/comprovativo/{comprovativo}",
                                  f"/eeaoc/valores-comunicados/entidade-empregadora/{_seg(niss_ee)}/comprovativo/{_seg(comprovativo)}",
                                  M.ComprovativoDetalhe.model_validate, niss_ee=niss_ee))

    def alertas(self, niss_ee: str, *, ano_mes: str | None = None):
        return self._exec(_Pedido("consultarAlertas", "GET",
                                  "/eeaoc/valores-comunicados/entidade-empregadora/{niss-ee}/alertas",
                                  f"/eeaoc/valores-comunicados/entidade-empregadora/{_seg(niss_ee)}/alertas",
                                  _lista(M.Alerta), params={"anoMes": ano_mes} if ano_mes else None, niss_ee=niss_ee))

    # --------------------------------------------------------------------- eeaoc: valores apurados
    def valores_apurados_mensal(self, niss_ee: str, ano_mes: str):
        return self._exec(_Pedido("consultarValoresApuradosMensal", "GET",
                                  "/eeaoc/valores-apurados/entidade-empregadora/{niss-ee}/mensal/ano-mes/{ano-mes}",
                                  f"/eeaoc/valores-apurados/entidade-empregadora/{_seg(niss_ee)}/mensal/ano-mes/{_seg(ano_mes)}",
                                  M.ApuramentoMensal.model_validate, niss_ee=niss_ee))

    def valores_apurados_anual(self, niss_ee: str, ano: str | int):
        return self._exec(_Pedido("consultarValoresApuradosAnual", "GET",
                                  "/eeaoc/valores-apurados/entidade-empregadora/{niss-ee}/anual/{ano}",
                                  f"/eeaoc/valores-apurados/entidade-empregadora/{_seg(niss_ee)}/anual/{_seg(ano)}",
                                  _lista(M.ApuramentoMensal), niss_ee=niss_ee))

    def valores_apurados_trabalhador(self, niss_ee: str, ano_mes: str, niss_trabalhador: str):
        """The worker's valores apurados, or None when there is nothing (yet)."""
        return self._exec(_Pedido("consultarValoresApuradosTrabalhador", "GET",
                                  "/eeaoc/valores-apurados/entidade-empregadora/{niss-ee}/ano-mes/{ano-mes}/trabalhador/{niss-trabalhador}",
                                  f"/eeaoc/valores-apurados/entidade-empregadora/{_seg(niss_ee)}/ano-mes/{_seg(ano_mes)}/trabalhador/{_seg(niss_trabalhador)}",
                                  _do_trabalhador(ano_mes, niss_trabalhador, True), niss_ee=niss_ee))

    def valores_apurados_trabalhador_json(self, niss_ee: str, ano_mes: str, niss_trabalhador: str):
        """Like ``valores_apurados_trabalhador`` but returns the JSON as received (decimals exact), after checking
        it against the model — what the ledger stores as the raw document, its text as received
        (``jsonexato.ObjetoRecebido``). None when there is nothing."""
        return self._exec(_Pedido("consultarValoresApuradosTrabalhador", "GET",
                                  "/eeaoc/valores-apurados/entidade-empregadora/{niss-ee}/ano-mes/{ano-mes}/trabalhador/{niss-trabalhador}",
                                  f"/eeaoc/valores-apurados/entidade-empregadora/{_seg(niss_ee)}/ano-mes/{_seg(ano_mes)}/trabalhador/{_seg(niss_trabalhador)}",
                                  _do_trabalhador(ano_mes, niss_trabalhador, False), niss_ee=niss_ee, recebido=True))

    def obrigacao_trabalhadores(self, niss_ee: str, ano_mes: str):
        return self._exec(self._obrigacao_trabalhadores(niss_ee, ano_mes, _lista(M.ObrigacaoTrabalhador)))

    def niss_obrigacao_trabalhadores(self, niss_ee: str, ano_mes: str) -> list[str]:
        """The workers of ``obrigacao_trabalhadores`` only, as 11-digit NISS: the fetch's list, where the items'
        totals are not used (as models, 50,000 of them held ≈70 MB for the whole fetch)."""
        def parse(data) -> list[str]:
            return [str(o.nissTrabalhador).zfill(11) for o in _lista(M.NissObrigacao)(data)]

        return self._exec(self._obrigacao_trabalhadores(niss_ee, ano_mes, parse))

    @staticmethod
    def _obrigacao_trabalhadores(niss_ee: str, ano_mes: str, parse) -> _Pedido:
        return _Pedido("consultarObrigacaoContributivaTrabalhador", "GET",
                       "/eeaoc/entidade-empregadora/{niss-ee}/ano-mes/{ano-mes}/trabalhador",
                       f"/eeaoc/entidade-empregadora/{_seg(niss_ee)}/ano-mes/{_seg(ano_mes)}/trabalhador", parse,
                       niss_ee=niss_ee)

    def confirmar(self, niss_ee: str, ano_mes: str):
        return self._exec(_Pedido("confirmarValoresApurados", "POST",
                                  "/eeaoc/obrigacao-contributiva/entidade-empregadora/{niss-ee}/confirmar",
                                  f"/eeaoc/obrigacao-contributiva/entidade-empregadora/{_seg(niss_ee)}/confirmar",
                                  M.Confirmacao.model_validate, corpo={"anoMes": str(ano_mes)}, niss_ee=niss_ee))

    def avisos(self, niss_ee: str):
        return self._exec(_Pedido("consultarAvisos", "GET", "/eeaoc/avisos/{niss-ee}", f"/eeaoc/avisos/{_seg(niss_ee)}",
                                  _lista(M.Aviso), niss_ee=niss_ee))

    # --------------------------------------------------------------------- ci: payment documents
    # PUBLIC-CLIENT (diegobarbosa88/atualizacao-app-magnetic-place, api/seguranca-social/index.js): the ci/ calls
    # identify the employer from the credential; a representative names the employer with ``niss-representado``
    # (evidenced on the listing and the receipts; sent on every ci/ call for the same reason — ASSUMED for the
    # emission, the poll and the cancel, where the public client acts only for itself).
    def _ci(self, servico, metodo, modelo, caminho, parse, niss_ee, **kw):
        rep = self.credenciais.niss_representado(niss_ee)
        return _Pedido(servico, metodo, modelo, caminho, parse, params={"niss-representado": rep} if rep else None,
                       niss_ee=niss_ee or self.credenciais.niss, **kw)

    def pedir_emissao_documentos(self, niss_ee: str | None = None, *, ambito: int = 11):
        """Ask for the payment documents of ``ambito`` (11 = contribuições da entidade empregadora) → ``PedidoEmissao``
        (1 accepted / 10 already processing / 11 a valid answer exists, each with the ``chave`` to poll). Body
        ``{"ambito": 11}`` only: no month, no NISS. Never retried — use ``ciclo.psi.documentos.obter_documentos``,
        which never asks twice while a request is processing."""
        return self._exec(self._ci("pedidoEmissaoDocumentoPagamento", "POST", "/ci/documento-pagamento/pedido-emissao",
                                   "/ci/documento-pagamento/pedido-emissao", M.PedidoEmissao.model_validate, niss_ee,
                                   corpo={"ambito": int(ambito)}))

    def consultar_pedido_emissao(self, chave: str, *, niss_ee: str | None = None):
        """Poll an emission request by its ``chave`` (path parameter) → ``ConsultaPedidoEmissao``: 10 processing,
        14 expired, 15 nothing to pay, 1 with ``resultado`` (the documents); 13 unknown key (answered with HTTP
        404/400 — returned as the model too, so the caller sees the code)."""
        return self._exec(self._ci("consultarPedidoEmissao", "GET", "/ci/documento-pagamento/consulta-pedido/{chave}",
                                   f"/ci/documento-pagamento/consulta-pedido/{_seg(chave)}",
                                   M.ConsultaPedidoEmissao.model_validate, niss_ee, aceitar_codigo={400, 404}))

    def documentos_pagamento(self, niss_ee: str | None = None):
        """The employer's payment documents (``GET .../documento-pagamento/consulta``); ``[]`` when none
        (codigoResultado 4)."""
        return self._exec(self._ci("consultarDocumentosPagamento", "GET", "/ci/documento-pagamento/consulta",
                                   "/ci/documento-pagamento/consulta", _itens(M.DocumentoPagamento, "documentos"), niss_ee))

    def comprovativos_pagamento(self, ano_pagamento: int | str, *, niss_ee: str | None = None):
        """Payment receipts of the payments made in ``ano_pagamento`` (the year of payment, not of the month paid);
        ``[]`` when none (codigoResultado 4, which the live service answers with HTTP 400)."""
        ano = str(ano_pagamento)
        if not (len(ano) == 4 and ano.isdigit()):
            raise ValueError(f"ano de pagamento must be YYYY, not {ano_pagamento!r}")
        return self._exec(self._ci("consultarComprovativosPagamento", "GET", "/ci/comprovativos-pagamento/{ano-pagamento}",
                                   f"/ci/comprovativos-pagamento/{ano}", _itens(M.ComprovativoPagamento, "comprovativos"),
                                   niss_ee))

    def cancelar_documento(self, identificador: str, *, niss_ee: str | None = None):
        """Cancel a payment document (``PUT .../documento-pagamento/{identificador}``, no body) →
        ``CancelamentoDocumento``; ``.cancelado`` False with codigoResultado 17 when it cannot be cancelled (not
        payable, expired, cancelled or paid). 17 with HTTP 400 (invalid identifier) and 8 (invalid NISS) →
        ``PsiValidationError``; 7 (no valid representation) → ``PsiForbiddenError``."""
        return self._exec(self._ci("cancelarDocumentoPagamento", "PUT", "/ci/documento-pagamento/{identificador}",
                                   f"/ci/documento-pagamento/{_seg(identificador)}",
                                   M.CancelamentoDocumento.model_validate, niss_ee))


class _Base(_Operacoes):
    def __init__(self, ambiente: Ambiente, credenciais: Credenciais, *, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, max_connections: int = 32,
                 on_call: Callable[..., None] | None = None, transport=None):
        self.ambiente = ambiente
        self.credenciais = credenciais
        self.retry = retry or RetryPolicy()
        self.max_connections = max_connections
        self.on_call = on_call
        self._kw = dict(
            base_url=ambiente.rest_base, auth=credenciais.httpx_auth(),
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"Accept": "application/json", "User-Agent": "ciclo/0.1 (+psi client)"},
            verify=contexto_tls(),
        )
        if transport is not None:
            self._kw["transport"] = transport

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ambiente.nome} NISS {self.credenciais.niss}>"

    # --------------------------------------------------------------------- shared request/response handling
    def _request_kwargs(self, p: _Pedido) -> dict:
        kw: dict = {"params": p.params}
        if p.corpo is not None:
            kw["content"] = jsonexato.dumps(p.corpo).encode("utf-8")
            kw["headers"] = {"Content-Type": "application/json"}
        return kw

    def _resultado(self, p: _Pedido, r: httpx.Response):
        sem_resultados = False
        if not 200 <= r.status_code < 300:
            corpo = _json(r)
            codigo = M.documento_pagamento.codigo_resultado(corpo)
            # codigoResultado 4 = "no results", not an error — seen with HTTP 400 in production (PUBLIC-CLIENT,
            # _soapUtils.js callSSRestGetUrl)
            sem_resultados = p.metodo == "GET" and codigo == M.documento_pagamento.SEM_RESULTADOS \
                and r.status_code in (400, 404)
            if not sem_resultados and not (codigo is not None and r.status_code in p.aceitar_codigo):
                raise self._erro_http(p, r)
        try:
            if sem_resultados:
                return p.parse(None)
            data = (jsonexato.loads_recebido if p.recebido else jsonexato.loads)(r.content) if r.content else None
            return p.parse(data)
        except pydantic.ValidationError as exc:
            # field locations and error types only: the input values may be amounts
            campos = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['type']}" for e in exc.errors()[:5])
            motivo = f"the answer does not match the model ({campos})"
        except ValueError:
            motivo = "the answer is not JSON"
        ctx = {"servico": p.servico, "status": r.status_code}
        if p.metodo != "GET":
            raise E.PsiOutcomeUnknown(f"{p.servico}: the Segurança Social answered {r.status_code} but {motivo}; it was "
                                      f"probably processed — check what it holds before sending again", **ctx)
        raise E.PsiContractError(f"{p.servico}: {motivo} — see docs/psi-contract.md", **ctx)

    def _erro_http(self, p: _Pedido, r: httpx.Response) -> E.PsiError:
        msg = _mensagem(r)
        s = r.status_code
        ctx = {"servico": p.servico, "status": s}
        codigo = M.documento_pagamento.codigo_resultado(_json(r))
        if codigo == M.documento_pagamento.REPRESENTACAO_INVALIDA and p.caminho.startswith("/ci/"):
            return E.PsiForbiddenError(
                f"{p.servico}: NISS {self.credenciais.niss} has no valid representation of employer {p.niss_ee} "
                f"(codigoResultado 7, HTTP {s}): register the representation in Segurança Social Direta", **ctx)
        if s == 400:
            parametro = next((nome for chave, nome in _PARAMETROS if msg and msg.startswith(chave)), None)
            return E.PsiValidationError(
                f"{p.servico}: the Segurança Social refused the request (400): {_sem_valores(msg)}"
                + (f" [parameter: {parametro}]" if parametro else ""), ss_message=msg or "", parametro=parametro, **ctx)
        if s == 401 and msg and "token expirado" in msg.lower():
            return E.PsiTokenExpirado(
                f"{p.servico}: the Segurança Social answered \"{msg}\" (HTTP 401) for NISS {self.credenciais.niss}: "
                f"create a new Bearer token in Segurança Social Direta (Gestão de autenticação → Tokens de acesso) "
                f"and update the connection", ss_message=msg, **ctx)
        if s == 401:
            return E.PsiAuthError(f"credentials rejected for NISS {self.credenciais.niss} ({p.servico}, HTTP 401): "
                                  f"check the connection's password or token", **ctx)
        if s == 403:
            rep = "as representative " if self.credenciais.representante else ""
            return E.PsiForbiddenError(
                f"NISS {self.credenciais.niss} is not authorised {rep}for {p.servico}"
                + (f" on employer {p.niss_ee}" if p.niss_ee else "")
                + f" — ask suporte-psi@seg-social.pt to authorise NISS {self.credenciais.niss} for endpoint "
                  f"{self.ambiente.rest_base}{p.modelo}", **ctx)
        if s == 404:
            return E.PsiNotFound(f"{p.servico}: not found (404): {msg}", **ctx)
        if p.metodo != "GET" and s >= 500:
            return E.PsiOutcomeUnknown(f"{p.servico}: the Segurança Social answered {s} to a {p.metodo}; it may or may "
                                       f"not have been processed — check what it holds before sending again", **ctx)
        if s == 500:
            return E.PsiRetryableError(
                f"{p.servico}: internal error of the Segurança Social (HTTP 500); if it persists, contact "
                f"suporte-psi@seg-social.pt indicating NISS {self.credenciais.niss}, your IP and endpoint "
                f"{self.ambiente.rest_base}{p.modelo}", retry_after=_retry_after(r), **ctx)
        if s in RETRY_STATUS:
            return E.PsiRetryableError(f"{p.servico}: temporarily unavailable (HTTP {s})", retry_after=_retry_after(r), **ctx)
        return E.PsiError(f"{p.servico}: unexpected HTTP {s}: {msg}", **ctx)

    def _erro_transporte(self, p: _Pedido, exc: httpx.RequestError) -> E.PsiError:
        nome = type(exc).__name__
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return E.PsiRetryableError(f"{p.servico}: could not connect to {self.ambiente.rest_host} ({nome}); nothing was sent",
                                       servico=p.servico)
        if p.metodo == "GET":
            return E.PsiRetryableError(f"{p.servico}: no complete answer ({nome})", servico=p.servico)
        return E.PsiOutcomeUnknown(f"{p.servico}: the request was sent but no complete answer came back ({nome}); "
                                   f"check what the Segurança Social holds before sending again", servico=p.servico)

    def _registar(self, p: _Pedido, status, t0: float, erro: Exception | None) -> None:
        ms = int((time.monotonic() - t0) * 1000)
        resultado = "ok" if erro is None else ("desconhecido" if isinstance(erro, E.PsiOutcomeUnknown) else "erro")
        # reads that succeed (or will be retried) at DEBUG — a bulk fetch makes tens of thousands; writes and
        # final errors at INFO. Path template only: no amounts, no headers.
        nivel = logging.INFO if p.metodo != "GET" or (erro is not None and not getattr(erro, "retryable", False)) \
            else logging.DEBUG
        log.log(nivel, "PSI %s %s %s → %s in %d ms%s", p.servico, p.metodo, p.modelo, status, ms,
                f" ({type(erro).__name__})" if erro else "")
        if self.on_call:
            try:
                self.on_call(servico=p.servico, metodo=p.metodo, status=status, duracao_ms=ms, resultado=resultado,
                             erro_classe=type(erro).__name__ if erro else None, niss_ee=p.niss_ee)
            except Exception:  # noqa: BLE001 - an audit sink must never break a call
                log.exception("audit callback failed")

    def _retry_hook(self) -> Callable[[Exception], bool | float]:
        """stamina backoff hook for one call: retry ``PsiRetryableError`` (waiting ``Retry-After`` when given),
        a 500 at most ``attempts_500`` tries in all."""
        vistos_500 = 0

        def hook(exc: Exception) -> bool | float:
            nonlocal vistos_500
            if not isinstance(exc, E.PsiRetryableError):
                return False
            if exc.status == 500:
                vistos_500 += 1
                if vistos_500 >= self.retry.attempts_500:
                    return False
            if exc.retry_after is not None:
                return min(float(exc.retry_after), self.retry.max_retry_after)
            return True

        return hook

    def _tentativas(self, t0: float):
        """The retries of a GET whose first try (started at ``t0``, monotonic) failed retryably: stamina's loop
        with the same bounds as if it had made that try, which the caller re-raises as its first attempt (so the
        hook sees it, Retry-After and the 500 count included, and the backoff before the next try is the same).

        A GET is tried once before this is built, and most GETs need no retry: stamina's per-call machinery
        (tenacity's retrying object, a condition and a thread-local, in reference cycles) cost the bulk fetch CPU
        and a cyclic-garbage collection every few requests (docs/BENCHMARKS.md)."""
        r = self.retry
        restante = max(0.0, r.timeout - (time.monotonic() - t0))
        return stamina.retry_context(on=self._retry_hook(), attempts=r.attempts, timeout=restante,
                                     wait_initial=r.wait_initial, wait_max=r.wait_max, wait_jitter=r.wait_jitter)


def _json(r: httpx.Response):
    try:
        return jsonexato.loads(r.content) if r.content else None
    except ValueError:
        return None


def _mensagem(r: httpx.Response) -> str | None:
    """The service's text: ``message`` (eeaoc ``{code, message}``) or ``mensagem`` (ci answers), with the
    ``codigoResultado`` when the answer has only that (the ci services often do — PUBLIC-CLIENT _soapUtils.js)."""
    body = _json(r)
    if isinstance(body, dict):
        for k in ("message", "mensagem", "erro", "descricao"):
            if body.get(k):
                return str(body[k])[:500]
        codigo = M.documento_pagamento.codigo_resultado(body)
        if codigo is not None:
            return f"codigoResultado {codigo}"
    return (r.reason_phrase or "")[:200] or None


def _retry_after(r: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    v = r.headers.get("Retry-After")
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        quando = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError):
        return None
    return max(0.0, quando.timestamp() - time.time())


_VALOR = re.compile(r"(Valor de remuneração inválido:).*")
_DECIMAL = re.compile(r"-?\d+[.,]\d+")


def _sem_valores(msg: str | None) -> str | None:
    """The SS message for an error text, amounts masked (the exact text stays in ``ss_message``)."""
    if not msg:
        return msg
    return _DECIMAL.sub("***", _VALOR.sub(r"\1 ***", msg))


class PsiClient(_Base):
    """Synchronous client (one httpx connection pool). Use as a context manager or call ``close()``."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._http = httpx.Client(**self._kw)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _uma(self, p: _Pedido):
        t0 = time.monotonic()
        status = None
        try:
            r = self._http.request(p.metodo, p.caminho, **self._request_kwargs(p))
            status = r.status_code
            out = self._resultado(p, r)
        except httpx.RequestError as exc:  # transport, decoding, redirects
            err = self._erro_transporte(p, exc)
            self._registar(p, status, t0, err)
            raise err from None
        except E.PsiError as err:
            self._registar(p, status, t0, err)
            raise
        self._registar(p, status, t0, None)
        return out

    def _exec(self, p: _Pedido):
        if p.metodo != "GET":
            return self._uma(p)
        t0 = time.monotonic()
        try:
            return self._uma(p)
        except E.PsiRetryableError as exc:
            primeira: E.PsiRetryableError | None = exc
        for attempt in self._tentativas(t0):
            with attempt:
                if primeira is not None:
                    exc, primeira = primeira, None
                    raise exc
                return self._uma(p)


def _proxy_para(url: str) -> bool:
    """Whether the environment sends ``url`` through a proxy (httpx's clients honour it; a direct GET would not)."""
    import urllib.request
    from urllib.parse import urlsplit

    proxies = urllib.request.getproxies()
    if not proxies:
        return False
    u = urlsplit(url)
    return (u.scheme in proxies or "all" in proxies) and not urllib.request.proxy_bypass(u.hostname or "")


class AsyncPsiClient(_Base):
    """Asynchronous client; every operation is a coroutine.

    Its ``max_connections`` keep-alive connections are held in small shards (``shard_size`` connections each; a
    request goes to the shard with the fewest requests in flight) rather than in one httpcore pool: httpcore scans every connection of a pool for
    every queued request, which made a single 32-connection pool the bottleneck (≈340 requests/s measured on this
    2-core machine, see docs/BENCHMARKS.md). Same total number of connections, same client object.

    Its plain GETs (no query, a path ``_seg`` quoted: the per-worker fetch, the apuramento's poll — all the GETs
    the pipeline sends through this client) go instead on one pool of ``max_connections`` connections of its own
    (``ciclo.psi.http11``), unless ``CICLO_TRANSPORTE_ASYNC`` says otherwise; the shards carry the rest. The
    pipeline sends nothing else through this client, so the two never hold connections at the same time there.
    A caller that mixes plain GETs with other requests on one client may hold up to twice ``max_connections``
    (each side keeps its own): give such a caller half the connection's budget, or two clients.
    """

    def __init__(self, *a, shard_size: int = 4, **kw):
        super().__init__(*a, **kw)
        # httpcore's connection locks without an event-loop yield per uncontended acquire, where a bulk fetch asks
        # for it (upstream's fix, see the module): the answers of a wave are then handled one after another
        httpcore_fast_acquire.instalar()
        total = self._kw["limits"].max_connections or 32
        n = max(1, -(-total // max(1, shard_size)))
        por = max(1, -(-total // n))
        # every shard shares the process's TLS context (``contexto_tls``: building one loads the CA bundle)
        limites = httpx.Limits(max_connections=por, max_keepalive_connections=por)
        kw_shard = {**self._kw, "limits": limites}
        self._transportes: list[httpx.AsyncBaseTransport] | None = None
        if "transport" not in self._kw and not _proxy_para(self.ambiente.rest_base):
            # the shard's own transport, kept: a GET goes straight to it (``_pedir``)
            # httpcore over asyncio's own transports (ciclo.psi.transporte), or httpx's as released
            if transporte_async() == "httpx":
                self._transportes = [httpx.AsyncHTTPTransport(verify=contexto_tls(), limits=limites) for _ in range(n)]
            else:
                self._transportes = [TransporteAsyncio(ssl_context=contexto_tls(), limits=limites) for _ in range(n)]
            self._shards = [httpx.AsyncClient(**kw_shard, transport=t) for t in self._transportes]
        else:
            self._shards = [httpx.AsyncClient(**kw_shard) for _ in range(n)]
        self._em_curso = [0] * n  # requests in flight per shard: a request goes to the least busy one
        t = self._kw["timeout"]
        self._timeout_ext = {"connect": t.connect, "read": t.read, "write": t.write, "pool": t.pool}
        self._cabecalhos = {**self._kw["headers"], "Authorization": self.credenciais.authorization()}
        # the per-worker GET's target prefix and raw headers (Host first, as httpx.Request sets them), built once
        self._url_base = httpx.URL(self.ambiente.rest_base)
        self._alvo_base: bytes | None = None
        self._cabecalhos_get: list[tuple[bytes, bytes]] = []
        if self._transportes is not None and isinstance(self._transportes[0], TransporteAsyncio):
            modelo = httpx.Request("GET", self.ambiente.rest_base + "/", headers=self._cabecalhos)
            self._alvo_base = modelo.url.raw_path[:-1]
            self._cabecalhos_get = list(modelo.headers.raw)
        # the plain GETs (the per-worker fetch, the apuramento's poll) on connections of their own, framed by
        # llhttp (ciclo.psi.http11): one pool of the client's max_connections; CICLO_TRANSPORTE_ASYNC=httpcore
        # sends them through the shards' httpcore pools instead
        self._pool11: PoolHttp11 | None = None
        if self._alvo_base is not None and transporte_async() == "asyncio":
            self._pool11 = PoolHttp11(self._url_base, ssl_context=contexto_tls(), max_connections=total,
                                      keepalive_expiry=self._kw["limits"].keepalive_expiry)

    async def _pedir(self, p: _Pedido) -> httpx.Response:
        if self._pool11 is not None and p.metodo == "GET" and not p.params and _CAMINHO_SIMPLES.match(p.caminho):
            return await self._pool11.get(self._alvo_base + p.caminho.encode("ascii"),  # type: ignore[operator]
                                          self._cabecalhos_get, self._timeout_ext)
        i = min(range(len(self._shards)), key=self._em_curso.__getitem__)
        self._em_curso[i] += 1
        try:
            if p.metodo == "GET" and self._transportes is not None:
                return await self._get_direto(self._transportes[i], p)
            return await self._shards[i].request(p.metodo, p.caminho, **self._request_kwargs(p))
        finally:
            self._em_curso[i] -= 1

    async def _get_direto(self, transporte, p: _Pedido) -> httpx.Response:
        """A GET handed to the shard's transport: the same connection pool, TLS context, timeouts and headers
        (the credential's ``Authorization`` included) as through the client, without the client's per-request
        machinery (auth flow, redirects, cookie jar, event hooks) — ≈0.3 ms of CPU less per request, which is
        what bounds the bulk fetch (docs/BENCHMARKS.md). Not used behind a proxy. The client follows no redirect
        and the SS's GETs set no cookie the next one needs, so the answer is the same.

        On the asyncio transport, a GET with no query whose path is plain (segments of letters, digits and
        percent-escapes, as ``_seg`` quotes them: what httpx sends unchanged) goes with its request target and
        headers built here, from the base URL parsed once — the same bytes on the wire as the ``httpx.Request``
        below (tests/unit/psi/test_transporte.py), without parsing a URL per request."""
        if self._alvo_base is not None and not p.params and _CAMINHO_SIMPLES.match(p.caminho):
            return await transporte.get(self._url_base, self._alvo_base + p.caminho.encode("ascii"),
                                        self._cabecalhos_get, {"timeout": self._timeout_ext})
        pedido = httpx.Request("GET", self.ambiente.rest_base + p.caminho, params=p.params, headers=self._cabecalhos,
                               extensions={"timeout": self._timeout_ext})
        r = await transporte.handle_async_request(pedido)
        try:
            await r.aread()
        finally:
            await r.aclose()
        r.request = pedido
        return r

    async def aclose(self) -> None:
        if self._pool11 is not None:
            await self._pool11.aclose()
        for c in self._shards:
            await c.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()

    async def _uma(self, p: _Pedido):
        t0 = time.monotonic()
        status = None
        try:
            r = await self._pedir(p)
            status = r.status_code
            out = self._resultado(p, r)
        except httpx.RequestError as exc:  # transport, decoding, redirects
            err = self._erro_transporte(p, exc)
            self._registar(p, status, t0, err)
            raise err from None
        except E.PsiError as err:
            self._registar(p, status, t0, err)
            raise
        self._registar(p, status, t0, None)
        return out

    async def _exec(self, p: _Pedido):
        if p.metodo != "GET":
            return await self._uma(p)
        t0 = time.monotonic()
        try:
            return await self._uma(p)
        except E.PsiRetryableError as exc:
            primeira: E.PsiRetryableError | None = exc
        async for attempt in self._tentativas(t0):
            with attempt:
                if primeira is not None:
                    exc, primeira = primeira, None
                    raise exc
                return await self._uma(p)
