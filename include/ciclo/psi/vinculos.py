"""Clients for the vínculo services (shapes: ``ciclo.psi.models.vinculos``; evidence: docs/psi-contract.md §Vínculos).

* ``CessacaoSoapClient`` — SOAP ``cessarVinculoTrabalhador`` (zeep, the WSDL in ``psi/wsdl/``): codigo-resultado 1 →
  ``ResultadoCessacao``; 2 → ``CessacaoParametroEmFalta``; 3 → ``CessacaoRecusada`` (not retryable: fix the data);
  0 → ``CessacaoErroInterno`` (retryable, not registered); a Fault with codigo-resultado 408 → ``CessacaoTimeout``
  (retryable); another Fault → ``CessacaoFault``; HTTP 401/403 and transport errors as for alterarContratoTrabalho
  (``ciclo.psi.soap``): a request that left without a complete answer is ``PsiOutcomeUnknown``.
* ``comunicar_admissao(client, pedido)`` — REST ``POST /qlf/tco/vinculos/pedido`` through the REST client (audited,
  never retried): 204 (PUBLIC-CLIENT: "sucesso sem corpo") or another 2xx → the answer's JSON or ``{}``; 400 →
  ``PsiValidationError``; 5xx / lost answer → ``PsiOutcomeUnknown`` (ask the SS before resending).
* ``TrabalhadoresSsClient`` — SOAP ``getQualificacoesTrabalhadoresVinculadosEE`` → ``getDados`` (two steps with a
  ``chave``, PUBLIC-CLIENT): the workers the Segurança Social holds as bound to the employer in a window of at most
  90 days. The public client marks this service as its least certain one (a different namespace; the WSDL asks for
  WS-Addressing, which it does not send): the envelopes here are the public client's, byte for byte in structure.

All three authenticate as the employer itself (the SOAP contract services do — SPEC; ASSUMED for the other two, the
public client acting only for itself): a representative's credential is refused before any call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

import httpx
import requests
import zeep
from defusedxml import DefusedXmlException
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, XMLSyntaxError

from ciclo.psi.auth import Credenciais
from ciclo.psi.tls import contexto_tls
from ciclo.psi.errors import (
    PsiAuthError, PsiCredencialInadequada, PsiError, PsiForbiddenError, PsiOutcomeUnknown, PsiRetryableError,
    PsiTokenExpirado,
)
from ciclo.psi.models.vinculos import CessacaoVinculo, PedidoAdmissao, TrabalhadorVinculado
from ciclo.psi.soap import _QuietTransport, _campo, _detalhe_fault, _nao_ligou, documento_wsdl, separar_mensagens

log = logging.getLogger("ciclo.psi.vinculos")

SERVICO_CESSACAO = "cessarVinculoTrabalhador"
SOAP_ACTION_CESSACAO = "http://interfaces.webservice.contrato.segsocial.pt#cessarVinculo"  # PUBLIC-CLIENT index.js
WSDL_CESSACAO = Path(__file__).resolve().parent / "wsdl" / "cessarVinculoTrabalhador.wsdl"
BINDING_CESSACAO = "{http://interfaces.webservice.contrato.segsocial.pt}cessarVinculoTrabalhadorSEIBinding"

SERVICO_ADMISSAO = "comunicarVinculoTrabalhador"
CAMINHO_ADMISSAO = "/qlf/tco/vinculos/pedido"   # under /ptss/rest (SPEC psi-endpoints.txt; PUBLIC-CLIENT REST_URL)

SERVICO_TRABALHADORES = "consultarTrabalhadores"
CAMINHO_TRABALHADORES = "/ws/idq/WsIdqQualificacoesTrabalhadoresVinculadosEE_Request"  # PUBLIC-CLIENT TRABALHADORES_SS_URL
NS_IDQ = "http://vo.webservice.wsidq.segsocial.pt"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
JANELA_MAX_DIAS = 90   # PUBLIC-CLIENT index.js: "O intervalo entre data início e data fim não pode exceder 90 dias"


# --------------------------------------------------------------------------------------------- cessation
@dataclass(frozen=True)
class ResultadoCessacao:
    niss_trabalhador: str
    data_fim_vinculo: str
    codigo: int = 1
    mensagens: list[str] = field(default_factory=list)


class CessacaoSoapError(PsiError):
    codigo: int | None = None

    def __init__(self, message: str, *, mensagens: list[str] | None = None, status: int | None = 200):
        super().__init__(message, servico=SERVICO_CESSACAO, status=status)
        self.mensagens = list(mensagens or [])


class CessacaoParametroEmFalta(CessacaoSoapError):
    """codigo-resultado 2 — a mandatory parameter is missing."""

    codigo = 2


class CessacaoRecusada(CessacaoSoapError):
    """codigo-resultado 3 — a validation failed (e.g. no vínculo to end, an end date before its start)."""

    codigo = 3


class CessacaoErroInterno(CessacaoSoapError, PsiRetryableError):
    """codigo-resultado 0 — internal error: the cessation was not registered; try again later."""

    codigo = 0


class CessacaoFault(CessacaoSoapError):
    """A SOAP Fault: the service could not read the request."""


class CessacaoTimeout(CessacaoFault, PsiRetryableError):
    """A Fault carrying codigo-resultado 408 (PUBLIC-CLIENT ``parseSoapResponse``: seen on a real timeout)."""


def _verificar_http_comum(r, servico: str, endpoint: str, niss: str, escrita: bool) -> None:
    s = r.status_code
    conteudo = r.content or b""
    if s == 401 and b"token expirado" in conteudo.lower():
        raise PsiTokenExpirado(f"{servico}: the Segurança Social answered \"Token expirado.\" (HTTP 401) for NISS {niss}: "
                               f"create a new Bearer token in Segurança Social Direta (Gestão de autenticação → Tokens "
                               f"de acesso) and update the connection", servico=servico, status=s)
    if s == 401:
        raise PsiAuthError(f"credentials rejected for NISS {niss} ({servico}, HTTP 401): check the connection's "
                           f"password or token", servico=servico, status=s)
    if s == 403:
        raise PsiForbiddenError(f"NISS {niss} is not authorised for {servico} — ask suporte-psi with NISS {niss} and "
                                f"endpoint {endpoint}", servico=servico, status=s)
    if s == 200:
        return
    tipo = (r.headers.get("content-type") or "").lower()
    if s == 500 and "xml" in tipo and b"Fault" in conteudo:
        return  # a SOAP 1.1 Fault: read by the caller
    if s == 429:
        raise PsiRetryableError(f"{servico}: too many requests (HTTP 429); nothing was processed", servico=servico, status=s)
    if s >= 500:
        if escrita:
            raise PsiOutcomeUnknown(f"{servico}: the Segurança Social answered HTTP {s}; the communication may or may "
                                    f"not have been registered", servico=servico, status=s)
        raise PsiRetryableError(f"{servico}: temporarily unavailable (HTTP {s})", servico=servico, status=s)
    raise PsiError(f"{servico}: unexpected HTTP {s} from {endpoint}", servico=servico, status=s)


def _so_propria(credenciais: Credenciais, servico: str) -> None:
    if credenciais.representante:
        raise PsiCredencialInadequada(
            f"{servico} authenticates as the employer itself; NISS {credenciais.niss} is a representative's credential "
            f"— configure a connection with the employer's own credential (nothing was sent)", servico=servico)


class CessacaoSoapClient:
    """``cessarVinculoTrabalhador`` (SOAP 1.1, document/literal). Use as a context manager or call ``close()``."""

    def __init__(self, endpoint: str, credenciais: Credenciais, *, timeout: float = 30.0):
        self.endpoint = endpoint
        self.credenciais = credenciais
        self._session = requests.Session()
        self._session.headers["Authorization"] = credenciais.authorization()
        self._session.trust_env = False
        transport = _QuietTransport(self, session=self._session, timeout=timeout, operation_timeout=timeout)
        self._client = zeep.Client(wsdl=documento_wsdl(WSDL_CESSACAO), transport=transport)
        self._service = self._client.create_service(BINDING_CESSACAO, endpoint)

    def __repr__(self) -> str:
        return f"<CessacaoSoapClient {self.endpoint} NISS {self.credenciais.niss}>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _verificar_http(self, r) -> None:  # called by _QuietTransport
        _verificar_http_comum(r, SERVICO_CESSACAO, self.endpoint, self.credenciais.niss, escrita=True)

    def cessar(self, c: CessacaoVinculo) -> ResultadoCessacao:
        """Communicate one cessation; raises the errors of the module docstring."""
        _so_propria(self.credenciais, SERVICO_CESSACAO)
        onde = f"worker NISS {c.niss_trabalhador}, end {c.data_fim_vinculo.isoformat()}"
        try:
            resposta = self._service.cessarVinculo(**c.parametros())
        except PsiError:
            raise
        except Fault as f:
            codigo, msg = _detalhe_fault(f)
            if codigo == "408":
                raise CessacaoTimeout(f"{SERVICO_CESSACAO}: the Segurança Social timed out ({onde}, SOAP Fault with "
                                      f"codigo-resultado 408): {msg or f.message}; try again later",
                                      mensagens=[msg or f.message], status=500) from None
            raise CessacaoFault(f"{SERVICO_CESSACAO} refused the request ({onde}) with a SOAP Fault [{f.code}]: "
                                f"{f.message}", mensagens=[f.message] if f.message else [], status=500) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
            if _nao_ligou(exc):
                raise PsiRetryableError(f"{SERVICO_CESSACAO}: could not connect to {self.endpoint} "
                                        f"({type(exc).__name__}); nothing was sent", servico=SERVICO_CESSACAO) from None
            raise PsiOutcomeUnknown(f"{SERVICO_CESSACAO}: the request was sent but no complete answer came back "
                                    f"({type(exc).__name__}) ({onde})", servico=SERVICO_CESSACAO) from None
        except requests.exceptions.RequestException as exc:
            raise PsiOutcomeUnknown(f"{SERVICO_CESSACAO}: the request was sent but no complete answer came back "
                                    f"({type(exc).__name__}) ({onde})", servico=SERVICO_CESSACAO) from None
        except (TransportError, XMLSyntaxError, ZeepError) as exc:
            raise PsiOutcomeUnknown(f"{SERVICO_CESSACAO}: unreadable answer ({type(exc).__name__}) ({onde})",
                                    servico=SERVICO_CESSACAO) from None
        codigo = str(_campo(resposta, "codigo-resultado") or "").strip()
        mensagens = separar_mensagens(_campo(resposta, "mensagens-erro"))
        texto = "; ".join(mensagens)
        log.info("%s %s → codigo %s", SERVICO_CESSACAO, onde, codigo or "?")
        if codigo == "1":
            return ResultadoCessacao(c.niss_trabalhador, c.data_fim_vinculo.isoformat(), 1, mensagens)
        if codigo == "2":
            raise CessacaoParametroEmFalta(f"{SERVICO_CESSACAO}: missing mandatory parameter ({onde}, codigo 2): {texto}",
                                           mensagens=mensagens)
        if codigo == "3":
            raise CessacaoRecusada(f"{SERVICO_CESSACAO}: the cessation was refused ({onde}, codigo 3): {texto}",
                                   mensagens=mensagens)
        if codigo == "0":
            raise CessacaoErroInterno(f"{SERVICO_CESSACAO}: internal error of the Segurança Social ({onde}, codigo 0): "
                                      f"{texto or 'Erro interno do servidor'}; not registered, try again later",
                                      mensagens=mensagens)
        raise PsiOutcomeUnknown(f"{SERVICO_CESSACAO}: unexpected codigo-resultado {codigo!r} ({onde})",
                                servico=SERVICO_CESSACAO)


# --------------------------------------------------------------------------------------------- admission (REST)
def comunicar_admissao(client, pedido: PedidoAdmissao) -> dict:
    """Send one admission through ``client`` (a ``ciclo.psi.rest.PsiClient``: audited, never retried). Returns the
    answer's JSON, or ``{}`` for a 204 without a body (PUBLIC-CLIENT: "204 = sucesso sem corpo")."""
    from ciclo.psi.rest import _Pedido

    _so_propria(client.credenciais, SERVICO_ADMISSAO)
    return client._exec(_Pedido(SERVICO_ADMISSAO, "POST", CAMINHO_ADMISSAO, CAMINHO_ADMISSAO,
                                 lambda data: data if isinstance(data, dict) else {}, corpo=pedido.corpo(),
                                 niss_ee=str(pedido.niss_entidade_empregadora).zfill(11)))


# --------------------------------------------------------------------------------------------- workers bound to the EE
class TrabalhadoresSsErro(PsiError):
    """The query was answered with an error (``codigoEstado`` 2, an unknown code, a Fault, an expired key)."""


def _envelope(corpo: str, xsi: bool = False) -> str:
    ns_xsi = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' if xsi else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}"{ns_xsi} '
            f'xmlns:vo="{NS_IDQ}">\n  <soapenv:Header/>\n  <soapenv:Body>\n{corpo}\n  </soapenv:Body>\n'
            f'</soapenv:Envelope>\n')


def envelope_pesquisa(inicio: date, fim: date, niss: str | None = None) -> str:
    """``getQualificacoesTrabalhadoresVinculadosEE`` (PUBLIC-CLIENT ``buildPesquisaTrabalhadoresSoap``): the window's
    ends as datetimes (start at midnight, end at 23:59:59), ``nissPS`` nil for every worker."""
    niss_xml = f"<nissPS>{escape(niss)}</nissPS>" if niss else '<nissPS xsi:nil="true"/>'
    return _envelope("    <vo:getQualificacoesTrabalhadoresVinculadosEE>\n      <TrabalhadorVinculoEEPesquisaSimplesPTVO_1>\n"
                     f"        <dataFimPesquisa>{fim.isoformat()}T23:59:59Z</dataFimPesquisa>\n"
                     f"        <dataInicioPesquisa>{inicio.isoformat()}T00:00:00Z</dataInicioPesquisa>\n"
                     f"        {niss_xml}\n      </TrabalhadorVinculoEEPesquisaSimplesPTVO_1>\n"
                     "    </vo:getQualificacoesTrabalhadoresVinculadosEE>", xsi=True)


def envelope_dados(chave: str) -> str:
    """``getDados`` (PUBLIC-CLIENT ``buildGetDadosTrabalhadoresSoap``)."""
    return _envelope(f"    <vo:getDados>\n      <chave>{escape(chave)}</chave>\n    </vo:getDados>")


def _nome(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _primeiro(raiz, nome: str) -> str | None:
    for el in raiz.iter():
        if _nome(el.tag) == nome:
            return (el.text or "").strip()
    return None


def _data(v: str | None) -> date | None:
    if not v:
        return None
    try:
        return date.fromisoformat(v[:10])
    except ValueError:
        return None


class TrabalhadoresSsClient:
    """The workers the Segurança Social holds as bound to the employer (two steps with a ``chave``)."""

    def __init__(self, endpoint: str, credenciais: Credenciais, *, timeout: float = 30.0, intervalo: float = 0.5,
                 espera_max: float = 60.0, sleep=time.sleep, primeiro_intervalo: float = 0.1):
        self.endpoint = endpoint
        self.credenciais = credenciais
        self.intervalo, self.espera_max, self._sleep = intervalo, espera_max, sleep
        # ASSUMED: how long the SS takes to process a search is not documented (the public client leaves the asking
        # again to its user). The first asks come soon and the waits double up to ``intervalo``: a search processed
        # at once costs about primeiro_intervalo rather than a whole intervalo, and a slow one is asked about as
        # often as before (0.1, 0.2, 0.4, then every 0.5 s).
        self.primeiro_intervalo = min(primeiro_intervalo, intervalo)
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)), trust_env=False,
                                  auth=credenciais.httpx_auth(), verify=contexto_tls())

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _post(self, envelope: str) -> "_Resposta":
        try:
            r = self._http.post(self.endpoint, content=envelope.encode("utf-8"),
                                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise PsiRetryableError(f"{SERVICO_TRABALHADORES}: could not connect ({type(exc).__name__})",
                                    servico=SERVICO_TRABALHADORES) from None
        except httpx.RequestError as exc:  # a read-only query: safe to ask again
            raise PsiRetryableError(f"{SERVICO_TRABALHADORES}: no complete answer ({type(exc).__name__})",
                                    servico=SERVICO_TRABALHADORES) from None
        _verificar_http_comum(r, SERVICO_TRABALHADORES, self.endpoint, self.credenciais.niss, escrita=False)
        try:
            resposta = _ler_resposta(r.content)
        except (ParseError, DefusedXmlException):
            raise TrabalhadoresSsErro(f"{SERVICO_TRABALHADORES}: unreadable answer (not XML)",
                                      servico=SERVICO_TRABALHADORES, status=r.status_code) from None
        fault = resposta.primeiros.get("faultstring")
        if fault is not None:
            raise TrabalhadoresSsErro(f"{SERVICO_TRABALHADORES}: SOAP Fault: {fault}", servico=SERVICO_TRABALHADORES,
                                      status=r.status_code)
        return resposta

    def trabalhadores_vinculados(self, inicio: date, fim: date, niss: str | None = None) -> list[TrabalhadorVinculado]:
        """Every worker (or ``niss``) bound to the employer at some day of ``inicio``..``fim`` (≤ 90 days)."""
        _so_propria(self.credenciais, SERVICO_TRABALHADORES)
        if fim < inicio or (fim - inicio) > timedelta(days=JANELA_MAX_DIAS):
            raise ValueError(f"{SERVICO_TRABALHADORES}: window {inicio}..{fim} must be 0..{JANELA_MAX_DIAS} days")
        r = self._post(envelope_pesquisa(inicio, fim, niss))
        chave = r.primeiros.get("chave")
        if not chave:
            raise TrabalhadoresSsErro(f"{SERVICO_TRABALHADORES}: no chave in the answer: "
                                      f"{r.primeiros.get('mensagemEstado') or 'sem detalhe'}", servico=SERVICO_TRABALHADORES)
        t0 = time.monotonic()
        espera = self.primeiro_intervalo
        while True:
            r = self._post(envelope_dados(chave))
            codigo = r.primeiros.get("codigoEstado")
            msg = r.primeiros.get("mensagemEstado") or ""
            # PUBLIC-CLIENT parseGetDadosTrabalhadoresResponse: 0 is success, "still processing" or "no data", told
            # apart only by mensagemEstado; 1 = a file (MTOM), 2 = a business error.
            if codigo == "0" and "ainda n" in msg.lower() and "processado" in msg.lower():
                if time.monotonic() - t0 > self.espera_max:
                    raise PsiRetryableError(f"{SERVICO_TRABALHADORES}: still processing after {self.espera_max:.0f} s",
                                            servico=SERVICO_TRABALHADORES)
                self._sleep(espera)
                espera = min(self.intervalo, espera * 2)
                continue
            if codigo == "0" and "sem dados" in msg.lower():
                return []
            if codigo == "0" and "expir" in msg.lower():
                raise PsiRetryableError(f"{SERVICO_TRABALHADORES}: the query expired ({msg}); ask again",
                                        servico=SERVICO_TRABALHADORES)
            if codigo != "0" or msg:
                raise TrabalhadoresSsErro(f"{SERVICO_TRABALHADORES}: codigoEstado {codigo!r}: {msg or 'sem detalhe'}"
                                          + (" (the answer came as a file, which this client does not read)"
                                             if codigo == "1" else ""), servico=SERVICO_TRABALHADORES)
            return r.trabalhadores


@dataclass
class _Resposta:
    primeiros: dict[str, str]                 # the first element of each name in _CAMPOS_RESPOSTA: its text
    trabalhadores: list[TrabalhadorVinculado]  # the ``trabalhadoresQualificacoes`` items, in order


_CAMPOS_RESPOSTA = frozenset({"faultstring", "chave", "codigoEstado", "mensagemEstado"})


def _ler_resposta(conteudo: bytes) -> _Resposta:
    """The answer read while it is parsed (defused: no DTD, entities or external references): each
    ``trabalhadoresQualificacoes`` item becomes a ``TrabalhadorVinculado`` when it ends and its elements are freed
    then, so that a 50,000-worker answer never stands as one tree (≈50 MB of elements for 12 MB of XML)."""
    import io

    from defusedxml.ElementTree import iterparse

    primeiros: dict[str, str] = {}
    trabalhadores: list[TrabalhadorVinculado] = []
    for _evento, el in iterparse(io.BytesIO(conteudo), events=("end",), forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True):
        nome = _nome(el.tag)
        if nome == "trabalhadoresQualificacoes":
            trabalhadores.append(TrabalhadorVinculado(
                _primeiro(el, "nissEE") or "", _primeiro(el, "nissPS") or "", _data(_primeiro(el, "dataInicioQlf")),
                _data(_primeiro(el, "dataFimQlf")), _primeiro(el, "tipoQlf")))
            el.clear()
        elif nome in _CAMPOS_RESPOSTA and nome not in primeiros:
            primeiros[nome] = (el.text or "").strip()
    return _Resposta(primeiros, trabalhadores)


# --------------------------------------------------------------------------------------------- from a connection
def cliente_cessacao(ligacao) -> CessacaoSoapClient:
    """The cessation client for a ``LigacaoPsi`` (``PsiHook`` or ``LigacaoDireta``: ``ambiente``, ``credenciais``,
    ``timeout``)."""
    return CessacaoSoapClient(ligacao.ambiente.soap_endpoint(SERVICO_CESSACAO), ligacao.credenciais,
                              timeout=float(getattr(ligacao, "timeout", 30.0)))


def cliente_trabalhadores(ligacao) -> TrabalhadoresSsClient:
    """The "Consultar Trabalhadores" client for a ``LigacaoPsi``."""
    return TrabalhadoresSsClient(f"{ligacao.ambiente.soap_host.rstrip('/')}{CAMINHO_TRABALHADORES}",
                                 ligacao.credenciais, timeout=float(getattr(ligacao, "timeout", 30.0)))
