"""The sandbox's Pedidos (``/ptss/rest/eeaoc/pedido/...``): corrections of earlier months, DR 1-A/2011 art. 26.º.

Paths SPEC (specs/psi-endpoints.txt); methods, bodies, answers and states ASSUMED (``ciclo.psi.models.pedido``,
docs/psi-contract.md §Pedidos). Same auth (401 → 400 → 403), faults and request log as every route: the routes are
served inside the app the ``SandboxMiddleware`` wraps.

What the sandbox assumes the Segurança Social does:

- a Pedido corrects a month the SS holds values for (``APURADO``/``CONFIRMADO``), else 400 "Não existem valores
  apurados para o ano/mês indicado.";
- the window is the statute's (``ciclo.domain.correcao``, dated data): in time (art. 26.º n.º 1), late — accepted and
  flagged ``foraDePrazo`` (n.º 2) — or refused with 400 (n.º 3: only by requerimento with proof);
- one Pedido in progress per month: a second one is refused (400), the first can be updated while ``SUBMETIDO``;
- states: ``SUBMETIDO`` → (``analise_segundos``) ``EM_ANALISE`` → (``decisao_segundos``) the automatic decision
  (``DEFERIDO`` by default; ``null`` waits for ``POST /_sandbox/pedidos/{numero}/decisao``). States advance lazily,
  when a Pedido is read;
- ``DEFERIDO``: the Pedido's values become a new submission of the month (each worker's values replaced; an
  annulment leaves the worker without communicated values, or without those of one natureza) and the month's
  apuramento is re-run at once by the existing engine (``Store.apurar``) — so the valores apurados change, and the
  month needs confirming again.

Admin: ``PUT /_sandbox/pedidos/config`` ``{"analise_segundos", "decisao_segundos", "decisao_automatica", "hoje"}``
(``hoje``: an ISO date the correction window is judged on instead of the sandbox's clock — a drill of a fixed
month then behaves the same whatever day it runs; ``null`` goes back to that clock: ``PUT /_sandbox/config``'s
``hoje``, else today in Lisbon),
``GET /_sandbox/pedidos``, ``POST /_sandbox/pedidos/{numero}/decisao`` ``{"estado", "fundamentacao"}``.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request

from ciclo.domain import jsonexato
from ciclo.domain.correcao import EXPIRADO, PrazosEmFalta, janela
from ciclo.sandbox import validacao as val
from ciclo.sandbox.app import EEAOC, ApiError, J
from ciclo.sandbox.store import Store, agora_lisboa, dia_configurado
from ciclo.sandbox.validacao import ErroPedido

# ASSUMED list (no public source gives the codes): the three acts art. 26.º n.º 2 names
MOTIVOS = [
    {"codigo": "CORRECAO", "descricao": "Correção de valores de remuneração declarados (art. 26.º DR 1-A/2011)"},
    {"codigo": "SUPRIMENTO", "descricao": "Suprimento de elementos em falta na declaração (art. 26.º DR 1-A/2011)"},
    {"codigo": "ANULACAO", "descricao": "Anulação de valores de remuneração declarados (art. 26.º DR 1-A/2011)"},
]
CONFIG_PADRAO = {"analise_segundos": 1.0, "decisao_segundos": 2.0, "decisao_automatica": "DEFERIDO", "hoje": None}
EM_CURSO = ("SUBMETIDO", "EM_ANALISE")
COLUNAS = ("numero", "niss_ee", "ano_mes", "motivo", "fundamentacao", "estado", "fora_de_prazo", "data_pedido",
           "analise_em", "decidir_em", "data_decisao", "fundamentacao_decisao", "trabalhadores", "anulacoes",
           "comprovativo", "autenticado")


class Pedidos:
    """The Pedidos' state, in the store's database (table ``pedidos_correcao``)."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        self.config = dict(CONFIG_PADRAO)
        store.ao_reset.append(self.repor)

    def hoje(self) -> date:
        """The day the correction window is judged on: the Pedidos' own ``hoje``, else the sandbox's clock
        (``Store.hoje``: ``PUT /_sandbox/config``'s ``hoje``, else today in Lisbon)."""
        return date.fromisoformat(self.config["hoje"]) if self.config.get("hoje") else self.store.hoje()

    def repor(self) -> None:
        """``POST /_sandbox/reset``: the default timings and decision again (the table is emptied by the store)."""
        self.config = dict(CONFIG_PADRAO)

    def _linha(self, numero: str) -> dict | None:
        r = self.db.execute(f"SELECT {', '.join(COLUNAS)} FROM pedidos_correcao WHERE numero=?", (numero,)).fetchone()
        return dict(zip(COLUNAS, r)) if r else None

    def _json(self, row: dict, detalhe: bool = True) -> dict:
        out = {"numeroPedido": row["numero"], "nissEntidadeEmpregadora": int(row["niss_ee"]), "anoMes": row["ano_mes"],
               "motivo": row["motivo"], "estado": row["estado"], "dataPedido": row["data_pedido"],
               "dataDecisao": row["data_decisao"], "foraDePrazo": bool(row["fora_de_prazo"]),
               "fundamentacao": row["fundamentacao"], "fundamentacaoDecisao": row["fundamentacao_decisao"]}
        if detalhe:
            out["trabalhadores"] = jsonexato.loads(row["trabalhadores"])
            out["anulacoes"] = jsonexato.loads(row["anulacoes"])
        return out

    # ------------------------------------------------------------------ state machine
    def avancar(self, row: dict) -> dict:
        """Move a Pedido along its states by the clock (lazily, when read)."""
        agora = time.time()
        if row["estado"] == "SUBMETIDO" and agora >= row["analise_em"]:
            self.db.execute("UPDATE pedidos_correcao SET estado='EM_ANALISE' WHERE numero=? AND estado='SUBMETIDO'",
                            (row["numero"],))
            row = self._linha(row["numero"])
        auto = self.config["decisao_automatica"]
        if row["estado"] == "EM_ANALISE" and auto and agora >= row["decidir_em"]:
            row = self.decidir(row["numero"], auto, None)
        return row

    def decidir(self, numero: str, estado: str, fundamentacao: str | None) -> dict:
        row = self._linha(numero)
        if row is None:
            raise ApiError(404, "Pedido não encontrado.")
        if estado not in ("DEFERIDO", "INDEFERIDO"):
            raise ErroPedido(f"Decisão inválida: {estado} (use DEFERIDO ou INDEFERIDO)")
        if row["estado"] not in EM_CURSO:
            raise ErroPedido(f"O pedido {numero} já foi decidido ({row['estado']}).")
        comp = None
        if estado == "DEFERIDO":
            comp = self._aplicar(row)
        self.db.execute("UPDATE pedidos_correcao SET estado=?, data_decisao=?, fundamentacao_decisao=?, comprovativo=?"
                        " WHERE numero=?", (estado, agora_lisboa(), fundamentacao or (
                            "Pedido deferido." if estado == "DEFERIDO" else "Pedido indeferido."), comp, numero))
        return self._linha(numero)

    def _aplicar(self, row: dict) -> str:
        """An accepted Pedido: its values become a submission of the month, and the month is apurado again."""
        ee, am = row["niss_ee"], row["ano_mes"]
        trabs = {t["nissTrabalhador"]: t for t in jsonexato.loads(row["trabalhadores"])}
        comunicado: dict[str, dict] = {}
        for (texto,) in self.db.execute("SELECT normalizado FROM submissoes WHERE niss_ee=? AND ano_mes=? ORDER BY seq",
                                        (ee, am)):
            for t in jsonexato.loads(texto)["trabalhadores"]:
                comunicado[t["nissTrabalhador"]] = t
        for a in jsonexato.loads(row["anulacoes"]):
            nt = a["nissTrabalhador"]
            base = trabs.get(nt) or comunicado.get(nt) or {"nissTrabalhador": nt, "remuneracoes": [], "inatividades": []}
            if a.get("natureza"):
                base = {**base, "remuneracoes": [r for r in base["remuneracoes"] if r["natureza"] != a["natureza"]]}
            else:
                base = {"nissTrabalhador": nt, "remuneracoes": [], "inatividades": []}
            trabs[nt] = base
        norm = {"anoMes": am, "trabalhadores": list(trabs.values())}
        bruto = jsonexato.dumps({"pedido": row["numero"], **norm}).encode("utf-8")
        comp = self.store.submeter(ee, norm, bruto, row["autenticado"])
        self.store.apurar(ee, am)
        return comp

    # ------------------------------------------------------------------ operations
    def criar(self, ee: str, body, autenticado: str) -> dict:
        motivo, fundamentacao, norm = self._corpo(body)
        am = norm["anoMes"]
        m = self.store.mensal(ee, am)
        if m["estado"] not in ("APURADO", "CONFIRMADO"):
            raise ErroPedido("Não existem valores apurados para o ano/mês indicado.")
        r = self.db.execute("SELECT data_confirmacao FROM apuramentos WHERE niss_ee=? AND ano_mes=?", (ee, am)).fetchone()
        confirmado = date.fromisoformat(r[0][:10]) if r and r[0] else None
        try:
            jan = janela(am, self.hoje(), confirmado)
        except PrazosEmFalta as exc:
            raise ErroPedido(str(exc)) from None
        if jan.situacao == EXPIRADO:
            raise ErroPedido(f"Prazo de correção excedido para o ano/mês indicado (terminou em "
                             f"{jan.limite_fora_de_prazo.isoformat()}): apenas mediante requerimento e apresentação "
                             f"de prova (art. 26.º n.º 3).")
        aberto = self.db.execute("SELECT numero FROM pedidos_correcao WHERE niss_ee=? AND ano_mes=? AND estado IN "
                                 "('SUBMETIDO', 'EM_ANALISE')", (ee, am)).fetchone()
        if aberto:
            raise ErroPedido(f"Existe um pedido em curso para o ano/mês indicado: {aberto[0]}.")
        seq = self.db.execute("SELECT COUNT(*) FROM pedidos_correcao").fetchone()[0] + 1
        numero = f"{self.hoje().year}{seq:07d}"
        agora = time.time()
        a = float(self.config["analise_segundos"])
        self.db.execute(f"INSERT INTO pedidos_correcao ({', '.join(COLUNAS)}) VALUES ({', '.join('?' * len(COLUNAS))})",
                        (numero, ee, am, motivo, fundamentacao, "SUBMETIDO", int(jan.fora_de_prazo), agora_lisboa(),
                         agora + a, agora + a + float(self.config["decisao_segundos"]), None, None,
                         jsonexato.dumps(norm["trabalhadores"]), "[]", None, autenticado))
        return self._json(self._linha(numero))

    def _corpo(self, body) -> tuple[str, str | None, dict]:
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
        motivo = body.get("motivo")
        if motivo not in {m["codigo"] for m in MOTIVOS}:
            raise ErroPedido(f"Motivo de pedido inválido: {motivo}")
        fund = body.get("fundamentacao")
        if fund is not None and not isinstance(fund, str):
            raise ErroPedido("Corpo do pedido inválido: 'fundamentacao' tem de ser texto")
        return motivo, fund, val.valores_remuneracao(body)

    def do_ee(self, ee: str, ano_mes: str | None, estado: str | None) -> list[dict]:
        q, args = "SELECT numero FROM pedidos_correcao WHERE niss_ee=?", [ee]
        if ano_mes:
            q, args = q + " AND ano_mes=?", [*args, ano_mes]
        out = [self.avancar(self._linha(n)) for (n,) in self.db.execute(q + " ORDER BY data_pedido, numero", args).fetchall()]
        return [self._json(r, detalhe=False) for r in out if estado is None or r["estado"] == estado]

    def obter(self, numero: str, niss: str) -> dict:
        row = self._linha(numero)
        if row is None:
            raise ApiError(404, "Pedido não encontrado.")
        if not self.store.pode_agir(niss, row["niss_ee"]):
            raise ApiError(403)
        return self.avancar(row)

    def atualizar(self, numero: str, niss: str, body) -> dict:
        row = self.obter(numero, niss)
        motivo, fundamentacao, norm = self._corpo(body)
        if norm["anoMes"] != row["ano_mes"]:
            raise ErroPedido(f"O ano/mês do pedido não pode ser alterado ({row['ano_mes']}).")
        if row["estado"] != "SUBMETIDO":
            raise ErroPedido(f"O pedido {numero} já não pode ser alterado (estado {row['estado']}).")
        self.db.execute("UPDATE pedidos_correcao SET motivo=?, fundamentacao=?, trabalhadores=? WHERE numero=?",
                        (motivo, fundamentacao, jsonexato.dumps(norm["trabalhadores"]), numero))
        return self._json(self._linha(numero))

    def anular(self, ee: str, numero: str, body) -> dict:
        row = self._linha(numero)
        if row is None or row["niss_ee"] != ee:
            raise ApiError(404, "Pedido não encontrado.")
        row = self.avancar(row)
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
        nt = val.niss_trab(body.get("nissTrabalhador"))
        nat = body.get("natureza")
        if nat is not None and not val.natureza_valida(nat):
            raise ErroPedido(f"Natureza de remuneração inválida: {nat}")
        if row["estado"] != "SUBMETIDO":
            raise ErroPedido(f"O pedido {numero} já não pode ser alterado (estado {row['estado']}).")
        anul = jsonexato.loads(row["anulacoes"])
        item = {"nissTrabalhador": nt, **({"natureza": nat} if nat else {})}
        if item not in anul:
            anul.append(item)
        self.db.execute("UPDATE pedidos_correcao SET anulacoes=? WHERE numero=?", (jsonexato.dumps(anul), numero))
        return self._json(self._linha(numero))


def make_pedidos_router(store: Store) -> APIRouter:
    """The ``eeaoc/pedido`` routes and their admin API. Include it before any catch-all of ``eeaoc/pedido``."""
    ped = Pedidos(store)
    r = APIRouter()

    def autenticar(request: Request) -> str:
        from ciclo.sandbox.store import AuthError

        try:
            niss = store.autenticar_header(request.headers.get("authorization"))
        except AuthError as exc:
            raise ApiError(401, exc.message) from None
        request.scope["ciclo_niss"] = niss
        return niss

    def acesso(request: Request, niss_ee: str) -> tuple[str, str]:
        niss = autenticar(request)
        ee = val.niss_ee(niss_ee)
        if not store.pode_agir(niss, ee):
            raise ApiError(403)
        return niss, ee

    async def corpo(request: Request):
        raw = await request.body()
        if not raw.strip():
            raise ErroPedido("Corpo do pedido inválido: corpo vazio")
        try:
            return jsonexato.loads(raw)
        except ValueError as exc:
            raise ErroPedido(f"Corpo do pedido inválido: {exc}") from None

    P = f"{EEAOC}/pedido"

    @r.get(f"{P}/entidade-empregadora/{{niss_ee}}/motivos")
    async def motivos(niss_ee: str, request: Request):
        acesso(request, niss_ee)
        return J(MOTIVOS)

    @r.post(f"{P}/entidade-empregadora/{{niss_ee}}")
    async def criar(niss_ee: str, request: Request):
        niss, ee = acesso(request, niss_ee)
        return J(ped.criar(ee, await corpo(request), niss))

    @r.get(f"{P}/entidade-empregadora/{{niss_ee}}")
    async def consultar(niss_ee: str, request: Request):
        _, ee = acesso(request, niss_ee)
        am = request.query_params.get("anoMes")
        return J(ped.do_ee(ee, str(val.ano_mes(am)) if am is not None else None, request.query_params.get("estado")))

    @r.post(f"{P}/anular-valor-remuneracao/{{niss_ee}}/{{numero}}")
    async def anular(niss_ee: str, numero: str, request: Request):
        _, ee = acesso(request, niss_ee)
        return J(ped.anular(ee, numero, await corpo(request)))

    @r.get(f"{P}/{{numero}}")
    async def detalhe(numero: str, request: Request):
        return J(ped._json(ped.obter(numero, autenticar(request))))

    @r.put(f"{P}/{{numero}}")
    async def atualizar(numero: str, request: Request):
        niss = autenticar(request)
        return J(ped.atualizar(numero, niss, await corpo(request)))

    # ---------------------------------------------------------------- admin
    @r.get("/_sandbox/pedidos")
    async def admin_lista():
        rows = [ped._linha(n) for (n,) in store.db.execute("SELECT numero FROM pedidos_correcao ORDER BY numero")]
        return J([{**ped._json(x), "comprovativo": x["comprovativo"]} for x in rows])

    @r.put("/_sandbox/pedidos/config")
    async def admin_config(request: Request):
        body = await corpo(request)
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: objeto esperado")
        novo = {}
        for k, v in body.items():
            if k not in CONFIG_PADRAO:
                raise ErroPedido(f"Configuração desconhecida: {k}")
            if k == "decisao_automatica":
                if v not in (None, "DEFERIDO", "INDEFERIDO"):
                    raise ErroPedido(f"Valor inválido para {k}: {v}")
                novo[k] = v
            elif k == "hoje":
                novo[k] = dia_configurado(k, v)   # the same days as the sandbox's clock
            elif isinstance(v, bool) or not isinstance(v, (int, float, Decimal)) or v < 0:
                raise ErroPedido(f"Valor inválido para {k}: {v}")
            else:
                novo[k] = float(v)
        ped.config.update(novo)   # all or nothing: a bad key or value changes none
        return J(ped.config)

    @r.post("/_sandbox/pedidos/{numero}/decisao")
    async def admin_decisao(numero: str, request: Request):
        body = await corpo(request)
        if not isinstance(body, dict):
            raise ErroPedido("Corpo do pedido inválido: objeto esperado")
        return J(ped._json(ped.decidir(numero, str(body.get("estado")), body.get("fundamentacao"))))

    return r
