"""Everything a month's finance report shows for one employer, gathered from the ledger (amounts as Decimal)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ciclo.domain.calendario import prazos
from ciclo.domain.naturezas import NATUREZAS
from ciclo.domain.periodo import AnoMes
from ciclo.ledger.db import from_cent, sql_dir
from ciclo.relatorio.rotulos import grupo, rotulo

# The Segurança Social issues no Multibanco reference above this amount; such a document is paid by bank transfer
# (DOMAIN.md §3, PUBLIC-CLIENT diegobarbosa88/atualizacao-app-magnetic-place api/seguranca-social/index.js).
MULTIBANCO_MAX = Decimal("99999.99")
MESES_HISTORICO = 12


@dataclass
class DadosRelatorio:
    niss_ee: str
    nome: str
    ano_mes: str
    totais: dict
    trabalhadores: list[dict]
    diferencas: list[dict]
    documentos: list[dict]
    confirmacao: dict | None
    historico: list[dict]  # [{"ano_mes", "obrigacao"}] oldest first, this month last
    prazos: dict
    alertas: list[str] = field(default_factory=list)
    submissoes: list[dict] = field(default_factory=list)
    chamadas: list[dict] = field(default_factory=list)
    contratos: list[dict] = field(default_factory=list)  # contract changes communicated (SOAP) for the month
    naturezas: list[dict] = field(default_factory=list)  # remuneration per natureza, payroll vs Segurança Social

    def por_grupo(self, nome: str) -> list[dict]:
        return [d for d in self.diferencas if d["grupo"] == nome]

    @property
    def bloqueantes(self) -> list[dict]:
        return self.por_grupo("bloqueante")

    @property
    def informativas(self) -> list[dict]:
        return self.por_grupo("informativa")

    @property
    def toleradas(self) -> list[dict]:
        return self.por_grupo("tolerada")

    @property
    def fora_tolerancia(self) -> list[dict]:
        """Kept for callers of the first version: the blocking differences."""
        return self.bloqueantes

    @property
    def contagens(self) -> dict[str, int]:
        """The counts both the email and the workbook's summary print."""
        return {"bloqueante": len(self.bloqueantes), "informativa": len(self.informativas),
                "tolerada": len(self.toleradas), "total": len(self.diferencas)}

    @property
    def mes_anterior(self) -> dict | None:
        """The previous month's obligation and the change, when both months are known."""
        if len(self.historico) < 2:
            return None
        antes, agora = self.historico[-2], self.historico[-1]
        if antes["obrigacao"] is None or agora["obrigacao"] is None:
            return None
        delta = agora["obrigacao"] - antes["obrigacao"]
        pct = (delta * 100 / antes["obrigacao"]) if antes["obrigacao"] else None
        return {"ano_mes": antes["ano_mes"], "obrigacao": antes["obrigacao"], "delta": delta, "pct": pct}


def recolher(ledger, niss_ee: str, ano_mes: str, nome: str = "", meses_historico: int = MESES_HISTORICO,
             alertas: list[str] | None = None) -> DadosRelatorio:
    """Read the month of one employer from the ledger."""
    AnoMes.parse(ano_mes)  # a clear error for a bad month before any query
    t = ledger.t
    meses = [str(m) for m in _meses_ate(ano_mes, meses_historico)]
    with ledger.begin() as c:
        rec = _um(c, t["reconciliacao"], niss_ee, ano_mes)
        i, v = t["interno_trabalhador"], t["valores_apurados"]
        internos = {r["niss_trabalhador"]: dict(r) for r in c.execute(
            sa.select(i).where(i.c.niss_ee == niss_ee, i.c.ano_mes == ano_mes)).mappings()}
        apurados = {r["niss_trabalhador"]: dict(r) for r in c.execute(
            sa.select(v).where(v.c.niss_ee == niss_ee, v.c.ano_mes == ano_mes)).mappings()}
        difs = _todos(c, t["diferenca"], niss_ee, ano_mes, t["diferenca"].c.id)
        docs = _todos(c, t["documento_pagamento"], niss_ee, ano_mes, t["documento_pagamento"].c.numero)
        conf = _um(c, t["confirmacao"], niss_ee, ano_mes)
        apur = _um(c, t["apuramento"], niss_ee, ano_mes)
        ap = t["apuramento"]
        hist = {r["ano_mes"]: r["total_obrigacao_cent"] for r in c.execute(
            sa.select(ap.c.ano_mes, ap.c.total_obrigacao_cent)
            .where(ap.c.niss_ee == niss_ee, ap.c.ano_mes.in_(meses))).mappings()}
        obr = {r["ano_mes"]: r["s"] for r in c.execute(
            sa.select(v.c.ano_mes, sa.func.sum(v.c.total_obrigacao_cent).label("s"))
            .where(v.c.niss_ee == niss_ee, v.c.ano_mes.in_(meses)).group_by(v.c.ano_mes)).mappings()}
        submissoes = _todos(c, t["submissao"], niss_ee, ano_mes, t["submissao"].c.id)
        chamadas = _todos(c, t["chamada_externa"], niss_ee, ano_mes, t["chamada_externa"].c.id)
        contratos = _todos(c, t["contrato_comunicado"], niss_ee, ano_mes, t["contrato_comunicado"].c.id)
        naturezas = [dict(r) for r in c.execute(sa.text(_sql("naturezas.sql")),
                                                {"niss_ee": niss_ee, "ano_mes": ano_mes}).mappings()]

    trabalhadores = []
    for niss in sorted(set(internos) | set(apurados)):
        a, b = internos.get(niss, {}), apurados.get(niss, {})
        trabalhadores.append({
            "niss_trabalhador": niss,
            "enquadramento": a.get("enquadramento"),
            "folha_remuneracao": from_cent(a.get("total_remuneracao_cent")),
            "ss_remuneracao": from_cent(b.get("total_remuneracao_cent")),
            "folha_obrigacao": from_cent(a.get("obrigacao_cent")),
            "ss_obrigacao": from_cent(b.get("total_obrigacao_cent")),
            "folha_dias": _dec(a.get("dias_trabalho")), "ss_dias": _dec(b.get("dias_trabalho")),
        })
    for x in difs:
        for k in ("interno_cent", "ss_cent", "delta_cent"):
            x[k.replace("_cent", "")] = from_cent(x.get(k))
        x["rotulo"] = rotulo(x["classe"])
        x["grupo"] = grupo(x)
    for x in docs:
        x["valor"] = from_cent(x["valor_cent"])
        x["debito_direto"] = _debito_direto(x)
    for x in naturezas:
        x["descricao"] = NATUREZAS.get(x["natureza"], "natureza desconhecida")
        x["folha"], x["ss"] = from_cent(x.pop("folha_cent")), from_cent(x.pop("ss_cent"))
        x["delta"] = None if x["folha"] is None or x["ss"] is None else x["ss"] - x["folha"]
    data_ss = apur["data_limite_pagamento"] if apur else None
    a_pagar = sum((x["valor"] for x in docs), Decimal("0.00")) if docs else (
        from_cent(rec["ss_obrigacao_cent"]) if rec else None)
    totais = {
        "trabalhadores_folha": rec["trabalhadores_folha"] if rec else len(internos),
        "trabalhadores_ss": rec["trabalhadores_ss"] if rec else len(apurados),
        "folha_remuneracao": from_cent(rec["interno_remuneracao_cent"]) if rec else None,
        "ss_remuneracao": from_cent(rec["ss_remuneracao_cent"]) if rec else None,
        "folha_obrigacao": from_cent(rec["interno_obrigacao_cent"]) if rec else None,
        "ss_obrigacao": from_cent(rec["ss_obrigacao_cent"]) if rec else None,
        "a_pagar": a_pagar,
        "debito_direto": sum((x["valor"] for x in docs if x["debito_direto"]), Decimal("0.00")),
        "tolerancia": from_cent(rec["tolerancia_cent"]) if rec else None,
    }
    totais["a_pagar_manual"] = None if a_pagar is None else a_pagar - totais["debito_direto"]
    historico = [{"ano_mes": m, "obrigacao": from_cent(obr.get(m) if obr.get(m) is not None else hist.get(m))}
                 for m in meses]
    return DadosRelatorio(niss_ee, nome or niss_ee, ano_mes, totais, trabalhadores, difs, docs,
                          dict(conf) if conf else None, historico, prazos(ano_mes, _as_date(data_ss)),
                          list(alertas or []), submissoes, chamadas, contratos, naturezas)


def _sql(nome: str) -> str:
    texto = (sql_dir() / "relatorio" / nome).read_text(encoding="utf-8")
    return "\n".join(l for l in texto.splitlines() if not l.strip().startswith("--"))


def _um(c, tabela, niss_ee, ano_mes):
    return c.execute(sa.select(tabela).where(tabela.c.niss_ee == niss_ee, tabela.c.ano_mes == ano_mes)).mappings().first()


def _todos(c, tabela, niss_ee, ano_mes, ordem):
    return [dict(r) for r in c.execute(sa.select(tabela).where(tabela.c.niss_ee == niss_ee, tabela.c.ano_mes == ano_mes)
                                       .order_by(ordem)).mappings()]


def _debito_direto(doc: dict) -> str | None:
    """The direct-debit authorisation of a document, if any: such a document is collected by the Segurança Social
    and must not be paid again (``pagamentoDebitoDireto.numeroAutorizacao``, DOMAIN.md §3, PUBLIC-CLIENT)."""
    raw = doc.get("raw_json")
    if not raw:
        return None
    try:
        dados = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"documento_pagamento {doc.get('numero')}: raw_json is not JSON") from exc
    dd = (dados.get("referenciaDocumentoPagamento") or {}).get("pagamentoDebitoDireto") or {}
    n = dd.get("numeroAutorizacao")
    return None if n in (None, "") else str(n)


def _dec(v):
    return None if v is None else Decimal(str(v))


def _as_date(v):
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _meses_ate(ano_mes: str, n: int) -> list[AnoMes]:
    m = AnoMes.parse(ano_mes)
    out = [m]
    for _ in range(n - 1):
        out.insert(0, out[0].anterior())
    return out
