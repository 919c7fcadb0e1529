"""The sandbox's vínculo services (shapes: ``ciclo.psi.models.vinculos``; evidence: docs/psi-contract.md §Vínculos).

* ``POST /ws/contrato/v1/cessarVinculoTrabalhador`` (WSDL at ``?wsdl``, from ``ciclo/psi/wsdl/``): same
  authentication, Faults, simulated timeouts (``/_sandbox/soap/timeouts``) and request log as
  ``alterarContratoTrabalho``. Codigo 2 before 3; on success the worker's vínculo gets its end date (the month's
  apuramento then prorates it).
* ``POST /ws/idq/WsIdqQualificacoesTrabalhadoresVinculadosEE_Request``: ``getQualificacoesTrabalhadoresVinculadosEE``
  answers a ``chave``; the first ``getDados`` of a key finds it "ainda não foi processado", later ones answer the
  workers whose vínculo overlaps the window (``codigoEstado`` 0), or "Pesquisa sem dados de retorno.", or
  ``codigoEstado`` 2 for an unknown key or a window over 90 days.
* ``POST /ptss/rest/qlf/tco/vinculos/pedido``: the admission (REST). 204 without a body on success (PUBLIC-CLIENT);
  ``{"code": 400, "message"}`` when refused; the worker is then bound to the employer from ``inicio-contrato``
  (his valores are apurados from then on).
* ``GET /_sandbox/vinculos?niss_ee=`` (admin): the vínculos the sandbox holds.

Texts of refusals are ASSUMED (the live ones are not public); each says what and which field.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Callable
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

import fastapi
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from fastapi import Request, Response

from ciclo.domain import contrato as C
from ciclo.domain.niss import formato_valido
from ciclo.sandbox.soap import NS_SOAP11, NS_VO, XML, fault_timeout_xml, fault_xml, hoje_lisboa, juntar_mensagens

log = logging.getLogger("ciclo.sandbox.vinculos")

PATH_CESSACAO = "/ws/contrato/v1/cessarVinculoTrabalhador"
SOAP_ACTION_CESSACAO = "http://interfaces.webservice.contrato.segsocial.pt#cessarVinculo"
WSDL_CESSACAO = Path(__file__).resolve().parents[1] / "psi" / "wsdl" / "cessarVinculoTrabalhador.wsdl"
PATH_IDQ = "/ws/idq/WsIdqQualificacoesTrabalhadoresVinculadosEE_Request"
NS_IDQ = "http://vo.webservice.wsidq.segsocial.pt"
PATH_ADMISSAO = "/ptss/rest/qlf/tco/vinculos/pedido"
MAX_BODY = 64 * 1024

CAMPOS_CESSACAO = ("niss-trabalhador", "data-fim-vinculo", "motivo-fim-vinculo", "comunicacao-desemprego", "fundamentacao")
# PUBLIC-CLIENT (_soapUtils.js): fundamentacao "obrigatório se motivo ∈ RARC/RARD/RARE/RARR e desemprego=1"
MOTIVOS_COM_FUNDAMENTACAO = {"RARC", "RARD", "RARE", "RARR"}
_MOTIVO = re.compile(r"^[A-Z0-9]{4}$")

# ASSUMED texts (codigo 2 / 3)
NISS_NAO_IDENTIFICADO = "NISS do trabalhador não identificado"
DATA_FIM_NAO_IDENTIFICADA = "Data de fim do vínculo não identificada"
MOTIVO_NAO_IDENTIFICADO = "Motivo de fim do vínculo não identificado"
DESEMPREGO_NAO_IDENTIFICADO = "Comunicação para efeitos de desemprego não identificada"
FUNDAMENTACAO_NAO_IDENTIFICADA = "Fundamentação não identificada"
NISS_INVALIDO = "NISS do trabalhador inválido"
DATA_FIM_INVALIDA = "Data de fim do vínculo com formato inválido"
MOTIVO_INVALIDO = "Motivo de fim do vínculo inválido"
DESEMPREGO_INVALIDO = "Comunicação para efeitos de desemprego inválida"
SEM_VINCULO = "Trabalhador sem vínculo com a entidade empregadora"
JA_CESSADO = "Vínculo já cessado em"   # + " YYYY-MM-DD"
FIM_ANTES_INICIO = "Data de fim do vínculo anterior ao início do vínculo"
FIM_FUTURO = "Data de fim do vínculo posterior a 30 dias da data atual"


def _local(tag) -> tuple[str | None, str]:
    if isinstance(tag, str) and tag.startswith("{"):
        ns, _, nome = tag[1:].partition("}")
        return ns, nome
    return None, tag if isinstance(tag, str) else ""


class _Fault(Exception):
    def __init__(self, faultstring: str, faultcode: str = "Client"):
        super().__init__(faultstring)
        self.faultstring, self.faultcode = faultstring, faultcode


def _operacao(corpo: bytes):
    """(namespace, operation name, element) of a SOAP 1.1 request, or raise ``_Fault``."""
    if not corpo.strip():
        raise _Fault("Empty request: a SOAP 1.1 envelope is expected")
    try:
        raiz = fromstring(corpo, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _Fault("DTDs and entity declarations are not allowed in a SOAP request") from None
    except ParseError as exc:
        raise _Fault(f"Malformed SOAP request: not well-formed XML ({exc})") from None
    if _local(raiz.tag) != (NS_SOAP11, "Envelope"):
        raise _Fault("Malformed SOAP request: the root element is not a SOAP 1.1 Envelope")
    corpos = [e for e in raiz if e.tag == f"{{{NS_SOAP11}}}Body"]
    if len(corpos) != 1:
        raise _Fault("Malformed SOAP request: the Envelope must have exactly one Body")
    ops = [e for e in corpos[0] if isinstance(e.tag, str)]
    if len(ops) != 1:
        raise _Fault("Malformed SOAP request: the Body must hold exactly one operation element")
    ns, nome = _local(ops[0].tag)
    return ns, nome, ops[0]


def _campos_simples(op, permitidos: tuple[str, ...], nome_op: str) -> dict:
    campos: dict = {}
    for filho in op:
        if not isinstance(filho.tag, str):
            continue
        _, el = _local(filho.tag)
        if el not in permitidos:
            raise _Fault(f"Unexpected element {el!r} in {nome_op}")
        if el in campos:
            raise _Fault(f"Element {el!r} appears more than once in {nome_op}")
        if any(isinstance(x.tag, str) for x in filho):
            raise _Fault(f"Element {el!r} must hold a simple value")
        texto = "".join(filho.itertext()).strip()
        campos[el] = texto or None
    return campos


def _resposta(elemento: str, ns: str, linhas: list[str]) -> str:
    corpo = "\n".join(f"      {ln}" for ln in linhas)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">\n  <soapenv:Body>\n'
            f'    <vo:{elemento} xmlns:vo="{ns}">\n{corpo}\n    </vo:{elemento}>\n'
            "  </soapenv:Body>\n</soapenv:Envelope>\n")


def resposta_cessacao(codigo: int, mensagens: list[str] | None = None) -> str:
    linhas = [f"<codigo-resultado>{codigo}</codigo-resultado>"]
    if mensagens:
        linhas.append(f"<mensagens-erro>{escape(juntar_mensagens(mensagens))}</mensagens-erro>")
    return _resposta("cessarVinculoResponse", NS_VO, linhas)


# --------------------------------------------------------------------------------------------- state (store.db)
def vinculos_de(store, niss_ee: str, niss_t: str | None = None) -> list[dict]:
    q = "SELECT id, niss_trab, inicio, fim, enquadramento FROM vinculos WHERE niss_ee=?"
    args: list = [niss_ee]
    if niss_t:
        q += " AND niss_trab=?"
        args.append(niss_t)
    return [{"id": i, "niss_trabalhador": t, "inicio": a, "fim": b, "enquadramento": e}
            for i, t, a, b, e in store.db.execute(q + " ORDER BY niss_trab, inicio, id", args)]


def cessar(store, niss_ee: str, campos: dict, hoje: date) -> tuple[int, list[str]]:
    """Validate and register one cessation → (codigo-resultado, mensagens)."""
    falta = [msg for el, msg in (("niss-trabalhador", NISS_NAO_IDENTIFICADO), ("data-fim-vinculo", DATA_FIM_NAO_IDENTIFICADA),
                                 ("motivo-fim-vinculo", MOTIVO_NAO_IDENTIFICADO),
                                 ("comunicacao-desemprego", DESEMPREGO_NAO_IDENTIFICADO)) if not campos.get(el)]
    motivo = (campos.get("motivo-fim-vinculo") or "").strip()
    desemprego = (campos.get("comunicacao-desemprego") or "").strip()
    if motivo in MOTIVOS_COM_FUNDAMENTACAO and desemprego == "1" and not campos.get("fundamentacao"):
        falta.append(FUNDAMENTACAO_NAO_IDENTIFICADA)
    if falta:
        return C.CODIGO_PARAMETRO_EM_FALTA, falta
    erros = []
    niss_t = campos["niss-trabalhador"].strip()
    if not formato_valido(niss_t):
        erros.append(NISS_INVALIDO)
    try:
        fim = date.fromisoformat(campos["data-fim-vinculo"].strip())
    except ValueError:
        fim = None
        erros.append(DATA_FIM_INVALIDA)
    if not _MOTIVO.match(motivo):
        erros.append(MOTIVO_INVALIDO)
    if desemprego not in ("0", "1"):
        erros.append(DESEMPREGO_INVALIDO)
    if fim is not None and fim > hoje + timedelta(days=30):
        erros.append(FIM_FUTURO)
    if erros:
        return C.CODIGO_VALIDACAO, erros
    vs = vinculos_de(store, niss_ee, niss_t)
    if not vs:
        return C.CODIGO_VALIDACAO, [SEM_VINCULO]
    v = vs[-1]  # the latest vínculo is the one a cessation ends
    if v["fim"] is not None:
        return C.CODIGO_VALIDACAO, [f"{JA_CESSADO} {v['fim']}"]
    if fim < date.fromisoformat(v["inicio"]):
        return C.CODIGO_VALIDACAO, [FIM_ANTES_INICIO]
    store.db.execute("UPDATE vinculos SET fim=? WHERE id=?", (fim.isoformat(), v["id"]))
    return C.CODIGO_SUCESSO, []


def _wsdl(endereco: str) -> str:
    texto = WSDL_CESSACAO.read_text(encoding="utf-8")
    return re.sub(r'(<WL5G3N3:address\s+location=")[^"]*(")', lambda m: m.group(1) + escape(endereco) + m.group(2),
                  texto, count=1)


def _idq_resposta_dados(store, pedido: dict) -> list[str]:
    niss_ee, ini, fim, niss = pedido["niss_ee"], pedido["inicio"], pedido["fim"], pedido["niss"]
    linhas = []
    for v in vinculos_de(store, niss_ee, niss):
        if v["inicio"] > fim.isoformat() or (v["fim"] is not None and v["fim"] < ini.isoformat()):
            continue
        linhas.append("<trabalhadoresQualificacoes>"
                      f"<nissEE>{niss_ee}</nissEE><nissPS>{v['niss_trabalhador']}</nissPS><nomePS>***</nomePS>"
                      f"<tipoQlf>TCO</tipoQlf><dataEntradaRegistoEE>{v['inicio']}T00:00:00Z</dataEntradaRegistoEE>"
                      f"<dataInicioQlf>{v['inicio']}T00:00:00Z</dataInicioQlf>"
                      + (f"<dataFimQlf>{v['fim']}T23:59:59Z</dataFimQlf>" if v["fim"] else "")
                      + "</trabalhadoresQualificacoes>")
    if not linhas:
        return ["<codigoEstado>0</codigoEstado>", "<mensagemEstado>Pesquisa sem dados de retorno.</mensagemEstado>"]
    return ["<codigoEstado>0</codigoEstado>", "<mensagemEstado></mensagemEstado>", *linhas]


def _data_hora(texto: str | None) -> date | None:
    if not texto:
        return None
    try:
        return date.fromisoformat(texto.strip()[:10])
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------- admission (REST)
def admitir(store, niss_ee: str, body, hoje: date) -> None:
    """Validate and register one admission; raises ``ErroPedido`` (400) with the first refusal."""
    from ciclo.sandbox.validacao import ErroPedido

    if not isinstance(body, dict):
        raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
    niss_t = str(body.get("niss-trabalhador") or "")
    if not formato_valido(niss_t):
        raise ErroPedido("NISS trabalhador com formato inválido.")
    if _data_hora(str(body.get("data-nascimento") or "")) is None:
        raise ErroPedido("Data de nascimento não identificada ou com formato inválido.")
    enq = body.get("enquadramento")
    if enq != "REGE":  # the only code evidenced (PUBLIC-CLIENT default); others are not simulated
        raise ErroPedido(f"Enquadramento inválido: {enq}")
    campos = {c: body.get(c.replace("_", "-")) for c in C.CAMPOS if c != "diuturnidades"}
    campos["niss_trabalhador"] = niss_t
    r = C.validar_campos({k: (None if v is None else str(v)) for k, v in campos.items()}, hoje)
    if not r.ok:
        raise ErroPedido("; ".join(f"{m} ({c.replace('_', '-')})" for c, m in r.pares()))
    contrato = C.normalizar_contrato({k: (None if v is None else str(v)) for k, v in campos.items()})
    inicio = contrato["inicio_contrato"]
    for v in vinculos_de(store, niss_ee, niss_t):
        if v["fim"] is None or v["fim"] >= inicio.isoformat():
            raise ErroPedido(f"Trabalhador já tem vínculo com a entidade empregadora desde {v['inicio']}.")
    from ciclo.sandbox.store import _contrato_dump, agora_lisboa

    store.db.execute("BEGIN")
    store.db.execute("INSERT INTO vinculos(niss_ee, niss_trab, inicio, fim, enquadramento) VALUES (?,?,?,?,?)",
                     (niss_ee, niss_t, inicio.isoformat(), None, "REGIME_GERAL"))
    store.db.execute("INSERT INTO contratos(niss_ee, niss_trab, inicio, fim, dados, origem, registado_em) VALUES (?,?,?,?,?,?,?)",
                     (niss_ee, niss_t, inicio.isoformat(),
                      contrato["fim_contrato"].isoformat() if contrato["fim_contrato"] else None,
                      _contrato_dump(contrato), "ADMISSAO", agora_lisboa()))
    store.db.execute("COMMIT")


# --------------------------------------------------------------------------------------------- routes
def make_vinculo_router(store, *, hoje: Callable[[], date] | None = None) -> fastapi.APIRouter:
    from ciclo.sandbox.app import ApiError, J
    from ciclo.sandbox.validacao import ErroPedido

    router = fastapi.APIRouter()
    dia = hoje or getattr(store, "hoje", None) or hoje_lisboa   # the store's clock (Store.hoje), else today in Lisbon
    consultas: dict[str, dict] = {}

    def soap(texto: str, status: int = 200) -> Response:
        return Response(texto, status_code=status, media_type=XML)

    @router.get(PATH_CESSACAO, include_in_schema=False)
    async def wsdl(request: Request):
        if "wsdl" not in {k.lower() for k in request.query_params.keys()}:
            return soap(fault_xml("Use POST with a SOAP 1.1 envelope, or GET ?wsdl"), 400)
        return soap(_wsdl(str(request.base_url).rstrip("/") + PATH_CESSACAO))

    @router.post(PATH_CESSACAO, include_in_schema=False)
    async def cessar_vinculo(request: Request):
        niss_ee = store.autenticar(request)  # HTTPException(401) passes through
        acao = request.headers.get("soapaction")
        if acao is not None and acao.strip().strip('"') not in ("", SOAP_ACTION_CESSACAO):
            return soap(fault_xml(f"Unknown SOAPAction {acao.strip()!r}: expected {SOAP_ACTION_CESSACAO!r}"), 500)
        corpo = await request.body()
        if len(corpo) > MAX_BODY:
            return soap(fault_xml(f"Request too large (more than {MAX_BODY} bytes)"), 500)
        if store.consumir_timeout_soap():
            log.info("cessarVinculoTrabalhador EE %s: simulated timeout (Fault 408)", niss_ee)
            return soap(fault_timeout_xml(), 500)
        try:
            ns, nome, op = _operacao(corpo)
            if (ns, nome) != (NS_VO, "cessarVinculo"):
                raise _Fault(f"Unknown operation {{{ns or ''}}}{nome}: expected {{{NS_VO}}}cessarVinculo")
            campos = _campos_simples(op, CAMPOS_CESSACAO, "cessarVinculo")
        except _Fault as f:
            return soap(fault_xml(f.faultstring, f.faultcode), 500)
        try:
            codigo, mensagens = cessar(store, niss_ee, campos, dia())
        except Exception:  # noqa: BLE001 - the service's codigo 0: never a traceback to the caller
            log.exception("cessarVinculoTrabalhador: internal error for EE %s", niss_ee)
            return soap(resposta_cessacao(C.CODIGO_ERRO_INTERNO, [C.ERRO_INTERNO]))
        log.info("cessarVinculoTrabalhador EE %s: codigo %s", niss_ee, codigo)
        return soap(resposta_cessacao(codigo, mensagens))

    @router.post(PATH_IDQ, include_in_schema=False)
    async def trabalhadores(request: Request):
        niss_ee = store.autenticar(request)
        try:
            ns, nome, op = _operacao(await request.body())
            if ns != NS_IDQ or nome not in ("getQualificacoesTrabalhadoresVinculadosEE", "getDados"):
                raise _Fault(f"Unknown operation {{{ns or ''}}}{nome}")
            if nome == "getDados":
                chave = "".join(e.text or "" for e in op.iter() if _local(e.tag)[1] == "chave").strip()
                pedido = consultas.get(chave)
                if pedido is None or pedido["niss_ee"] != niss_ee:
                    return soap(_resposta("getDadosResponse", NS_IDQ, ["<codigoEstado>2</codigoEstado>",
                                                                       "<mensagemEstado>Chave inválida.</mensagemEstado>"]))
                if not pedido["pronto"]:
                    # the first read of every key finds it still processing, as the live service may answer
                    pedido["pronto"] = True
                    return soap(_resposta("getDadosResponse", NS_IDQ, [
                        "<codigoEstado>0</codigoEstado>",
                        "<mensagemEstado>O pedido ainda não foi processado. Tente mais tarde.</mensagemEstado>"]))
                return soap(_resposta("getDadosResponse", NS_IDQ, _idq_resposta_dados(store, pedido)))
            filtro = {(_local(e.tag)[1]): (e.text or "").strip() for e in op.iter()}
            ini, fim = _data_hora(filtro.get("dataInicioPesquisa")), _data_hora(filtro.get("dataFimPesquisa"))
        except _Fault as f:
            return soap(fault_xml(f.faultstring, f.faultcode), 500)
        if ini is None or fim is None or fim < ini or (fim - ini).days > 90:
            return soap(_resposta("getQualificacoesTrabalhadoresVinculadosEEResponse", NS_IDQ, [
                "<codigoEstado>2</codigoEstado>",
                "<mensagemEstado>Período de pesquisa inválido (máximo 90 dias).</mensagemEstado>"]))
        chave = uuid.uuid4().hex
        consultas[chave] = {"niss_ee": niss_ee, "inicio": ini, "fim": fim, "niss": filtro.get("nissPS") or None,
                            "pronto": False}
        return soap(_resposta("getQualificacoesTrabalhadoresVinculadosEEResponse", NS_IDQ, [f"<chave>{chave}</chave>"]))

    @router.post(PATH_ADMISSAO)
    async def admissao(request: Request):
        try:
            niss = store.autenticar(request)
        except fastapi.HTTPException as exc:
            raise ApiError(401, exc.detail) from None
        raw = await request.body()
        from ciclo.sandbox import jsonout

        try:
            body = jsonout.loads(raw) if raw.strip() else None
        except ValueError as exc:
            raise ErroPedido(f"Corpo do pedido inválido: {exc}") from None
        ee = str((body or {}).get("niss-entidade-empregadora") or "") if isinstance(body, dict) else ""
        if not formato_valido(ee):
            raise ErroPedido("NISS entidade empregadora com formato inválido.")
        if not store.pode_agir(niss, ee):
            raise ApiError(403)
        admitir(store, ee, body, dia())
        return Response(status_code=204)

    @router.get("/_sandbox/vinculos", include_in_schema=False)
    async def listar(request: Request):
        ee = request.query_params.get("niss_ee")
        if not ee or not formato_valido(ee):
            raise ErroPedido("niss_ee (11 dígitos) é obrigatório")
        return J(vinculos_de(store, ee, request.query_params.get("niss_trabalhador")))

    return router
