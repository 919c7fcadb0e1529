"""Everything a month's finance report shows for one employer, gathered from the ledger (amounts as Decimal)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from ciclo.domain.calendario import prazos
from ciclo.domain.naturezas import NATUREZAS
from ciclo.domain.periodo import AnoMes
from ciclo.domain.dinheiro import from_cent
from ciclo.relatorio.rotulos import grupo, rotulo

# The Segurança Social issues no Multibanco reference above this amount; such a document is paid by bank transfer
# (DOMAIN.md §3, PUBLIC-CLIENT diegobarbosa88/atualizacao-app-magnetic-place api/seguranca-social/index.js).
MULTIBANCO_MAX = Decimal("99999.99")
MESES_HISTORICO = 12


class LinhaTrabalhador(NamedTuple):
    """One worker of the month in the report: the payroll's totals next to the Segurança Social's (``None`` on the
    side that does not hold the worker). Amounts in cents and days as the ledger keeps them — a tuple, not a dict of
    ``Decimal``: a 50,000-worker month's rows took ≈ 96 MB as dicts; ``euros``/``dias`` convert when shown."""

    niss_trabalhador: str
    enquadramento: str | None
    folha_remuneracao_cent: int | None
    ss_remuneracao_cent: int | None
    folha_obrigacao_cent: int | None
    ss_obrigacao_cent: int | None
    folha_dias: object
    ss_dias: object

    def euros(self, campo: str) -> Decimal | None:
        """``euros("folha_remuneracao")``: that amount in euros (``Decimal``, cents exact)."""
        return from_cent(getattr(self, f"{campo}_cent"))

    def dias(self, campo: str) -> Decimal | None:
        """``dias("folha")``: that side's days as ``Decimal``."""
        return _dec(getattr(self, f"{campo}_dias"))


@dataclass
class DadosRelatorio:
    niss_ee: str
    nome: str
    ano_mes: str
    totais: dict
    trabalhadores: list[LinhaTrabalhador]
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
    # per natureza, from the payroll: gross, exempt and subject to contributions (what is declared is the subject
    # part — ISS Guia Prático da Declaração de Remunerações); filled by the caller that holds the payroll
    incidencia: list[dict] = field(default_factory=list)

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
    meses = [str(m) for m in _meses_ate(ano_mes, meses_historico)]
    m = ledger.relatorios.mes(niss_ee, ano_mes, meses)
    rec, conf, apur = m["reconciliacao"], m["confirmacao"], m["apuramento"]
    difs, docs, naturezas = m["diferencas"], m["documentos"], m["naturezas"]
    hist, obr = m["historico_apuramento"], m["historico_apurados"]
    submissoes, chamadas, contratos = m["submissoes"], m["chamadas"], m["contratos"]

    trabalhadores, n_folha, n_ss = [], 0, 0
    for r in m["trabalhadores"]:
        trabalhadores.append(LinhaTrabalhador(*r[:8]))
        n_folha += r[8]
        n_ss += r[9]
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
        "trabalhadores_folha": rec["trabalhadores_folha"] if rec else n_folha,
        "trabalhadores_ss": rec["trabalhadores_ss"] if rec else n_ss,
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
