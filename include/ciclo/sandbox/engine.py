"""Apuramento engine: what the Segurança Social computes for one worker, one EE and one month.

Pure functions (no I/O). Rules (DOMAIN.md §4, DR 1-A/2011):
* natureza P (origem SEGURANCA_SOCIAL) comes from the contract(s) in force: base + diuturnidades, prorated
  ``base / 30 × days`` for partial months (admission, cessation, contract change) and inactivity; a full
  month with no inactivity is the whole base; days on the 30-day basis (``dias_no_periodo``), capped at 30;
* communicated values (origem ENTIDADE_EMPREGADORA) are added by natureza (P lines are not: alert only);
* contributions by enquadramento on the total remuneration of that enquadramento (``ciclo.domain.taxas``),
  half-up to cents; ``totalContribuicao`` = cotização + contribuição (as in the spec's example);
* ``detalhesContribuicao`` per natureza/enquadramento/tipo; per-natureza values are rounded and the largest
  one absorbs the cent difference so the details add up to the enquadramento's totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ciclo.domain.dinheiro import cent, percentagem
from ciclo.domain.periodo import AnoMes, dias_no_periodo, dias_trabalho_e_inatividade, limitar_a_30
from ciclo.domain.taxas import enquadramento_do_mes, reducao, taxa

ZERO = Decimal("0.00")
ZERO_TAXA = Decimal("0")
TRINTA = 30


@dataclass
class Vinculo:
    inicio: date
    fim: date | None
    enquadramento: str  # code (REGIME_GERAL) or description
    reducao: str | None = None  # code of ciclo/data/reducoes.yaml (employer's contribution reduced)


@dataclass
class Contrato:
    inicio: date
    fim: date | None
    remuneracao_base: Decimal
    diuturnidades: Decimal = ZERO


@dataclass
class Resultado:
    json: dict
    total_remuneracao: Decimal
    total_contribuicao: Decimal
    total_reducao: Decimal
    total_obrigacao: Decimal
    alertas: list[tuple[str, str]] = field(default_factory=list)


def _dias(inicio: date, fim: date) -> int:
    return dias_no_periodo(inicio, fim)


def _overlap(a0: date, a1: date, b0: date, b1: date) -> tuple[date, date] | None:
    s, e = max(a0, b0), min(a1, b1)
    return (s, e) if s <= e else None


def _dias_dec(n: int | Decimal) -> Decimal:
    return Decimal(n).quantize(Decimal("0.0"))


def vinculos_no_mes(vinculos: list[Vinculo], ref: AnoMes) -> list[Vinculo]:
    return [v for v in vinculos if v.inicio <= ref.ultimo_dia and (v.fim is None or v.fim >= ref.primeiro_dia)]


def enquadramentos_do_mes(vinculos: list[Vinculo], ref: AnoMes) -> dict[int, str]:
    """id(vínculo) → the enquadramento whose rate applies this month. A vínculo that continues another one (starts
    the day after it ends) with a different enquadramento keeps the old rate until the end of the month: DR 1-A/2011
    art. 13.º-A n.º 2 (a change of rate takes effect from the following month)."""
    out = {}
    for v in vinculos:
        anterior = next((a for a in vinculos if a is not v and a.fim is not None and
                         a.fim + timedelta(days=1) == v.inicio), None)
        out[id(v)] = enquadramento_do_mes(v.enquadramento, ref, anterior.enquadramento if anterior else None, v.inicio)
    return out


def contratos_por_vinculo(vinculos: list[Vinculo], contratos: list[Contrato]) -> dict[int, list[Contrato]]:
    """Each contract belongs to the vínculo in force on its start date (the latest one started by then): two
    vínculos at once are two concurrent contracts, both paid (DR 1-A/2011 art. 70.º n.º 5), while contracts within
    one vínculo are versions of the same contract (specs/alterar-contrato-soap.txt: a new one ends the previous)."""
    por_inicio = sorted(vinculos, key=lambda v: v.inicio)

    def raiz(v: Vinculo) -> Vinculo:
        # A vínculo that continues another one (starts the day after it ends, e.g. a new enquadramento) is the same
        # employment: it shares its contracts.
        while True:
            a = next((a for a in por_inicio if a is not v and a.fim is not None and a.fim + timedelta(days=1) == v.inicio), None)
            if a is None:
                return v
            v = a

    por_raiz: dict[int, list[Contrato]] = {}
    for c in contratos:
        em_vigor = [v for v in por_inicio if v.inicio <= c.inicio and (v.fim is None or v.fim >= c.inicio)]
        dono = em_vigor[-1] if em_vigor else (por_inicio[0] if por_inicio else None)
        if dono is not None:
            por_raiz.setdefault(id(raiz(dono)), []).append(c)
    return {id(v): por_raiz.get(id(raiz(v)), []) for v in por_inicio}


def apurar_trabalhador(
    ref: AnoMes,
    niss_trabalhador: str,
    vinculos: list[Vinculo],
    contratos: list[Contrato],
    comunicado: dict | None,
    data_limite: date,
) -> Resultado | None:
    """The valores apurados of one worker, or None when no vínculo overlaps the month."""
    m0, m1 = ref.primeiro_dia, ref.ultimo_dia
    vincs = sorted(vinculos_no_mes(vinculos, ref), key=lambda v: v.inicio)
    if not vincs:
        return None
    dia_taxas = m0
    inatividades = []
    linhas_ee = []
    if comunicado:
        for ina in comunicado.get("inatividades") or []:
            inatividades.append((date.fromisoformat(ina["dataInicio"]), date.fromisoformat(ina["dataFim"]), ina["motivo"]))
        linhas_ee = list(comunicado.get("remuneracoes") or [])

    remuneracoes: list[dict] = []
    # per enquadramento: {natureza: Decimal}
    por_enq: dict[str, dict[str, Decimal]] = {}
    enq_vinc: dict[str, Vinculo] = {}
    dias_total = 0
    # Hourly work (Art. 16 n.º 5 DR 1-A/2011): the permanent remuneration cannot be derived from a monthly base, so
    # the employer declares it; a P line communicated for the worker replaces the contract-derived one.
    p_declarado = any(ln["natureza"] == "P" for ln in linhas_ee)
    por_vinculo = contratos_por_vinculo(vincs, contratos)
    enq_mes = enquadramentos_do_mes(vinculos, ref)
    for v in vincs:
        desc = taxa(enq_mes[id(v)], dia_taxas).descricao
        enq_vinc.setdefault(desc, v)
        por_enq.setdefault(desc, {})
        v0, v1 = max(v.inicio, m0), min(v.fim or m1, m1)
        # The contracts of one vínculo are successive versions: each ends where the next one starts.
        versoes = sorted(por_vinculo.get(id(v), []), key=lambda c: c.inicio)
        for i, c in enumerate(versoes):
            c_fim = c.fim
            if i + 1 < len(versoes):
                prox = versoes[i + 1].inicio - timedelta(days=1)
                c_fim = prox if c_fim is None else min(c_fim, prox)
            seg = _overlap(v0, v1, c.inicio, c_fim or m1)
            if seg is None:
                continue
            s, e = seg
            ina_seg = [{"dataInicio": i0.isoformat(), "dataFim": i1.isoformat(), "motivo": motivo}
                       for (i0, i1, motivo) in inatividades if _overlap(s, e, i0, i1)]
            # one 30-day arithmetic for the SS side and the internal totals (ciclo.domain.periodo)
            dias_trab, dias_ina = dias_trabalho_e_inatividade(s, e, [(i0, i1) for (i0, i1, _) in inatividades])
            # Art. 70.º n.º 5: with several vínculos the registered DAYS are capped at 30; the pay of each is due.
            (dias_reg,) = limitar_a_30([dias_trab], dias_total)
            dias_total += dias_reg
            if p_declarado:
                continue
            base = Decimal(c.remuneracao_base) + Decimal(c.diuturnidades or 0)
            valor = cent(base) if dias_trab == TRINTA else cent(base * dias_trab / TRINTA)
            remuneracoes.append({
                "dataInicio": c.inicio.isoformat(),  # the contract's start, as in the spec's example
                "dataFim": e.isoformat() if e < m1 else None,
                "natureza": "P",
                "remuneracao": valor,
                "diasTrabalho": _dias_dec(dias_reg),
                "origem": "SEGURANCA_SOCIAL",
                "diasInatividade": _dias_dec(dias_ina),
                "inatividades": ina_seg,
            })
            por_enq[desc]["P"] = por_enq[desc].get("P", ZERO) + valor

    alertas: list[tuple[str, str]] = []
    dias_nat: dict[str, Decimal] = {}
    for ln in linhas_ee:
        if ln["natureza"] == "P" and not p_declarado:
            continue
        d0 = date.fromisoformat(ln["dataInicio"])
        alvo = next((v for v in vincs if v.inicio <= d0 and (v.fim is None or v.fim >= d0)), vincs[0])
        desc = taxa(enq_mes[id(alvo)], dia_taxas).descricao
        dias = Decimal(str(ln.get("diasTrabalho") or 0))
        ja = dias_nat.get(ln["natureza"], Decimal(0))
        dias = max(Decimal(0), min(dias, Decimal(TRINTA) - ja))
        dias_nat[ln["natureza"]] = ja + dias
        valor = cent(Decimal(ln["remuneracao"]))
        remuneracoes.append({
            "dataInicio": ln["dataInicio"],
            "dataFim": ln["dataFim"],
            "natureza": ln["natureza"],
            "remuneracao": valor,
            "diasTrabalho": _dias_dec(dias),
            "origem": "ENTIDADE_EMPREGADORA",
            "diasInatividade": _dias_dec(0),
            "inatividades": [],
        })
        por_enq[desc][ln["natureza"]] = por_enq[desc].get(ln["natureza"], ZERO) + valor

    contribuicoes = []
    detalhes = []
    total_red = ZERO
    total_rem = ZERO
    total_contrib = ZERO
    for desc, naturezas in por_enq.items():
        t = taxa(desc, dia_taxas)
        v = enq_vinc[desc]
        rem = sum(naturezas.values(), ZERO)
        total_rem += rem
        cot, con = t.valores(rem)
        # A reduction waives part of the employer's contribution (ciclo/data/reducoes.yaml; presentation ASSUMED)
        red = reducao(v.reducao, dia_taxas).valor(con) if v.reducao else ZERO
        total_red += red
        obrig = cot + con - red
        total_contrib += cot + con
        contribuicoes.append({
            "dataInicio": v.inicio.isoformat(),
            "dataFim": v.fim.isoformat() if v.fim and v.fim <= m1 else None,
            "enquadramento": desc,
            "valorCotizacao": cot,
            "taxaCotizacao": t.cotizacao,
            "valorComplementarCotizacao": ZERO,
            "taxaComplementarCotizacao": ZERO_TAXA,
            "valorContribuicao": con,
            "taxaContribuicao": t.contribuicao,
            "valorComplementarContribuicao": ZERO,
            "taxaComplementarContribuicao": ZERO_TAXA,
            "obrigacao": obrig,
        })
        ordem = sorted(naturezas, key=lambda n: (n != "P",))
        por_tipo = {}
        for tipo, rate, total in (("Contribuicao", t.contribuicao, con), ("Cotizacao", t.cotizacao, cot)):
            if rate == 0:
                continue
            vals = {n: percentagem(naturezas[n], rate) for n in ordem}
            diff = total - sum(vals.values(), ZERO)
            if diff and vals:
                maior = max(ordem, key=lambda n: naturezas[n])
                vals[maior] += diff
            por_tipo[tipo] = vals
        for n in ordem:
            for tipo in ("Contribuicao", "Cotizacao"):
                if tipo not in por_tipo:
                    continue
                val = por_tipo[tipo][n]
                detalhes.append({
                    "natureza": n,
                    "enquadramento": desc,
                    "motivo": "MENSAL",
                    "tipo": tipo,
                    "valor": val,
                    "valoresDataLimitePagamento": [{"valor": val, "dataLimitePagamento": data_limite.isoformat()}],
                })
    total_obrig = total_contrib - total_red
    corpo = {
        "anoMes": str(ref),
        "nissTrabalhador": int(niss_trabalhador),
        "totalRemuneracao": total_rem,
        "totalContribuicao": total_contrib,
        "totalReducao": total_red,
        "totalObrigacao": total_obrig,
        "remuneracoes": remuneracoes,
        "contribuicoes": contribuicoes,
        "detalhesContribuicao": detalhes,
    }
    return Resultado(corpo, total_rem, total_contrib, total_red, total_obrig, alertas)
