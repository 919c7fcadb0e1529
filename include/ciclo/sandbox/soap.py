"""The sandbox's SOAP 1.1 endpoint for ``alterarContratoTrabalho`` (specs/alterar-contrato-soap.txt).

* ``POST /ws/contrato/v1/alterarContratoTrabalho``: authenticate (the EE is the authenticated NISS), parse the
  envelope with defusedxml (no DTDs, no entities), validate with ``ciclo.domain.contrato`` (codigo 2 before 3, then
  the checks against the backend's records), register on success and answer ``alterarContratoTrabalhoResponse``
  with ``codigo-resultado`` / ``mensagens-erro`` as in the spec's examples. A backend failure answers codigo 0
  "Erro interno do servidor". An envelope that can't be read answers a SOAP 1.1 Fault with HTTP 500.
* ``GET /ws/contrato/v1/alterarContratoTrabalho?wsdl``: the WSDL shipped in ``ciclo/psi/wsdl/``, its
  ``soap:address`` pointing at this server.

Choices (the spec is silent): several messages of the same codigo are joined with ``"; "`` into the single
``mensagens-erro`` element (VARCHAR(255): whole messages only, as many as fit); ``<diurnidades>`` (the spelling of
the spec's example request) is accepted as ``<diuturnidades>`` (the WSDL's); any other unknown element, a repeated
element or an element with child elements is a Client fault, as a schema-validating service would answer.

Backend calls are synchronous and made on the event loop (the sandbox store is single-threaded).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Protocol
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import fastapi
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from fastapi import Request, Response

from ciclo.domain import contrato as C

log = logging.getLogger(__name__)

PATH = "/ws/contrato/v1/alterarContratoTrabalho"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_VO = "http://vo.webservice.contrato.segsocial.pt"
SOAP_ACTION = "http://interfaces.webservice.contrato.segsocial.pt#alterarContratoTrabalho"
WSDL_PATH = Path(__file__).resolve().parents[1] / "psi" / "wsdl" / "alterarContratoTrabalho.wsdl"
MAX_BODY = 256 * 1024
MAX_MENSAGENS = 255
LISBOA = ZoneInfo("Europe/Lisbon")

# element name → field (underscore) name
ELEMENTOS = {c.replace("_", "-"): c for c in C.CAMPOS}
ALIASES = {"diurnidades": "diuturnidades"}  # the spec's example request spelling


class SoapBackend(Protocol):
    def autenticar(self, request: fastapi.Request) -> str: ...   # authenticated NISS = the EE; raises fastapi.HTTPException(401)
    def vinculos(self, niss_ee: str, niss_trabalhador: str) -> list[tuple[date, date | None]]: ...
    def contratos(self, niss_ee: str, niss_trabalhador: str) -> list[dict]: ...   # oldest first; keys = SOAP field names with underscores, dates as date, amounts as Decimal, plus muito_curta_duracao: bool
    def foi_trabalhador(self, niss_ee: str, niss: str) -> bool: ...
    def registar_contrato(self, niss_ee: str, niss_trabalhador: str, contrato: dict) -> None: ...


class SoapFault(Exception):
    def __init__(self, faultstring: str, faultcode: str = "Client"):
        super().__init__(faultstring)
        self.faultstring = faultstring
        self.faultcode = faultcode


XML = "text/xml; charset=utf-8"


def fault_xml(faultstring: str, faultcode: str = "Client") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">\n'
            "  <soapenv:Body>\n"
            "    <soapenv:Fault>\n"
            f"      <faultcode>soapenv:{faultcode}</faultcode>\n"
            f"      <faultstring>{escape(faultstring)}</faultstring>\n"
            "    </soapenv:Fault>\n"
            "  </soapenv:Body>\n"
            "</soapenv:Envelope>\n")


def fault_timeout_xml() -> str:
    """The Fault the live service answered on a real timeout: a generic faultstring, and a detail carrying
    codigo-resultado 408 with "Request Timeout" (PUBLIC-CLIENT: diegobarbosa88/atualizacao-app-magnetic-place,
    api/seguranca-social/_soapUtils.js, comment in parseSoapResponse; the detail's element name is ASSUMED)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">\n'
            "  <soapenv:Body>\n"
            "    <soapenv:Fault>\n"
            "      <faultcode>soapenv:Server</faultcode>\n"
            "      <faultstring>Erro comunicação servidor ptss</faultstring>\n"
            "      <detail>\n"
            f'        <vo:ContratoException xmlns:vo="{NS_VO}">\n'
            "          <codigo-resultado>408</codigo-resultado>\n"
            "          <mensagens><erro>Request Timeout</erro></mensagens>\n"
            "        </vo:ContratoException>\n"
            "      </detail>\n"
            "    </soapenv:Fault>\n"
            "  </soapenv:Body>\n"
            "</soapenv:Envelope>\n")


def juntar_mensagens(mensagens: list[str], limite: int = MAX_MENSAGENS) -> str:
    """Whole messages joined with "; ", as many as fit in ``limite`` characters (at least the first)."""
    out = ""
    for m in mensagens:
        cand = m if not out else f"{out}; {m}"
        if out and len(cand) > limite:
            break
        out = cand
    return out[:limite]


def resposta_xml(codigo: int, mensagens: list[str] | None = None) -> str:
    linhas = ['<?xml version="1.0" encoding="UTF-8"?>',
              f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">',
              "  <soapenv:Body>",
              f'    <vo:alterarContratoTrabalhoResponse xmlns:vo="{NS_VO}">',
              f"      <codigo-resultado>{codigo}</codigo-resultado>"]
    if mensagens:
        linhas.append(f"      <mensagens-erro>{escape(juntar_mensagens(mensagens))}</mensagens-erro>")
    linhas += ["    </vo:alterarContratoTrabalhoResponse>", "  </soapenv:Body>", "</soapenv:Envelope>", ""]
    return "\n".join(linhas)


def _local(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, _, nome = tag[1:].partition("}")
        return ns, nome
    return None, tag


def ler_pedido(corpo: bytes) -> dict:
    """The fields (underscore names, text or None when empty) of an ``alterarContratoTrabalho`` envelope, or raise
    ``SoapFault``."""
    if not corpo.strip():
        raise SoapFault("Empty request: a SOAP 1.1 envelope is expected")
    try:
        raiz = fromstring(corpo, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise SoapFault("DTDs and entity declarations are not allowed in a SOAP request") from None
    except ParseError as exc:
        raise SoapFault(f"Malformed SOAP request: not well-formed XML ({exc})") from None
    if not isinstance(raiz.tag, str):
        raise SoapFault("Malformed SOAP request: no root element")
    ns, nome = _local(raiz.tag)
    if nome != "Envelope" or ns not in (NS_SOAP11, NS_SOAP12):
        raise SoapFault(f"Malformed SOAP request: the root element is {nome!r}, not a SOAP 1.1 Envelope")
    if ns == NS_SOAP12:
        raise SoapFault("SOAP 1.2 envelopes are not supported; use SOAP 1.1", "VersionMismatch")
    corpos = [e for e in raiz if e.tag == f"{{{NS_SOAP11}}}Body"]
    if len(corpos) != 1:
        raise SoapFault("Malformed SOAP request: the Envelope must have exactly one Body")
    ops = [e for e in corpos[0] if isinstance(e.tag, str)]
    if len(ops) != 1:
        raise SoapFault("Malformed SOAP request: the Body must hold exactly one alterarContratoTrabalho element")
    op = ops[0]
    ns, nome = _local(op.tag)
    if (ns, nome) != (NS_VO, "alterarContratoTrabalho"):
        raise SoapFault(f"Unknown operation {{{ns or ''}}}{nome}: expected {{{NS_VO}}}alterarContratoTrabalho")
    campos: dict = {}
    for filho in op:
        if not isinstance(filho.tag, str):  # comments, processing instructions
            continue
        _, el = _local(filho.tag)
        campo = ELEMENTOS.get(el) or ALIASES.get(el)
        if campo is None:
            raise SoapFault(f"Unexpected element {el!r} in alterarContratoTrabalho")
        if campo in campos:
            raise SoapFault(f"Element {el!r} appears more than once in alterarContratoTrabalho")
        if any(isinstance(x.tag, str) for x in filho):
            raise SoapFault(f"Element {el!r} must hold a simple value")
        texto = _texto(filho)
        campos[campo] = texto if texto.strip() else None
    return campos


def _texto(e: Element) -> str:
    return "".join(e.itertext())


def _wsdl_com_endereco(endereco: str) -> str:
    texto = WSDL_PATH.read_text(encoding="utf-8")
    return re.sub(r'(<WL5G3N3:address\s+location=")[^"]*(")', lambda m: m.group(1) + escape(endereco) + m.group(2),
                  texto, count=1)


def hoje_lisboa() -> date:
    """Today in Lisbon, the SS's time zone: the date of a call when no clock is given."""
    return datetime.now(LISBOA).date()


def processar(backend: SoapBackend, niss_ee: str, campos: dict, hoje: date) -> C.ResultadoValidacao:
    """Validate one change for ``niss_ee`` and register it when valid (codigo 1)."""
    r = C.validar_campos(campos, hoje)
    if not r.ok:
        return r
    niss_t = str(campos["niss_trabalhador"]).strip()
    sub = campos.get("niss_trabalhador_substituir")
    sub = None if C.vazio(sub) else str(sub).strip()
    r = C.validar_contexto(
        campos, backend.vinculos(niss_ee, niss_t), backend.contratos(niss_ee, niss_t),
        (lambda n: backend.foi_trabalhador(niss_ee, n)), hoje,
        vinculos_substituir=backend.vinculos(niss_ee, sub) if sub else None,
    )
    if not r.ok:
        return r
    backend.registar_contrato(niss_ee, niss_t, C.normalizar_contrato(campos))
    return r


def make_soap_router(backend: SoapBackend, *, hoje: Callable[[], date] | None = None) -> fastapi.APIRouter:
    """The SOAP routes, for ``app.include_router``. ``hoje`` is the date of the call; by default the backend's own
    clock when it has one (the sandbox's store: ``Store.hoje``), else today in Lisbon."""
    router = fastapi.APIRouter()
    dia = hoje or getattr(backend, "hoje", None) or hoje_lisboa

    @router.get(PATH, include_in_schema=False)
    async def wsdl(request: Request):
        if "wsdl" not in {k.lower() for k in request.query_params.keys()}:
            return Response(fault_xml("Use POST with a SOAP 1.1 envelope, or GET ?wsdl"), status_code=400,
                            media_type=XML)
        endereco = str(request.base_url).rstrip("/") + PATH
        return Response(_wsdl_com_endereco(endereco), media_type=XML)

    @router.post(PATH, include_in_schema=False)
    async def alterar(request: Request):
        niss_ee = backend.autenticar(request)  # HTTPException(401) passes through
        acao = request.headers.get("soapaction")
        if acao is not None and acao.strip().strip('"') not in ("", SOAP_ACTION):
            return Response(fault_xml(f"Unknown SOAPAction {acao.strip()!r}: expected {SOAP_ACTION!r}"),
                            status_code=500, media_type=XML)
        corpo = await request.body()
        if len(corpo) > MAX_BODY:
            return Response(fault_xml(f"Request too large (more than {MAX_BODY} bytes)"), status_code=500,
                            media_type=XML)
        consumir_timeout = getattr(backend, "consumir_timeout_soap", None)
        if consumir_timeout is not None and consumir_timeout():
            log.info("alterarContratoTrabalho EE %s: simulated timeout (Fault 408)", niss_ee)
            return Response(fault_timeout_xml(), status_code=500, media_type=XML)
        try:
            campos = ler_pedido(corpo)
        except SoapFault as f:
            log.info("SOAP fault for %s: %s", niss_ee, f.faultstring)
            return Response(fault_xml(f.faultstring, f.faultcode), status_code=500, media_type=XML)
        try:
            r = processar(backend, niss_ee, campos, dia())
        except Exception:  # the service's codigo 0: never a traceback to the caller
            log.exception("alterarContratoTrabalho: internal error for EE %s", niss_ee)
            return Response(resposta_xml(C.CODIGO_ERRO_INTERNO, [C.ERRO_INTERNO]), media_type=XML)
        log.info("alterarContratoTrabalho EE %s: codigo %s", niss_ee, r.codigo)
        return Response(resposta_xml(r.codigo, r.mensagens), media_type=XML)

    return router
