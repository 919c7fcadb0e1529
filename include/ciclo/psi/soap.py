"""SOAP client (zeep) for ``alterarContratoTrabalho`` (specs/alterar-contrato-soap.txt).

``ContratoSoapClient(endpoint, credenciais)`` loads the WSDL shipped in this package (never fetched from the
network), sends to ``endpoint`` (quality, production or the sandbox) with the ``Authorization`` header of the
credentials (Basic or Bearer), and maps the answer:

- codigo-resultado 1 → ``ResultadoAlteracao``;
- 2 → ``ContratoParametroEmFalta(mensagens)``; 3 → ``ContratoInvalido(mensagens)`` (not retryable: fix the data);
- 0 → ``ContratoErroInterno`` (retryable, ``PsiRetryableError``);
- HTTP 401 → ``ContratoCredenciaisRejeitadas`` (``PsiAuthError``); 403 → ``ContratoNaoAutorizado`` (``PsiForbiddenError``);
- a SOAP Fault → ``ContratoFault`` (the request itself is wrong; not retryable), except a Fault whose detail
  carries codigo-resultado 408 → ``ContratoTimeout`` (the service timed out; retryable — PUBLIC-CLIENT
  diegobarbosa88/atualizacao-app-magnetic-place, api/seguranca-social/_soapUtils.js);
- HTTP 401 with "Token expirado." → ``ContratoTokenExpirado`` (``PsiTokenExpirado``);
- a representative's credential (``Credenciais.tipo == "REPRESENTANTE"``) → ``PsiCredencialInadequada`` before any
  call: this service authenticates as the employer itself;
- could not connect → ``PsiRetryableError`` (nothing was sent); 429 → ``PsiRetryableError``;
  sent but no complete answer, or another 5xx → ``PsiOutcomeUnknown`` (the change may or may not be registered).

The service answers one ``mensagens-erro`` string; several messages (the sandbox joins them with ``"; "``) are split
back into a list. Exceptions and logs carry the operation, the worker's NISS, the start date, the codigo and the
service's messages — never the password, token, Authorization header or amounts (zeep's own transport logging of
envelopes is bypassed).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests
import zeep
from zeep import xsd
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, XMLSyntaxError
from zeep.transports import Transport

from ciclo.domain.contrato_trabalho import ContratoTrabalho
from ciclo.psi.auth import Credenciais
from ciclo.psi.errors import (
    PsiAuthError, PsiCredencialInadequada, PsiError, PsiForbiddenError, PsiOutcomeUnknown, PsiRetryableError,
    PsiTokenExpirado,
)

log = logging.getLogger("ciclo.psi.soap")

SERVICO = "alterarContratoTrabalho"
WSDL_PATH = Path(__file__).resolve().parent / "wsdl" / "alterarContratoTrabalho.wsdl"
BINDING = "{http://interfaces.webservice.contrato.segsocial.pt}alterarContratoTrabalhoSEIBinding"
SEPARADOR_MENSAGENS = "; "
# The request's fields: one list for the client, the pipeline, the sandbox and the validation (SPEC input table).
from ciclo.domain.contrato import CAMPOS  # noqa: E402


# --------------------------------------------------------------------------------------------- results and errors


@dataclass(frozen=True)
class ResultadoAlteracao:
    """codigo-resultado 1: the change was registered."""

    niss_trabalhador: str
    inicio_contrato: str | None
    codigo: int = 1
    mensagens: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.codigo == 1


class ContratoSoapError(PsiError):
    """An answer of ``alterarContratoTrabalho`` other than success. ``codigo`` is the codigo-resultado (None for a
    SOAP Fault), ``mensagens`` the service's messages, exactly."""

    codigo: int | None = None

    def __init__(self, message: str, *, mensagens: list[str] | None = None, niss_trabalhador: str | None = None,
                 status: int | None = 200):
        super().__init__(message, servico=SERVICO, status=status)
        self.mensagens = list(mensagens or [])
        self.niss_trabalhador = niss_trabalhador


class ContratoParametroEmFalta(ContratoSoapError):
    """codigo-resultado 2 — a mandatory parameter is missing."""

    codigo = 2


class ContratoInvalido(ContratoSoapError):
    """codigo-resultado 3 — a validation failed."""

    codigo = 3


class ContratoErroInterno(ContratoSoapError, PsiRetryableError):
    """codigo-resultado 0 — "Erro interno do servidor": the contract was not registered; try again later."""

    codigo = 0


class ContratoFault(ContratoSoapError):
    """A SOAP Fault: the service could not read the request (envelope, element, type)."""

    def __init__(self, message: str, *, faultcode: str | None = None, faultstring: str | None = None, **kw):
        super().__init__(message, mensagens=[faultstring] if faultstring else [], **kw)
        self.faultcode = faultcode
        self.faultstring = faultstring


class ContratoTimeout(ContratoFault, PsiRetryableError):
    """A SOAP Fault whose detail carries codigo-resultado 408 ("Request Timeout"): the service timed out on its
    side (PUBLIC-CLIENT: diegobarbosa88/atualizacao-app-magnetic-place, api/seguranca-social/_soapUtils.js,
    ``parseSoapResponse`` — "formato visto num timeout real"). Retryable; the faultstring itself is generic
    ("Erro comunicação servidor ptss"), so the detail's message is preferred."""


class ContratoCredenciaisRejeitadas(PsiAuthError):
    """HTTP 401."""


class ContratoTokenExpirado(ContratoCredenciaisRejeitadas, PsiTokenExpirado):
    """HTTP 401 with the service's "Token expirado.": renew the Bearer token."""


class ContratoNaoAutorizado(PsiForbiddenError):
    """HTTP 403."""


def separar_mensagens(texto: str | None) -> list[str]:
    if not texto or not texto.strip():
        return []
    return [m.strip() for m in texto.split(SEPARADOR_MENSAGENS) if m.strip()]


# --------------------------------------------------------------------------------------------- WSDL documents


_DOCUMENTOS: dict[str, object] = {}
_DOCUMENTOS_TRAVA = threading.Lock()


def documento_wsdl(caminho) -> "zeep.wsdl.Document":
    """The parsed WSDL (shipped in this package) at ``caminho``, once per process: zeep takes a parsed ``Document``
    in place of a location (``zeep.Client(wsdl=...)``), and parsing one cost more than the rest of building a
    client, once per employer and step. A parsed document is only read afterwards (types, bindings); each client
    sends through its own transport and credentials."""
    from zeep.wsdl import Document

    chave = str(caminho)
    with _DOCUMENTOS_TRAVA:
        doc = _DOCUMENTOS.get(chave)
        if doc is None:
            doc = _DOCUMENTOS[chave] = Document(chave, Transport())
        return doc


# --------------------------------------------------------------------------------------------- transport


class _QuietTransport(Transport):
    """zeep's Transport without its DEBUG dump of envelopes (they carry amounts), raising our errors for HTTP
    statuses that carry no SOAP answer."""

    def __init__(self, owner: "ContratoSoapClient", **kw):
        super().__init__(**kw)
        self._owner = owner

    def post(self, address, message, headers):
        response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        self._owner._verificar_http(response)
        return response


# --------------------------------------------------------------------------------------------- client


class ContratoSoapClient:
    def __init__(self, endpoint: str, credenciais: Credenciais, *, timeout: float = 30.0,
                 wsdl_path: Path | None = None):
        self.endpoint = endpoint
        self.credenciais = credenciais
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = credenciais.authorization()
        self._session.trust_env = False  # no proxy/netrc surprises (a .netrc would override Authorization)
        transport = _QuietTransport(self, session=self._session, timeout=timeout, operation_timeout=timeout)
        self._client = zeep.Client(wsdl=documento_wsdl(wsdl_path or WSDL_PATH), transport=transport)
        self._service = self._client.create_service(BINDING, endpoint)

    def __repr__(self) -> str:
        return f"<ContratoSoapClient {self.endpoint} NISS {self.credenciais.niss} ({self.credenciais.esquema})>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------------------------------- HTTP layer
    def _verificar_http(self, r: requests.Response) -> None:
        s = r.status_code
        niss = self.credenciais.niss
        if s == 401 and b"token expirado" in r.content.lower():
            raise ContratoTokenExpirado(
                f"{SERVICO}: the Segurança Social answered \"Token expirado.\" (HTTP 401) for NISS {niss}: create a new "
                f"Bearer token in Segurança Social Direta (Gestão de autenticação → Tokens de acesso) and update the "
                f"connection", servico=SERVICO, status=s)
        if s == 401:
            raise ContratoCredenciaisRejeitadas(
                f"credentials rejected for NISS {niss} ({SERVICO}, HTTP 401): check the connection's password or token",
                servico=SERVICO, status=s)
        if s == 403:
            raise ContratoNaoAutorizado(
                f"NISS {niss} is not authorised for {SERVICO} — ask suporte-psi with NISS {niss} and endpoint "
                f"{self.endpoint}", servico=SERVICO, status=s)
        if s == 200:
            return
        tipo = (r.headers.get("content-type") or "").lower()
        if s == 500 and "xml" in tipo and b"Fault" in r.content:
            return  # a SOAP 1.1 Fault: zeep reads it
        if s == 429:
            raise PsiRetryableError(f"{SERVICO}: too many requests (HTTP 429); nothing was processed",
                                    servico=SERVICO, status=s)
        if s >= 500:
            raise PsiOutcomeUnknown(f"{SERVICO}: the Segurança Social answered HTTP {s}; the change may or may not "
                                    f"have been registered", servico=SERVICO, status=s)
        raise PsiError(f"{SERVICO}: unexpected HTTP {s} from {self.endpoint}", servico=SERVICO, status=s)

    # ----------------------------------------------------------------------------------------- operation
    @staticmethod
    def _parametros(campos: dict) -> dict:
        desconhecidos = sorted(set(campos) - set(CAMPOS))
        if desconhecidos:
            raise ValueError(f"unknown alterarContratoTrabalho fields: {', '.join(desconhecidos)}")
        out = {}
        for k in CAMPOS:
            v = campos.get(k)
            if v is None or (isinstance(v, str) and not v.strip()):
                # Omitted even when the WSDL says minOccurs=1: the service, not zeep, answers codigo 2 with its
                # own message ("... não identificado").
                out[k.replace("_", "-")] = xsd.SkipValue
                continue
            if k in ("niss_trabalhador", "niss_trabalhador_substituir"):
                v = str(v).strip()
            elif isinstance(v, str):
                v = v.strip()
            out[k.replace("_", "-")] = v
        return out

    def alterar_contrato(self, campos: "dict | ContratoTrabalho") -> ResultadoAlteracao:
        """Send one contract change (``campos`` keyed by SOAP field names with underscores; None/blank omitted).
        The employer is the authenticated NISS: a representative's credential is stopped here, before any call
        (``PsiCredencialInadequada``); callers check ``exigir_credencial_propria(credenciais, niss_ee)`` first."""
        if isinstance(campos, ContratoTrabalho):
            campos = campos.campos()
        if self.credenciais.representante:
            raise PsiCredencialInadequada(
                f"{SERVICO} authenticates as the employer itself; NISS {self.credenciais.niss} is a representative's "
                f"credential — configure a connection with the employer's own credential for contract changes "
                f"(nothing was sent; the payroll data is not at fault)", servico=SERVICO)
        params = self._parametros(campos)
        niss_t = params.get("niss-trabalhador")
        niss_t = None if niss_t is xsd.SkipValue else niss_t
        ini = params.get("inicio-contrato")
        ini = None if ini is xsd.SkipValue else ini
        ini_txt = ini.isoformat() if isinstance(ini, date) else (str(ini) if ini is not None else None)
        onde = f"worker NISS {niss_t}, start {ini_txt}"
        t0 = time.monotonic()
        try:
            resposta = self._service.alterarContratoTrabalho(**params)
        except PsiError:
            raise
        except Fault as f:
            codigo_fault, msg_fault = _detalhe_fault(f)
            if codigo_fault == "408":
                raise ContratoTimeout(f"{SERVICO}: the Segurança Social timed out ({onde}, SOAP Fault with "
                                      f"codigo-resultado 408): {msg_fault or f.message}; try again later",
                                      faultcode=f.code, faultstring=msg_fault or f.message,
                                      niss_trabalhador=niss_t, status=500) from None
            raise ContratoFault(f"{SERVICO} refused the request ({onde}) with a SOAP Fault "
                                f"[{f.code}]: {f.message}", faultcode=f.code, faultstring=f.message,
                                niss_trabalhador=niss_t, status=500) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
            if _nao_ligou(exc):
                raise PsiRetryableError(f"{SERVICO}: could not connect to {self.endpoint} ({type(exc).__name__}); "
                                        f"nothing was sent", servico=SERVICO) from None
            raise PsiOutcomeUnknown(f"{SERVICO}: the request was sent but no complete answer came back "
                                    f"({type(exc).__name__}); check the contract before sending again ({onde})",
                                    servico=SERVICO) from None
        except requests.exceptions.RequestException as exc:
            raise PsiOutcomeUnknown(f"{SERVICO}: the request was sent but no complete answer came back "
                                    f"({type(exc).__name__}); check the contract before sending again ({onde})",
                                    servico=SERVICO) from None
        except (TransportError, XMLSyntaxError, ZeepError) as exc:
            raise PsiOutcomeUnknown(f"{SERVICO}: unreadable answer ({type(exc).__name__}); the change may or may not "
                                    f"have been registered ({onde})", servico=SERVICO) from None
        ms = int((time.monotonic() - t0) * 1000)
        codigo_txt = str(_campo(resposta, "codigo-resultado") or "").strip()
        mensagens = separar_mensagens(_campo(resposta, "mensagens-erro"))
        log.info("%s %s → codigo %s in %d ms", SERVICO, onde, codigo_txt or "?", ms)
        texto = "; ".join(mensagens)
        if codigo_txt == "1":
            return ResultadoAlteracao(niss_t, ini_txt, 1, mensagens)
        if codigo_txt == "2":
            raise ContratoParametroEmFalta(f"{SERVICO}: missing mandatory parameter ({onde}, codigo 2): {texto}",
                                           mensagens=mensagens, niss_trabalhador=niss_t)
        if codigo_txt == "3":
            raise ContratoInvalido(f"{SERVICO}: the change was refused ({onde}, codigo 3): {texto}",
                                   mensagens=mensagens, niss_trabalhador=niss_t)
        if codigo_txt == "0":
            raise ContratoErroInterno(f"{SERVICO}: internal error of the Segurança Social ({onde}, codigo 0): "
                                      f"{texto or 'Erro interno do servidor'}; the contract was not registered, "
                                      f"try again later", mensagens=mensagens, niss_trabalhador=niss_t)
        raise PsiOutcomeUnknown(f"{SERVICO}: unexpected codigo-resultado {codigo_txt!r} ({onde})", servico=SERVICO)


def _detalhe_fault(f: Fault) -> tuple[str | None, str | None]:
    """(codigo-resultado, message) from a Fault's ``detail`` (``<...Exception><codigo-resultado>408</...>
    <mensagens><erro>Request Timeout</erro></mensagens>``), namespace-agnostic; (None, None) when absent."""
    detail = getattr(f, "detail", None)
    if detail is None:
        return None, None
    codigo = mensagem = None
    for el in detail.iter():
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        texto = (el.text or "").strip()
        if tag in ("codigo-resultado", "codigoResultado") and texto and codigo is None:
            codigo = texto
        elif tag in ("erro", "mensagens-erro", "mensagensErro") and texto and mensagem is None:
            mensagem = texto
    return codigo, mensagem


def _campo(resposta, nome: str):
    if resposta is None:
        return None
    try:
        return resposta[nome]
    except (KeyError, TypeError, AttributeError):
        return getattr(resposta, nome, None)


def _nao_ligou(exc: BaseException) -> bool:
    """True when the connection was never established (so nothing was sent)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        nome = type(e).__name__
        if nome in ("NewConnectionError", "ConnectionRefusedError", "NameResolutionError", "gaierror"):
            return True
        for arg in getattr(e, "args", ()):
            if isinstance(arg, BaseException):
                if _nao_ligou(arg):
                    return True
            elif "NewConnectionError" in str(arg) or "Connection refused" in str(arg):
                return True
        e = e.__cause__ or e.__context__ or getattr(e, "reason", None)
    return False
