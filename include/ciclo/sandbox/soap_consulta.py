"""The sandbox's SOAP query services: the Segurança Social's own contract data and pending communications (#14).

* ``POST /ws/contrato/v1/contratos`` — two operations on one endpoint, told apart by the Body's element:
  ``pesquisaContratos`` (``data-inicio``, ``data-fim``, optional ``trabalhadores/niss-trabalhador``) answers a
  ``chave``; ``getDadosContratos`` (``chave``) answers the contract versions the SS holds for the authenticated
  employer's workers in that period (``contratos/contrato``), or codigo 0 "ainda não foi processado" while the
  request is being processed (``atraso_segundos``), codigo 0 "expirou" after ``validade_segundos``, codigo 4 when
  nothing matches.
* ``POST /ws/contrato/v1/obterComunicacoes`` — optional ``list-niss-trabalhador/niss-trabalhador``: the
  communications still being processed (``tipoComunicacao`` 0) or not accepted (1); codigo 4 when none.
* ``GET ...?wsdl`` serves ``ciclo/psi/wsdl/contratos.wsdl`` / ``obterComunicacoes.wsdl`` with this server's address.

Wire shapes: PUBLIC-CLIENT diegobarbosa88/atualizacao-app-magnetic-place, api/seguranca-social/_soapUtils.js (element
names, codigos, the endpoint shared by both contract operations) and index.js (SOAPActions); the texts of the codigo
0 messages are ASSUMED, written to match what that client looks for ("não foi processado", "expir"). See
docs/psi-contract.md.

The same auth (Basic or Bearer; the employer is the authenticated NISS — a representative sees nothing of the
employers it represents here, ASSUMED like ``alterarContratoTrabalho``), faults and request log as every route (the
app's middleware). The contract data is the store's ``contratos`` table — the same the apuramento reads, so a contract
the SS holds wrongly makes the apuramento differ from the payroll, as in production.

Development routes (``/_sandbox/...``): plant a disagreement (the SS holding another base salary...) in a worker's
latest contract, plant communications, set the query's delay and validity. Planted communications and query keys
live in this module's own tables (kept across restarts, forgotten by a reset).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

import fastapi
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from fastapi import Request, Response

from ciclo.domain.niss import formato_valido
from ciclo.sandbox.soap import NS_SOAP11, NS_SOAP12, NS_VO, XML, SoapFault, fault_xml, juntar_mensagens

log = logging.getLogger(__name__)

PATH_CONTRATOS = "/ws/contrato/v1/contratos"
PATH_COMUNICACOES = "/ws/contrato/v1/obterComunicacoes"
NS_IF = "http://interfaces.webservice.contrato.segsocial.pt"
ACOES = {"pesquisaContratos": f"{NS_IF}#pesquisaContratos", "getDadosContratos": f"{NS_IF}#getDadosContratos",
         "obterComunicacoes": f"{NS_IF}#ObterComunicacoes"}
WSDL_DIR = Path(__file__).resolve().parents[1] / "psi" / "wsdl"
MAX_BODY = 256 * 1024
MAX_TRABALHADORES = 5000

# codigo 0 texts (ASSUMED; matched by the public client's /n.o foi processado|tenta mais tarde/ and /expir/)
POR_PROCESSAR = "O pedido ainda não foi processado, tente mais tarde"
EXPIRADO = "O pedido expirou, efetue nova pesquisa"
CHAVE_DESCONHECIDA = "Chave de pesquisa desconhecida"

CONFIG_PADRAO = {"atraso_segundos": 0.0, "validade_segundos": 3600.0}

ESQUEMA = """
CREATE TABLE IF NOT EXISTS ss_consultas (chave TEXT PRIMARY KEY, niss_ee TEXT NOT NULL,
  data_inicio TEXT NOT NULL, data_fim TEXT NOT NULL, trabalhadores TEXT NOT NULL, criado_em REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ss_comunicacoes (id INTEGER PRIMARY KEY, niss_ee TEXT NOT NULL,
  niss_trab TEXT NOT NULL, tipo TEXT NOT NULL, dados TEXT NOT NULL);
"""

# the contract's fields in the answer, in the order of the public client's parser
CAMPOS_CONTRATO = ("niss-trabalhador", "nome-trabalhador", "modalidade-contrato", "prestacao-trabalho",
                   "inicio-contrato", "fim-contrato", "inicio-informacao-contrato", "fim-informacao-contrato",
                   "profissao", "remuneracao-base", "diuturnidades", "percentagem-trabalho", "horas-trabalho",
                   "dias-trabalho", "motivo-contrato", "niss-trabalhador-substituir", "nome-trabalhador-substituir")
CAMPOS_COMUNICACAO = ("tipoComunicacao", "nissTrabalhador", "nomeTrabalhador", "dataNascimento", "dataComunicacao",
                      "inicioContrato", "motivo", "localTrabalho", "dataProcessamento", "taxa")
# what a planted disagreement may change in a stored contract (underscore names, as the store keeps them)
DIVERGIVEIS = {"remuneracao_base": "dec", "diuturnidades": "dec", "percentagem_trabalho": "dec",
               "horas_trabalho": "dec", "dias_trabalho": "dec", "modalidade_contrato": "txt",
               "prestacao_trabalho": "txt", "profissao": "txt", "motivo_contrato": "txt", "fim_contrato": "data"}


# ------------------------------------------------------------------------------------------------ XML
def _local(tag) -> tuple[str | None, str]:
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        ns, _, nome = tag[1:].partition("}")
        return ns, nome
    return None, tag


def ler_operacao(corpo: bytes, permitidas: tuple[str, ...]):
    """(operation name, its element) of a SOAP 1.1 envelope, or raise ``SoapFault``."""
    if not corpo.strip():
        raise SoapFault("Empty request: a SOAP 1.1 envelope is expected")
    try:
        raiz = fromstring(corpo, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise SoapFault("DTDs and entity declarations are not allowed in a SOAP request") from None
    except ParseError as exc:
        raise SoapFault(f"Malformed SOAP request: not well-formed XML ({exc})") from None
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
        raise SoapFault("Malformed SOAP request: the Body must hold exactly one operation element")
    ns, nome = _local(ops[0].tag)
    if ns != NS_VO or nome not in permitidas:
        raise SoapFault(f"Unknown operation {{{ns or ''}}}{nome}: expected one of "
                        f"{', '.join(f'{{{NS_VO}}}{p}' for p in permitidas)}")
    return nome, ops[0]


def _filhos(el, permitidos: tuple[str, ...], operacao: str) -> dict:
    """Simple-valued children by local name (text stripped); unknown/repeated elements are a Client fault."""
    out: dict = {}
    for f in el:
        _, nome = _local(f.tag)
        if not nome:
            continue
        if nome not in permitidos:
            raise SoapFault(f"Unexpected element {nome!r} in {operacao}")
        if nome in out:
            raise SoapFault(f"Element {nome!r} appears more than once in {operacao}")
        out[nome] = f
    return out


def _lista_niss(el, filho: str, operacao: str) -> list[str]:
    out = []
    for f in el:
        _, nome = _local(f.tag)
        if not nome:
            continue
        if nome != filho:
            raise SoapFault(f"Unexpected element {nome!r} in {operacao}")
        out.append("".join(f.itertext()).strip())
    if len(out) > MAX_TRABALHADORES:
        raise SoapFault(f"Too many workers in {operacao} (more than {MAX_TRABALHADORES})")
    return out


def _texto(el) -> str:
    return "" if el is None else "".join(el.itertext()).strip()


def _v(x) -> str | None:
    if x is None:
        return None
    if isinstance(x, Decimal):
        return f"{x:.2f}"
    if isinstance(x, date):
        return x.isoformat()
    if isinstance(x, bool):
        return "1" if x else "0"
    return str(x)


def resposta(operacao: str, codigo: int, mensagens: list[str] | None = None, corpo: str = "") -> str:
    linhas = ['<?xml version="1.0" encoding="UTF-8"?>',
              f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">',
              "  <soapenv:Body>",
              f'    <vo:{operacao}Response xmlns:vo="{NS_VO}">',
              f"      <codigo-resultado>{codigo}</codigo-resultado>"]
    if mensagens:
        linhas.append(f"      <mensagens-erro>{escape(juntar_mensagens(mensagens))}</mensagens-erro>")
    if corpo:
        linhas.append(corpo)
    linhas += [f"    </vo:{operacao}Response>", "  </soapenv:Body>", "</soapenv:Envelope>", ""]
    return "\n".join(linhas)


def _bloco(tag: str, campos: tuple[str, ...], valores: dict, indent: str = "        ") -> str:
    dentro = "".join(f"{indent}  <{c}>{escape(valores[c])}</{c}>\n" for c in campos if valores.get(c) is not None)
    return f"{indent}<{tag}>\n{dentro}{indent}</{tag}>"


def _wsdl(nome: str, endereco: str) -> str:
    texto = (WSDL_DIR / f"{nome}.wsdl").read_text(encoding="utf-8")
    return re.sub(r'(<soap:address\s+location=")[^"]*(")', lambda m: m.group(1) + escape(endereco) + m.group(2),
                  texto, count=1)


def _data(texto: str) -> date | None:
    try:
        return date.fromisoformat(texto) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", texto) else None
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------ the SS's data
class DadosSS:
    """The store's contract data and this module's tables (one SQLite connection, the event loop's thread)."""

    def __init__(self, store):
        self.store = store
        self.db = store.db
        self.db.executescript(ESQUEMA)
        self.config = dict(CONFIG_PADRAO)

    def esquecer(self) -> None:
        """What a sandbox reset does to this module's state: planted communications, keys and config forgotten."""
        self.db.execute("DELETE FROM ss_consultas")
        self.db.execute("DELETE FROM ss_comunicacoes")
        self.config = dict(CONFIG_PADRAO)

    # ---------------------------------------------------------------- contracts
    def versoes(self, niss_ee: str, data_inicio: date, data_fim: date, trabalhadores: list[str]) -> list[dict]:
        """Every contract version of the EE's workers whose period of information overlaps [data_inicio, data_fim]:
        a version holds from its start until the next version starts (or its own end)."""
        from ciclo.sandbox.store import _contrato_load

        por_trab: dict[str, list[dict]] = {}
        q = "SELECT niss_trab, dados FROM contratos WHERE niss_ee=?"
        if trabalhadores:
            # only the workers asked for (the index on niss_ee, niss_trab), in chunks under SQLite's parameter limit:
            # reading the employer's every contract per search made a 50,000-worker month's review quadratic
            pedidos = sorted(set(trabalhadores))
            linhas = []
            for i in range(0, len(pedidos), 500):
                parte = pedidos[i:i + 500]
                linhas += self.db.execute(
                    q + f" AND niss_trab IN ({','.join('?' * len(parte))}) ORDER BY niss_trab, inicio, id",
                    (niss_ee, *parte)).fetchall()
        else:
            linhas = self.db.execute(q + " ORDER BY niss_trab, inicio, id", (niss_ee,)).fetchall()
        for nt, dados in linhas:
            por_trab.setdefault(nt, []).append(_contrato_load(dados))
        out = []
        for nt, vs in sorted(por_trab.items()):
            for i, c in enumerate(vs):
                ini = c["inicio_contrato"]
                fim_info = c.get("fim_contrato")
                if i + 1 < len(vs):
                    prox = vs[i + 1]["inicio_contrato"] - timedelta(days=1)
                    fim_info = prox if fim_info is None else min(fim_info, prox)
                if ini > data_fim or (fim_info is not None and fim_info < data_inicio):
                    continue
                v = {k.replace("-", "_"): None for k in CAMPOS_CONTRATO}
                v.update({k: c.get(k) for k in c if k in v})
                v["niss_trabalhador"] = nt
                v["inicio_informacao_contrato"] = ini
                v["fim_informacao_contrato"] = fim_info
                out.append({k.replace("_", "-"): _v(x) for k, x in v.items()})
        return out

    def criar_consulta(self, niss_ee: str, data_inicio: date, data_fim: date, trabalhadores: list[str]) -> str:
        chave = uuid.uuid4().hex
        self.db.execute("INSERT INTO ss_consultas VALUES (?,?,?,?,?,?)",
                        (chave, niss_ee, data_inicio.isoformat(), data_fim.isoformat(),
                         json.dumps(trabalhadores), time.time()))
        return chave

    def consulta(self, chave: str, niss_ee: str) -> tuple[str, list[dict]]:
        """("PRONTO" | "POR_PROCESSAR" | "EXPIRADO" | "DESCONHECIDA", versions)."""
        r = self.db.execute("SELECT data_inicio, data_fim, trabalhadores, criado_em FROM ss_consultas"
                            " WHERE chave=? AND niss_ee=?", (chave, niss_ee)).fetchone()
        if r is None:  # another employer's key is unknown to this one: nothing leaks
            return "DESCONHECIDA", []
        idade = time.time() - r[3]
        if idade < self.config["atraso_segundos"]:
            return "POR_PROCESSAR", []
        if idade > self.config["validade_segundos"]:
            return "EXPIRADO", []
        return "PRONTO", self.versoes(niss_ee, date.fromisoformat(r[0]), date.fromisoformat(r[1]), json.loads(r[2]))

    def divergir(self, niss_ee: str, niss_trab: str, campos: dict) -> dict:
        """Plant a disagreement: change fields of the worker's latest contract as the SS holds it."""
        from ciclo.sandbox.store import _contrato_dump, _contrato_load
        from ciclo.sandbox.validacao import ErroPedido

        r = self.db.execute("SELECT id, dados FROM contratos WHERE niss_ee=? AND niss_trab=? ORDER BY inicio DESC, id DESC"
                            " LIMIT 1", (niss_ee, niss_trab)).fetchone()
        if r is None:
            raise ErroPedido(f"O trabalhador {niss_trab} não tem contratos na entidade {niss_ee}")
        c = _contrato_load(r[1])
        for k, v in campos.items():
            k = k.replace("-", "_")
            tipo = DIVERGIVEIS.get(k)
            if tipo is None:
                raise ErroPedido(f"Campo não divergível: {k} (use um de {', '.join(sorted(DIVERGIVEIS))})")
            try:
                c[k] = (None if v in (None, "") else Decimal(str(v)) if tipo == "dec"
                        else date.fromisoformat(str(v)) if tipo == "data" else str(v))
            except (InvalidOperation, ValueError):
                raise ErroPedido(f"Valor inválido para {k}: {v!r}") from None
        self.db.execute("UPDATE contratos SET dados=? WHERE id=?", (_contrato_dump(c), r[0]))
        return {"niss_ee": niss_ee, "niss_trabalhador": niss_trab,
                "contrato": {k: _v(x) for k, x in c.items()}}

    # ---------------------------------------------------------------- communications
    def plantar_comunicacao(self, niss_ee: str, dados: dict) -> dict:
        from ciclo.sandbox.validacao import ErroPedido

        nt = str(dados.get("nissTrabalhador") or "")
        tipo = str(dados.get("tipoComunicacao") if dados.get("tipoComunicacao") is not None else "")
        if not nt or tipo not in ("0", "1"):
            raise ErroPedido("Corpo do pedido inválido: 'nissTrabalhador' e 'tipoComunicacao' (0 a processar, "
                             "1 não aceite) são obrigatórios")
        desconhecidos = set(dados) - set(CAMPOS_COMUNICACAO)
        if desconhecidos:
            raise ErroPedido(f"Campos desconhecidos: {', '.join(sorted(desconhecidos))}")
        limpos = {k: str(v) for k, v in dados.items() if v is not None}
        self.db.execute("INSERT INTO ss_comunicacoes(niss_ee, niss_trab, tipo, dados) VALUES (?,?,?,?)",
                        (niss_ee, nt, tipo, json.dumps(limpos, ensure_ascii=False)))
        return limpos

    def comunicacoes(self, niss_ee: str, trabalhadores: list[str]) -> list[dict]:
        out = []
        for nt, dados in self.db.execute("SELECT niss_trab, dados FROM ss_comunicacoes WHERE niss_ee=?"
                                         " ORDER BY id", (niss_ee,)):
            if not trabalhadores or nt in trabalhadores:
                out.append(json.loads(dados))
        return out

    def apagar_comunicacoes(self) -> int:
        return self.db.execute("DELETE FROM ss_comunicacoes").rowcount


# ------------------------------------------------------------------------------------------------ operations
def pesquisa_contratos(dados: DadosSS, niss_ee: str, el) -> str:
    f = _filhos(el, ("data-inicio", "data-fim", "trabalhadores"), "pesquisaContratos")
    faltam = [m for c, m in (("data-inicio", "Data início não identificada"), ("data-fim", "Data fim não identificada"))
              if not _texto(f.get(c))]
    if faltam:
        return resposta("pesquisaContratos", 2, faltam)
    erros = []
    di, df = _data(_texto(f["data-inicio"])), _data(_texto(f["data-fim"]))
    if di is None:
        erros.append("Data início com formato inválido")
    if df is None:
        erros.append("Data fim com formato inválido")
    if di and df and df < di:
        erros.append("A data fim tem de ser igual ou posterior à data início")
    trabs = _lista_niss(f["trabalhadores"], "niss-trabalhador", "pesquisaContratos") if "trabalhadores" in f else []
    invalidos = [n for n in trabs if not formato_valido(n)]
    if invalidos:
        erros.append(f"NISS do trabalhador inválido: {invalidos[0]}")
    if erros:
        return resposta("pesquisaContratos", 3, erros)
    chave = dados.criar_consulta(niss_ee, di, df, trabs)
    return resposta("pesquisaContratos", 1, corpo=f"      <chave>{chave}</chave>")


def get_dados_contratos(dados: DadosSS, niss_ee: str, el) -> str:
    f = _filhos(el, ("chave",), "getDadosContratos")
    chave = _texto(f.get("chave"))
    if not chave:
        return resposta("getDadosContratos", 2, ["Chave não identificada"])
    estado, versoes = dados.consulta(chave, niss_ee)
    if estado == "POR_PROCESSAR":
        return resposta("getDadosContratos", 0, [POR_PROCESSAR])
    if estado == "EXPIRADO":
        return resposta("getDadosContratos", 0, [EXPIRADO])
    if estado == "DESCONHECIDA":
        return resposta("getDadosContratos", 0, [CHAVE_DESCONHECIDA])
    if not versoes:
        return resposta("getDadosContratos", 4, ["Pesquisa sem resultados"])
    blocos = "\n".join(_bloco("contrato", CAMPOS_CONTRATO, v, "        ") for v in versoes)
    return resposta("getDadosContratos", 1, corpo=f"      <contratos>\n{blocos}\n      </contratos>")


def obter_comunicacoes(dados: DadosSS, niss_ee: str, el) -> str:
    f = _filhos(el, ("list-niss-trabalhador",), "obterComunicacoes")
    trabs = (_lista_niss(f["list-niss-trabalhador"], "niss-trabalhador", "obterComunicacoes")
             if "list-niss-trabalhador" in f else [])
    invalidos = [n for n in trabs if not formato_valido(n)]
    if invalidos:
        return resposta("obterComunicacoes", 3, [f"NISS do trabalhador inválido: {invalidos[0]}"])
    lista = dados.comunicacoes(niss_ee, trabs)
    if not lista:
        return resposta("obterComunicacoes", 4, ["Pesquisa sem resultados"])
    blocos = "\n".join(_bloco("comunicacao", CAMPOS_COMUNICACAO, c, "        ") for c in lista)
    return resposta("obterComunicacoes", 1, corpo=f"      <comunicacoes>\n{blocos}\n      </comunicacoes>")


# ------------------------------------------------------------------------------------------------ router
def make_consulta_router(store) -> fastapi.APIRouter:
    """The query routes and their development routes, for ``app.include_router``."""
    from ciclo.sandbox.validacao import ErroPedido

    dados = DadosSS(store)
    # A reset (POST /_sandbox/reset) forgets this module's state too: wrapped here so that the store needs no line
    # for a module it does not know.
    reset_do_store = store.reset

    def reset() -> None:
        reset_do_store()
        dados.esquecer()

    store.reset = reset
    router = fastapi.APIRouter()
    servicos = {PATH_CONTRATOS: ("contratos", {"pesquisaContratos": pesquisa_contratos,
                                               "getDadosContratos": get_dados_contratos}),
                PATH_COMUNICACOES: ("obterComunicacoes", {"obterComunicacoes": obter_comunicacoes})}

    def _rotas(path: str, wsdl_nome: str, ops: dict):
        @router.get(path, include_in_schema=False)
        async def wsdl(request: Request):
            if "wsdl" not in {k.lower() for k in request.query_params.keys()}:
                return Response(fault_xml("Use POST with a SOAP 1.1 envelope, or GET ?wsdl"), status_code=400,
                                media_type=XML)
            return Response(_wsdl(wsdl_nome, str(request.base_url).rstrip("/") + path), media_type=XML)

        @router.post(path, include_in_schema=False)
        async def operar(request: Request):
            niss_ee = store.autenticar(request)  # HTTPException(401) passes through, the request log names the NISS
            corpo = await request.body()
            nome = next(iter(ops))
            if len(corpo) > MAX_BODY:
                return Response(fault_xml(f"Request too large (more than {MAX_BODY} bytes)"), status_code=500,
                                media_type=XML)
            try:
                nome, el = ler_operacao(corpo, tuple(ops))
                acao = request.headers.get("soapaction")
                if acao is not None and acao.strip().strip('"') not in ("", ACOES[nome]):
                    raise SoapFault(f"Unknown SOAPAction {acao.strip()!r}: expected {ACOES[nome]!r}")
                xml = ops[nome](dados, niss_ee, el)
            except SoapFault as f:
                log.info("SOAP fault for %s on %s: %s", niss_ee, path, f.faultstring)
                return Response(fault_xml(f.faultstring, f.faultcode), status_code=500, media_type=XML)
            except Exception:  # the service's codigo 0: never a traceback to the caller
                log.exception("%s: internal error for EE %s", path, niss_ee)
                return Response(resposta(nome, 0, ["Erro interno do servidor"]), media_type=XML)
            return Response(xml, media_type=XML)

    for path, (wsdl_nome, ops) in servicos.items():
        _rotas(path, wsdl_nome, ops)

    async def _json(request: Request) -> dict:
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise ErroPedido(f"Corpo do pedido inválido: {exc}") from None
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: objeto esperado")
        return body

    @router.post("/_sandbox/contratos/divergencia", include_in_schema=False)
    async def divergencia(request: Request):
        b = await _json(request)
        if not b.get("niss_ee") or not b.get("niss_trabalhador") or not isinstance(b.get("campos"), dict):
            raise ErroPedido("Corpo do pedido inválido: 'niss_ee', 'niss_trabalhador' e 'campos' são obrigatórios")
        return fastapi.responses.JSONResponse(dados.divergir(str(b["niss_ee"]), str(b["niss_trabalhador"]),
                                                             b["campos"]))

    @router.post("/_sandbox/comunicacoes", include_in_schema=False)
    async def plantar(request: Request):
        b = await _json(request)
        if not b.get("niss_ee") or not isinstance(b.get("comunicacao"), dict):
            raise ErroPedido("Corpo do pedido inválido: 'niss_ee' e 'comunicacao' são obrigatórios")
        return fastapi.responses.JSONResponse(dados.plantar_comunicacao(str(b["niss_ee"]), b["comunicacao"]))

    @router.delete("/_sandbox/comunicacoes", include_in_schema=False)
    async def apagar():
        return fastapi.responses.JSONResponse({"apagadas": dados.apagar_comunicacoes()})

    @router.put("/_sandbox/contratos/consulta", include_in_schema=False)
    async def configurar(request: Request):
        b = await _json(request)
        for k, v in b.items():
            if k not in dados.config or isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ErroPedido(f"Configuração inválida: {k}={v!r} (use atraso_segundos, validade_segundos >= 0)")
            dados.config[k] = float(v)
        return fastapi.responses.JSONResponse(dict(dados.config))

    return router
