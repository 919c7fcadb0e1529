"""Gross, exempt and subject parts of every remuneration line of a loaded payroll (``ciclo.domain.incidencia``).

One computation used by the request body (declares the subject part), the internal totals (reconciliation), the
quality gate (a line whose subject part cannot be determined is an error) and the report
(``bruto_isento_sujeito``: per worker and natureza; ``por_natureza``: per natureza, stored for the workbook).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ciclo.domain.dinheiro import ZERO
from ciclo.domain.incidencia import IncidenciaInvalida, LimitesEmFalta, ParteSujeitaEmFalta, incidencia
from ciclo.domain.naturezas import FORA_DA_DECLARACAO
from ciclo.domain.periodo import AnoMes, AnoMesInvalido


def incidencias(payroll) -> pd.DataFrame:
    """One row per line of ``payroll.remuneracoes`` (same index): ``bruto, isento, sujeito, fonte, erro, regra,
    aviso``. ``sujeito`` is None when it cannot be determined; ``erro`` says why and ``regra`` is the quality rule it
    breaks (DQ-ISE-01 missing data, DQ-ISE-02 incoherent subject part, DQ-ISE-03 no legal limits for the month). A
    line computed with limits not confirmed for the month has its parts, ``regra`` DQ-ISE-04 (a warning) and the
    warning in ``aviso``.

    Computed once per payroll and kept on it (the quality rules, the request body, the internal totals and the
    incidence per natureza all ask for it; a line costs a call of ``ciclo.domain.incidencia``, 112,000 lines for a
    50,000-worker payroll). Callers only read the frame."""
    memo = payroll.__dict__.get("_incidencias")
    if memo is not None and memo[0] is payroll.remuneracoes and memo[1] == payroll.ano_mes:
        return memo[2]
    inc = _calcular(payroll)
    payroll.__dict__["_incidencias"] = (payroll.remuneracoes, payroll.ano_mes, inc)
    return inc


def _calcular(payroll) -> pd.DataFrame:
    rem = payroll.remuneracoes
    cols = ["bruto", "isento", "sujeito", "fonte", "erro", "regra", "aviso"]
    if not len(rem):
        return pd.DataFrame(columns=cols, index=rem.index)
    try:
        dia = AnoMes.parse(payroll.ano_mes).primeiro_dia
    except AnoMesInvalido:
        dia = None
    pag = rem["pagamento_refeicao"] if "pagamento_refeicao" in rem else pd.Series(None, index=rem.index)
    suj = rem["valor_sujeito"] if "valor_sujeito" in rem else pd.Series(None, index=rem.index)
    linhas = []
    # Lines with the same arguments share one outcome (its Decimals and its text): a month's meal allowances are
    # mostly the same few values, and a 50,000-worker payroll kept ≈ 40 MB of equal copies. The key holds the
    # amounts' identities, not their values: the loader gives one object per distinct text of a column, and
    # Decimal("22") == Decimal("22.0") would otherwise share a text ("× 22") that one of them does not have. Each
    # entry keeps its key's objects alive, so no id is reused while the dict lives (a column of floats or ints
    # yields a fresh object per row: such lines then simply share nothing).
    vistos: dict[tuple, tuple] = {}
    for nat, valor, dias, p, s in zip(rem["natureza"], rem["valor"], rem["dias"], pag, suj):
        if nat is None or valor is None or nat in FORA_DA_DECLARACAO or dia is None:
            linhas.append((None, None, None, None, None, None, None))
            continue
        chave = (nat, id(valor), id(dias), p, id(s))
        linha = vistos.get(chave, (None,))[-1]
        if linha is None:
            try:
                i = incidencia(nat, valor, dia, dias=dias, pagamento_refeicao=p, valor_sujeito=s)
                linha = (i.bruto, i.isento, i.sujeito, i.fonte, None, "DQ-ISE-04" if i.aviso else None, i.aviso)
            except LimitesEmFalta as exc:
                linha = (valor, None, None, None, str(exc), "DQ-ISE-03", None)
            except ParteSujeitaEmFalta as exc:
                linha = (valor, None, None, None, str(exc), "DQ-ISE-01", None)
            except IncidenciaInvalida as exc:
                linha = (valor, None, None, None, str(exc), "DQ-ISE-02", None)
            vistos[chave] = (valor, dias, s, linha)
        linhas.append(linha)
    return pd.DataFrame(linhas, columns=cols, index=rem.index)


def _linhas_declaradas(payroll):
    """``(niss, natureza, bruto, isento, sujeito)`` of every line of this declaration (lines outside it, H, are
    left out); a line whose subject part could not be determined (the quality gate blocks sending it) raises
    ``IncidenciaInvalida``."""
    inc = incidencias(payroll)
    rem = payroll.remuneracoes
    for niss, nat, bruto, isento, sujeito, erro in zip(rem["niss_trabalhador"], rem["natureza"], inc["bruto"],
                                                       inc["isento"], inc["sujeito"], inc["erro"]):
        if bruto is None and erro is None:
            continue
        if erro is not None:
            raise IncidenciaInvalida(f"{niss} natureza {nat}: {erro}")
        yield niss, nat, bruto, isento, sujeito


def bruto_isento_sujeito(payroll) -> list[dict]:
    """Per worker and natureza: ``{niss_trabalhador, natureza, bruto, isento, sujeito}`` (Decimal), sorted, for the
    report (``_linhas_declaradas``: which lines, and the error)."""
    tot: dict[tuple[str, str], list[Decimal]] = {}
    for niss, nat, bruto, isento, sujeito in _linhas_declaradas(payroll):
        t = tot.setdefault((niss, nat), [ZERO, ZERO, ZERO])
        t[0] += bruto
        t[1] += isento
        t[2] += sujeito
    return [{"niss_trabalhador": n, "natureza": nat, "bruto": b, "isento": e, "sujeito": s}
            for (n, nat), (b, e, s) in sorted(tot.items())]


def por_natureza(payroll) -> list[dict]:
    """Per natureza: ``{natureza, bruto, isento, sujeito}`` (Decimal), by natureza — the finance workbook's
    Incidência sheet; the same lines as ``bruto_isento_sujeito``, added up per natureza."""
    tot: dict[str, list[Decimal]] = {}
    for _, nat, bruto, isento, sujeito in _linhas_declaradas(payroll):
        t = tot.setdefault(nat, [ZERO, ZERO, ZERO])
        t[0] += bruto
        t[1] += isento
        t[2] += sujeito
    return [{"natureza": nat, "bruto": b, "isento": e, "sujeito": s} for nat, (b, e, s) in sorted(tot.items())]
