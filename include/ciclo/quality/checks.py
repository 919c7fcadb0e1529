"""The rules Great Expectations cannot express row by row, as vectorised pandas predicates (camada ``pandas``),
plus the contract-field rules of ``ciclo.domain.contrato`` (camada ``contrato``).

Each predicate is registered against a rule id of ``ciclo.domain.regras`` with ``@regra(...)`` and returns a
DataFrame of findings: ``ficheiro, linha, niss, coluna, valor`` plus the fields its message template uses, and
``_ee``, the payroll of ``Contexto.membros`` the finding belongs to (a lote's small exports are checked together).
A rule that relates rows keys a worker by (``_ee``, NISS), never by NISS alone. The runner turns findings into
``Violation`` rows. A predicate never raises on bad data: values that did not load are ``None`` (the loader already
reported them) and are skipped here.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Callable

import numpy as np
import pandas as pd

from ciclo.domain import contrato as K
from ciclo.domain.dinheiro import cent, percentagem
from ciclo.domain.naturezas import FORA_DA_DECLARACAO
from ciclo.payroll.incidencia import incidencias
from ciclo.domain.niss import motivo_invalido
from ciclo.domain.periodo import AnoMes, dias_trabalho_e_inatividade, sobreposicoes
from ciclo.domain.taxas import EnquadramentoDesconhecido, ReducaoDesconhecida, reducao, taxa
from ciclo.payroll.formato import FICHEIROS

ACHADO = ("ficheiro", "linha", "niss", "coluna", "valor")
PREDICADOS: dict[str, Callable[["Contexto"], pd.DataFrame]] = {}


def regra(rule_id: str):
    def registar(f):
        PREDICADOS[rule_id] = f
        return f
    return registar


class Contexto:
    """What the rules read: one payroll, or several checked together (``membros``: a lote's small exports of one
    month with the same files and the same missing columns, ``assinatura``). Several are one set of frames end to
    end, each row with its member's position in ``_ee``; every rule keys a worker by (``_ee``, NISS), so two
    employers' workers never meet, and tags each finding with its ``_ee`` (``_achados`` does it from the row).
    Each member then gets exactly the findings it would get alone (tested), for one pass of each rule instead of
    one per employer: a rule's fixed cost in pandas is most of its time on a small export."""

    def __init__(self, membros, ref: AnoMes | None, hoje: date):
        self.membros = list(membros) if isinstance(membros, (list, tuple)) else [membros]
        self.ref, self.hoje = ref, hoje
        self._cache: dict = {}
        primeiro = self.membros[0]
        self.colunas_em_falta: dict[str, set[str]] = primeiro.colunas_em_falta
        self._sem_ficheiro = {t for t, n in primeiro.ficheiros.items() if n is None}
        if any(assinatura(p) != assinatura(primeiro) for p in self.membros[1:]):
            raise ValueError("payrolls checked together must have the same month, files and missing columns")

    def df(self, tipo: str) -> pd.DataFrame:
        if len(self.membros) == 1:
            return self.membros[0].frame(tipo)
        k = ("df", tipo)
        if k not in self._cache:
            self._cache[k] = pd.concat([p.frame(tipo).assign(_ee=i) for i, p in enumerate(self.membros)],
                                       ignore_index=True)
        return self._cache[k]

    def ee(self, tipo: str) -> pd.Series:
        """The member of each row of ``tipo`` (all 0 for one payroll)."""
        df = self.df(tipo)
        return df["_ee"] if "_ee" in df else pd.Series(0, index=df.index)

    def sem_ficheiro(self, tipo: str) -> bool:
        return tipo in self._sem_ficheiro

    def incidencias(self) -> pd.DataFrame:
        """``ciclo.payroll.incidencia.incidencias`` of every member, in the rows' order (kept on each payroll, where
        the request body and the internal totals read it again)."""
        if len(self.membros) == 1:
            return incidencias(self.membros[0])
        return pd.concat([incidencias(p) for p in self.membros], ignore_index=True)

    def tem(self, tipo: str, *colunas: str) -> bool:
        """The file was read and has these columns (rules on a missing column do not run: DQ-FICH-05 says why)."""
        falta = self.colunas_em_falta.get(tipo, set())
        return len(self.df(tipo)) > 0 and not (set(colunas) & falta)

    def datas(self, tipo: str, col: str) -> pd.Series:
        k = ("dt", tipo, col)
        if k not in self._cache:
            vals = self.df(tipo)[col]
            # seconds resolution: contract dates up to 2999-12-31 are valid (nanoseconds stop in 2262)
            arr = np.array([np.datetime64("NaT") if d is None else np.datetime64(d, "D") for d in vals],
                           dtype="datetime64[s]")
            self._cache[k] = pd.Series(arr, index=vals.index)
        return self._cache[k]

    def num(self, tipo: str, col: str) -> pd.Series:
        """Days/hours as float (counts, not money); None → NaN."""
        k = ("num", tipo, col)
        if k not in self._cache:
            self._cache[k] = pd.to_numeric(self.df(tipo)[col].map(lambda v: None if v is None else float(v)), errors="coerce")
        return self._cache[k]


def assinatura(payroll) -> tuple:
    """Payrolls with the same one can be checked together (``Contexto``): the same month, the same kinds of file
    present and parsed, the same required columns missing — what decides which rules run."""
    return (payroll.ano_mes, tuple(sorted(t for t, n in payroll.ficheiros.items() if n is None)),
            tuple(sorted((t, tuple(sorted(c))) for t, c in payroll.colunas_em_falta.items() if c)),
            tuple(sorted(payroll.carregados)))


def _achados(df: pd.DataFrame, mask: pd.Series, coluna: str | None, valor, **extra) -> pd.DataFrame:
    if not np.asarray(mask, dtype=bool).any():
        return _vazio()  # most rules find nothing in most payrolls: no frames built for it
    sel = df[mask]
    out = pd.DataFrame({"ficheiro": sel["_ficheiro"], "linha": sel["_linha"],
                        "niss": sel["niss_trabalhador"] if "niss_trabalhador" in sel else None, "coluna": coluna,
                        "_ee": sel["_ee"] if "_ee" in sel else 0})
    out["valor"] = valor[mask] if isinstance(valor, pd.Series) else (sel[valor] if isinstance(valor, str) and valor in sel else valor)
    for k, v in extra.items():
        out[k] = v[mask] if isinstance(v, pd.Series) else v
    return out.reset_index(drop=True)


_VAZIO = pd.DataFrame(columns=list(ACHADO))


def _vazio() -> pd.DataFrame:
    # a copy of one empty frame (≈20 µs) rather than a new one (≈320 µs): most rules find nothing, and a lote of
    # small employers runs every rule once per employer
    return _VAZIO.copy()


def _fmt(d) -> str:
    return "" if d is None or (isinstance(d, float) and math.isnan(d)) else (d.isoformat() if isinstance(d, date) else str(d))


def _periodo(df: pd.DataFrame) -> pd.Series:
    return df["data_inicio"].map(_fmt) + ".." + df["data_fim"].map(_fmt)


# ------------------------------------------------------------------------------------------------ NISS


@regra("DQ-NISS-02")
def niss_digito_controlo(ctx: Contexto) -> pd.DataFrame:
    partes = []
    cache: dict[str, str | None] = {}

    def motivo(v):
        if v not in cache:
            cache[v] = motivo_invalido(v)
        return cache[v]

    formato = r"^[12][0-9]{10}$"  # format errors are DQ-NISS-01 (GX); here only the check digit
    for tipo, spec in FICHEIROS.items():
        df = ctx.df(tipo)
        for col in spec.por_tipo("niss"):
            if not ctx.tem(tipo, col):
                continue
            s = df[col]
            ok_fmt = s.notna() & s.astype(str).str.match(formato)
            motivos = s[ok_fmt].map(motivo)
            mask = pd.Series(False, index=df.index)
            mask[motivos[motivos.notna()].index] = True
            if mask.any():
                partes.append(_achados(df, mask, col, col, detalhe=s.map(lambda v: cache.get(v) or "")))
    for i, payroll in enumerate(ctx.membros):
        m = motivo_invalido(payroll.niss_ee)
        if m:
            partes.append(pd.DataFrame([{"ficheiro": None, "linha": None, "niss": None, "coluna": "niss_ee",
                                         "valor": payroll.niss_ee, "detalhe": f"NISS da entidade empregadora: {m}",
                                         "_ee": i}]))
    return pd.concat(partes, ignore_index=True) if partes else _vazio()


# ------------------------------------------------------------------------------------------------ periods


def _mask_fora(ctx: Contexto, tipo: str) -> tuple[pd.Series, pd.Series]:
    ini, fim = ctx.datas(tipo, "data_inicio"), ctx.datas(tipo, "data_fim")
    a, b = pd.Timestamp(ctx.ref.primeiro_dia), pd.Timestamp(ctx.ref.ultimo_dia)
    validos = ini.notna() & fim.notna()
    fora = validos & ((ini < a) | (ini > b) | (fim < a) | (fim > b))
    invertido = validos & (fim < ini)
    return fora, invertido


@regra("DQ-PER-02")
def periodo_fora_do_mes(ctx: Contexto) -> pd.DataFrame:
    if ctx.ref is None:
        return _vazio()
    partes = []
    for tipo in ("remuneracoes", "inatividades"):
        if ctx.tem(tipo, "data_inicio", "data_fim"):
            df = ctx.df(tipo)
            fora, _ = _mask_fora(ctx, tipo)
            partes.append(_achados(df, fora, "data_inicio", _periodo(df), ano_mes=str(ctx.ref)))
    return pd.concat(partes, ignore_index=True) if partes else _vazio()


@regra("DQ-PER-03")
def periodo_invertido(ctx: Contexto) -> pd.DataFrame:
    partes = []
    for tipo in ("remuneracoes", "inatividades"):
        if ctx.tem(tipo, "data_inicio", "data_fim"):
            df = ctx.df(tipo)
            ini, fim = ctx.datas(tipo, "data_inicio"), ctx.datas(tipo, "data_fim")
            partes.append(_achados(df, ini.notna() & fim.notna() & (fim < ini), "data_fim", _periodo(df)))
    return pd.concat(partes, ignore_index=True) if partes else _vazio()


# ------------------------------------------------------------------------------------------------ days


def _dias_trabalho(ctx: Contexto) -> pd.DataFrame:
    """Per worker: days of work on natureza P lines and the first P line (where a violation is reported).

    Successive periods (a mid-month change) add up; P lines whose periods overlap are concurrent contracts (several
    vínculos) and count once — the longest — since the days are capped at 30 across vínculos, not added
    (DR 1-A/2011 art. 16.º n.º 2, art. 70.º n.º 5)."""
    rem = ctx.df("remuneracoes")
    p = rem["natureza"] == "P"
    d = pd.DataFrame({"_ee": ctx.ee("remuneracoes")[p], "niss": rem["niss_trabalhador"][p],
                      "dias": ctx.num("remuneracoes", "dias")[p],
                      "ini": rem["data_inicio"][p] if "data_inicio" in rem else None,
                      "fim": rem["data_fim"][p] if "data_fim" in rem else None,
                      "linha": rem["_linha"][p], "ficheiro": rem["_ficheiro"][p]}).dropna(subset=["niss"])
    so_um = ~d[["_ee", "niss"]].duplicated(keep=False)
    simples = d[so_um]
    out = [simples.assign(dias=simples["dias"].fillna(0))[["_ee", "niss", "dias", "linha", "ficheiro"]]]
    linhas = []
    for (ee, niss), g in d[~so_um].groupby(["_ee", "niss"], sort=False):
        clusters: list[list] = []  # [start, end, max days]
        for ini, fim, dias in sorted(zip(g["ini"], g["fim"], g["dias"].fillna(0)),
                                     key=lambda t: (t[0] is None, t[0] or date.min)):
            if ini is not None and fim is not None and clusters and clusters[-1][1] is not None and ini <= clusters[-1][1]:
                clusters[-1][1] = max(clusters[-1][1], fim)
                clusters[-1][2] = max(clusters[-1][2], dias)
            else:
                clusters.append([ini, fim, dias])
        linhas.append({"_ee": ee, "niss": niss, "dias": sum(c[2] for c in clusters), "linha": g["linha"].min(),
                       "ficheiro": g["ficheiro"].iloc[0]})
    if linhas:
        out.append(pd.DataFrame(linhas))
    return pd.concat(out, ignore_index=True).set_index(["_ee", "niss"])


def _fmt_dias(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@regra("DQ-DIAS-02")
def dias_acima_de_30(ctx: Contexto) -> pd.DataFrame:
    if not ctx.tem("remuneracoes", "natureza", "dias"):
        return _vazio()
    g = _dias_trabalho(ctx)
    g = g[g["dias"] > 30]
    return pd.DataFrame({"ficheiro": g["ficheiro"], "linha": g["linha"], "niss": g.index.get_level_values("niss"),
                         "coluna": "dias", "valor": g["dias"].map(_fmt_dias), "dias": g["dias"].map(_fmt_dias),
                         "_ee": g.index.get_level_values("_ee")}).reset_index(drop=True)


def _dias_inatividade(ctx: Contexto) -> pd.DataFrame:
    """Per worker: inactivity days of the month with the one 30-day arithmetic (``ciclo.domain.periodo``): absences
    clipped to the month and merged (an overlap counts once — DQ-INA-02 flags it)."""
    ina = ctx.df("inatividades")
    ini, fim = ina["data_inicio"], ina["data_fim"]
    a, b = ctx.ref.primeiro_dia, ctx.ref.ultimo_dia
    ok = ini.notna() & fim.notna() & ina["niss_trabalhador"].notna()
    por: dict[tuple, list] = {}
    primeira: dict[tuple, tuple] = {}
    for n, i0, i1, linha, fich in zip(zip(ctx.ee("inatividades")[ok], ina["niss_trabalhador"][ok]), ini[ok], fim[ok],
                                      ina["_linha"][ok], ina["_ficheiro"][ok]):
        if i1 < i0 or i1 < a or i0 > b:
            continue
        por.setdefault(n, []).append((max(i0, a), min(i1, b)))
        if n not in primeira or linha < primeira[n][0]:
            primeira[n] = (linha, fich)
    linhas = [{"_ee": n[0], "niss": n[1], "inatividade": dias_trabalho_e_inatividade(a, b, p)[1],
               "linha": primeira[n][0], "ficheiro": primeira[n][1]} for n, p in por.items()]
    if not linhas:
        return pd.DataFrame(columns=["inatividade", "linha", "ficheiro"],
                            index=pd.MultiIndex.from_arrays([[], []], names=["_ee", "niss"]))
    return pd.DataFrame(linhas).set_index(["_ee", "niss"])


@regra("DQ-INA-02")
def inatividades_sobrepostas(ctx: Contexto) -> pd.DataFrame:
    """Two absences of one worker sharing a day: counted once, but the export is ambiguous (which motivo?)."""
    if not ctx.tem("inatividades", "niss_trabalhador", "data_inicio", "data_fim"):
        return _vazio()
    ina = ctx.df("inatividades")
    ok = ina["data_inicio"].notna() & ina["data_fim"].notna() & ina["niss_trabalhador"].notna()
    ee = ctx.ee("inatividades")
    ok &= pd.DataFrame({"_ee": ee, "n": ina["niss_trabalhador"]}).duplicated(keep=False)
    mask = pd.Series(False, index=ina.index)
    outra = pd.Series("", index=ina.index)
    for _, g in ina[ok].groupby([ee[ok], ina["niss_trabalhador"][ok]], sort=False):
        periodos = list(zip(g["data_inicio"], g["data_fim"]))
        for i, j in sobreposicoes(periodos):
            mask[g.index[j]] = True
            outra[g.index[j]] = str(g["_linha"].iloc[i])
    return _achados(ina, mask, "data_inicio", _periodo(ina), outra=outra)


@regra("DQ-DIAS-03")
def trabalho_mais_inatividade(ctx: Contexto) -> pd.DataFrame:
    if ctx.ref is None or not ctx.tem("remuneracoes", "natureza", "dias") or \
            not ctx.tem("inatividades", "data_inicio", "data_fim"):
        return _vazio()
    t = _dias_trabalho(ctx)[["dias"]]
    i = _dias_inatividade(ctx)
    j = i.join(t, how="inner")
    j["total"] = j["dias"] + j["inatividade"]
    j = j[j["total"] > 30]
    return pd.DataFrame({"ficheiro": j["ficheiro"], "linha": j["linha"], "niss": j.index.get_level_values("niss"),
                         "coluna": "data_inicio", "valor": j["total"].map(_fmt_dias), "dias": j["dias"].map(_fmt_dias),
                         "inatividade": j["inatividade"].map(_fmt_dias), "total": j["total"].map(_fmt_dias),
                         "_ee": j.index.get_level_values("_ee")}).reset_index(drop=True)


@regra("DQ-DIAS-04")
def dias_trabalho_a_hora(ctx: Contexto) -> pd.DataFrame:
    if not ctx.tem("remuneracoes", "horas", "dias"):
        return _vazio()
    rem = ctx.df("remuneracoes")
    horas, dias = ctx.num("remuneracoes", "horas"), ctx.num("remuneracoes", "dias")
    esperado = (-(-horas // 5)).clip(upper=30)  # a started block of 5 hours counts as a day (Art. 16 n.º 5)
    mask = horas.notna() & (horas >= 0) & dias.notna() & (dias != esperado)
    return _achados(rem, mask, "dias", dias.map(lambda x: "" if math.isnan(x) else _fmt_dias(x)),
                    horas=horas.map(lambda x: "" if math.isnan(x) else _fmt_dias(x)),
                    esperado=esperado.map(lambda x: "" if math.isnan(x) else _fmt_dias(x)))


# ------------------------------------------------------------------------------------------------ contracts


def _contratos_por_linha(ctx: Contexto, linhas: pd.DataFrame) -> pd.DataFrame:
    """For each remuneration line (index kept in ``_i``), the contracts of the same worker in force at some point
    of the line's period."""
    c = ctx.df("contratos")
    cc = pd.DataFrame({"_ee": ctx.ee("contratos"), "niss_trabalhador": c["niss_trabalhador"],
                       "c_ini": ctx.datas("contratos", "inicio_contrato"),
                       "c_fim": ctx.datas("contratos", "fim_contrato"), "c_base": c["remuneracao_base"],
                       "c_diut": c["diuturnidades"]}).dropna(subset=["niss_trabalhador", "c_ini"])
    j = linhas.merge(cc, on=["_ee", "niss_trabalhador"], how="inner")
    return j[(j["c_ini"] <= j["l_fim"]) & (j["c_fim"].isna() | (j["c_fim"] >= j["l_ini"]))]


def _linhas_rem(ctx: Contexto) -> pd.DataFrame:
    rem = ctx.df("remuneracoes")
    return pd.DataFrame({"_i": rem.index, "_ee": ctx.ee("remuneracoes"), "niss_trabalhador": rem["niss_trabalhador"],
                         "natureza": rem["natureza"],
                         "l_ini": ctx.datas("remuneracoes", "data_inicio"), "l_fim": ctx.datas("remuneracoes", "data_fim")})


@regra("DQ-CTR-20")
def remuneracao_sem_contrato(ctx: Contexto) -> pd.DataFrame:
    if ctx.ref is None or not ctx.tem("remuneracoes", "data_inicio", "data_fim") or \
            ctx.colunas_em_falta.get("contratos", set()) & {"niss_trabalhador", "inicio_contrato", "fim_contrato"}:
        return _vazio()
    linhas = _linhas_rem(ctx).dropna(subset=["niss_trabalhador", "l_ini", "l_fim"])
    com = set(_contratos_por_linha(ctx, linhas)["_i"]) if len(ctx.df("contratos")) else set()
    rem = ctx.df("remuneracoes")
    mask = rem.index.isin(linhas["_i"]) & ~rem.index.isin(list(com))
    return _achados(rem, pd.Series(mask, index=rem.index), "niss_trabalhador", _periodo(rem), natureza=rem["natureza"])


@regra("DQ-CTR-21")
def contrato_fora_do_vinculo(ctx: Contexto) -> pd.DataFrame:
    if not ctx.tem("contratos", "inicio_contrato", "inicio_vinculo"):
        return _vazio()
    c = ctx.df("contratos")
    ci, cf = ctx.datas("contratos", "inicio_contrato"), ctx.datas("contratos", "fim_contrato")
    vi, vf = ctx.datas("contratos", "inicio_vinculo"), ctx.datas("contratos", "fim_vinculo")
    antes = ci.notna() & vi.notna() & (ci < vi)
    # A contract without an end date ends with its vínculo (docs/payroll-export.md: fim_contrato empty when sem
    # termo): only an explicit end after the vínculo's is wrong — a ceased open-ended worker is normal.
    depois = vf.notna() & ci.notna() & cf.notna() & (cf > vf)
    a = _achados(c, antes, "inicio_contrato", "inicio_contrato",
                 detalhe="O contrato começa " + c["inicio_contrato"].map(_fmt) + ", antes do início do vínculo (" +
                 c["inicio_vinculo"].map(_fmt) + "): para o período do contrato indicado, o trabalhador não possui "
                 "vínculo com a entidade empregadora.")
    b = _achados(c, depois, "fim_contrato", "fim_contrato",
                 detalhe="A data fim contrato tem de ser igual ou anterior à data fim do vínculo (" +
                 c["fim_vinculo"].map(_fmt) + "); está " + c["fim_contrato"].map(lambda d: _fmt(d) or "vazia") + ".")
    return pd.concat([a, b], ignore_index=True)


@regra("DQ-P-01")
def remuneracao_permanente(ctx: Contexto) -> pd.DataFrame:
    """Art. 20 n.º 5: P = (remuneração base [+ diuturnidades] / 30) × dias. Hourly lines (with horas) are paid by the
    hour and not checked here; a line without a contract in force is DQ-CTR-20."""
    if not ctx.tem("remuneracoes", "natureza", "valor", "dias", "data_inicio", "data_fim") or \
            not ctx.tem("contratos", "inicio_contrato", "remuneracao_base"):
        return _vazio()
    rem = ctx.df("remuneracoes")
    linhas = _linhas_rem(ctx)
    horas = rem["horas"]
    linhas = linhas[(rem["natureza"] == "P") & horas.isna() & rem["valor"].notna() & rem["dias"].notna()]
    linhas = linhas.dropna(subset=["niss_trabalhador", "l_ini", "l_fim"])
    j = _contratos_por_linha(ctx, linhas)
    j = j[j["c_ini"] <= j["l_ini"]].dropna(subset=["c_base"])
    if j.empty:
        return _vazio()
    valores = rem.loc[j["_i"], "valor"].to_numpy()
    dias = rem.loc[j["_i"], "dias"].to_numpy()
    esperado = [cent((b + (d or 0)) * n / 30) for b, d, n in zip(j["c_base"], j["c_diut"], dias)]
    errado = [abs(v - e) > Decimal("0.01") for v, e in zip(valores, esperado)]
    j = j.assign(esperado=esperado, errado=errado)
    # Several contracts in force at the period's start are concurrent vínculos (art. 70.º n.º 5): the line is right
    # when one of them gives its value; otherwise it is reported against the latest version.
    algum_certo = set(j.loc[~j["errado"], "_i"])
    # stable: of contracts starting the same day, the last in the export (a quicksort reorders ties above 16 rows,
    # so a lote checked together could name another contract than the employer checked alone)
    j = j[~j["_i"].isin(algum_certo)].sort_values("c_ini", kind="stable").groupby("_i").tail(1)
    sel = rem.loc[j["_i"]]
    return pd.DataFrame({"ficheiro": sel["_ficheiro"].to_numpy(), "linha": sel["_linha"].to_numpy(),
                         "niss": sel["niss_trabalhador"].to_numpy(), "coluna": "valor",
                         "valor": [str(v) for v in sel["valor"]], "base": [str(b) for b in j["c_base"]],
                         "diut": [str(d or "0") for d in j["c_diut"]], "dias": [_fmt_dias(float(x)) for x in sel["dias"]],
                         "esperado": [str(e) for e in j["esperado"]], "_ee": j["_ee"].to_numpy()})


@regra("DQ-VAL-02")
def duas_casas_decimais(ctx: Contexto) -> pd.DataFrame:
    partes = []
    for tipo, spec in FICHEIROS.items():
        df = ctx.df(tipo)
        for col in spec.por_tipo("montante"):
            if not ctx.tem(tipo, col):
                continue
            s = df[col]
            # The written precision counts, not only the value: "1.500" read as Decimal("1.500") equals 1.50 but was
            # written with three decimals — a thousands separator or a typo, never a silent 1.5 (DOMAIN.md §4).
            mask = s.map(lambda v: v is not None and v.as_tuple().exponent < -2)
            if mask.any():
                partes.append(_achados(df, mask.astype(bool), col, s.map(str)))
    return pd.concat(partes, ignore_index=True) if partes else _vazio()


def _dias_contrato(ctx: Contexto) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    c = ctx.df("contratos")
    dias = ctx.num("contratos", "dias_trabalho")
    anuais = c["modalidade_contrato"].map(
        lambda m: bool(K.MODALIDADES.get(m or "") and K.MODALIDADES[m].intermitente and K.MODALIDADES[m].tempo == "completo"))
    return c, dias, anuais, ctx.num("contratos", "horas_trabalho")


@regra("DQ-CTR-41")
def dias_contrato_acima_do_mes(ctx: Contexto) -> pd.DataFrame:
    """dias-trabalho are monthly days (spec alterarContratoTrabalho), annual only for full-time intermittent work."""
    if not ctx.tem("contratos", "dias_trabalho", "modalidade_contrato"):
        return _vazio()
    c, dias, anuais, _ = _dias_contrato(ctx)
    mask = dias.notna() & ~anuais & (dias > 31)
    return _achados(c, mask, "dias_trabalho", dias.map(lambda x: "" if math.isnan(x) else _fmt_dias(x)),
                    modalidade=c["modalidade_contrato"])


@regra("DQ-CTR-42")
def dias_contrato_parecem_semanais(ctx: Contexto) -> pd.DataFrame:
    """Weekly hours over monthly days above 12 h a day cannot be a real schedule (Código do Trabalho art. 203.º: a
    normal day is 8 h, up to 12 h with adaptability): the days were written per week."""
    if not ctx.tem("contratos", "dias_trabalho", "horas_trabalho", "modalidade_contrato"):
        return _vazio()
    c, dias, anuais, horas = _dias_contrato(ctx)
    horas_dia = horas * 52 / 12 / dias
    mask = dias.notna() & horas.notna() & (dias > 0) & ~anuais & (horas_dia > 12)
    return _achados(c, mask, "dias_trabalho", dias.map(lambda x: "" if math.isnan(x) else _fmt_dias(x)),
                    horas=horas.map(lambda x: "" if math.isnan(x) else _fmt_dias(x)),
                    horas_dia=horas_dia.map(lambda x: "" if math.isnan(x) else f"{x:.1f}"))


@regra("DQ-RED-01")
def reducao_desconhecida(ctx: Contexto) -> pd.DataFrame:
    if ctx.ref is None or not ctx.tem("trabalhadores", "reducao"):
        return _vazio()
    t = ctx.df("trabalhadores")

    def desconhecida(c):
        try:
            reducao(c, ctx.ref.primeiro_dia)
            return False
        except ReducaoDesconhecida:
            return True

    mask = t["reducao"].map(lambda c: c is not None and desconhecida(c)).astype(bool)
    return _achados(t, mask, "reducao", "reducao")


@regra("DQ-ENQ-02")
def enquadramento_mudou_no_mes(ctx: Contexto) -> pd.DataFrame:
    """DR 1-A/2011 art. 13.º-A n.º 2: a change within the month applies from the next one; the month's rate is the
    previous enquadramento's, which must be given and known."""
    if ctx.ref is None or not ctx.tem("trabalhadores", "enquadramento_desde"):
        return _vazio()
    t = ctx.df("trabalhadores")
    ant = t["enquadramento_anterior"] if "enquadramento_anterior" in t else pd.Series(None, index=t.index)

    def conhecido(c):
        try:
            taxa(c, ctx.ref.primeiro_dia)
            return True
        except EnquadramentoDesconhecido:
            return False

    no_mes = t["enquadramento_desde"].map(lambda d: d is not None and ctx.ref.primeiro_dia < d <= ctx.ref.ultimo_dia)
    mask = (no_mes & ant.map(lambda c: c is None or not conhecido(c))).astype(bool)
    return _achados(t, mask, "enquadramento_anterior", t["enquadramento_desde"].map(_fmt), anterior=ant)


@regra("DQ-NAT-02")
def honorarios(ctx: Contexto) -> pd.DataFrame:
    """Honorários are declared autonomously (DR 1-A/2011 art. 20.º n.º 4); the payload leaves them out."""
    if not ctx.tem("remuneracoes", "natureza"):
        return _vazio()
    rem = ctx.df("remuneracoes")
    return _achados(rem, rem["natureza"].isin(list(FORA_DA_DECLARACAO)), "natureza", rem["valor"].map(_fmt))


def _incidencia(ctx: Contexto, regra_id: str) -> pd.DataFrame:
    if ctx.ref is None or not ctx.tem("remuneracoes", "natureza", "valor"):
        return _vazio()
    k = ("incidencia",)
    if k not in ctx._cache:
        ctx._cache[k] = ctx.incidencias()
    inc = ctx._cache[k]
    rem = ctx.df("remuneracoes")
    mask = inc["regra"] == regra_id
    out = _achados(rem, mask, "valor_sujeito", rem["valor"].map(_fmt),
                   detalhe=inc["aviso"] if regra_id == "DQ-ISE-04" else inc["erro"])
    if regra_id == "DQ-ISE-01":
        out["coluna"] = rem.loc[mask, "natureza"].map(lambda n: "pagamento_refeicao" if n == "R" else "valor_sujeito").to_numpy()
    return out


@regra("DQ-ISE-01")
def parte_sujeita_em_falta(ctx: Contexto) -> pd.DataFrame:
    return _incidencia(ctx, "DQ-ISE-01")


@regra("DQ-ISE-02")
def parte_sujeita_incoerente(ctx: Contexto) -> pd.DataFrame:
    return _incidencia(ctx, "DQ-ISE-02")


@regra("DQ-ISE-03")
def limites_em_falta(ctx: Contexto) -> pd.DataFrame:
    return _incidencia(ctx, "DQ-ISE-03")


@regra("DQ-ISE-04")
def limites_nao_confirmados(ctx: Contexto) -> pd.DataFrame:
    """Once per payroll (its first meal-allowance line, with how many there are): every such line of the month was
    computed with the same limits, and the same warning on each of them buried the report."""
    out = _incidencia(ctx, "DQ-ISE-04")
    if not len(out):
        return out
    n = out.groupby("_ee", sort=False)["_ee"].transform("size")
    out = out.assign(detalhe=out["detalhe"] + " — " + n.astype(str) + " linha(s) de subsídio de refeição do mês "
                     "calculadas com estes limites (a primeira indicada)")
    return out.groupby("_ee", sort=False).head(1).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ workers


@regra("DQ-TRAB-02")
def trabalhador_desconhecido(ctx: Contexto) -> pd.DataFrame:
    if "niss_trabalhador" in ctx.colunas_em_falta.get("trabalhadores", set()):
        return _vazio()
    conhecidos = _trabalhadores(ctx, "trabalhadores")
    partes = []
    for tipo in ("contratos", "remuneracoes", "inatividades", "contribuicoes"):
        if ctx.tem(tipo, "niss_trabalhador"):
            df = ctx.df(tipo)
            s = df["niss_trabalhador"]
            partes.append(_achados(df, s.notna() & ~_em(ctx, tipo, conhecidos), "niss_trabalhador", s))
    return pd.concat(partes, ignore_index=True) if partes else _vazio()


def _trabalhadores(ctx: Contexto, tipo: str) -> set[tuple]:
    """The (member, NISS) pairs of a file's rows."""
    s = ctx.df(tipo)["niss_trabalhador"]
    return {par for par in zip(ctx.ee(tipo), s) if par[1] is not None and par[1] == par[1]}


def _em(ctx: Contexto, tipo: str, pares: set[tuple]) -> pd.Series:
    """For each row of ``tipo``: its (member, NISS) is one of ``pares``."""
    df = ctx.df(tipo)
    return pd.Series([par in pares for par in zip(ctx.ee(tipo), df["niss_trabalhador"])], index=df.index, dtype=bool)


def _trab_sem(ctx: Contexto, tipo: str) -> pd.DataFrame:
    if not ctx.tem("trabalhadores", "niss_trabalhador") or ctx.sem_ficheiro(tipo) or \
            "niss_trabalhador" in ctx.colunas_em_falta.get(tipo, set()):
        return _vazio()
    t = ctx.df("trabalhadores")
    presentes = _trabalhadores(ctx, tipo)
    return _achados(t, t["niss_trabalhador"].notna() & ~_em(ctx, "trabalhadores", presentes), "niss_trabalhador",
                    "niss_trabalhador")


@regra("DQ-TRAB-03")
def trabalhador_sem_contrato(ctx: Contexto) -> pd.DataFrame:
    return _trab_sem(ctx, "contratos")


@regra("DQ-TRAB-04")
def trabalhador_sem_remuneracoes(ctx: Contexto) -> pd.DataFrame:
    return _trab_sem(ctx, "remuneracoes")


# ------------------------------------------------------------------------------------------------ duplicates


@regra("DQ-DUP-01")
def linha_repetida(ctx: Contexto) -> pd.DataFrame:
    partes = []
    for tipo, spec in FICHEIROS.items():
        df = ctx.df(tipo)
        if len(df) < 2:
            continue
        chave = _chave(df, list(spec.nomes))
        dup = chave.duplicated(keep="first")
        if dup.any():
            primeira = df["_linha"].groupby(chave).transform("min")
            partes.append(_achados(df, dup, None, None, primeira=primeira))
    return pd.concat(partes, ignore_index=True) if partes else _vazio()


CHAVE_JUNTA_ATE = 5000  # rows: up to this, a duplicate key is the tuple of the row's texts; above, a hash


def _chave(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """A hash per row over ``cols`` (None distinct from any text), for duplicate detection; over the row's member
    too when the frame is several payrolls' (``_ee``): two employers' rows are never duplicates of each other."""
    if "_ee" in df:
        cols = [*cols, "_ee"]
    if len(df) > CHAVE_JUNTA_ATE:
        txt = pd.DataFrame({c: df[c].map(lambda v: "\x00" if v is None else str(v)) for c in cols}, index=df.index)
        return pd.util.hash_pandas_object(txt, index=False)
    # a small file: the row's texts as a tuple (no frame of texts to build and hash; equal rows, equal keys)
    return pd.Series([tuple("\x00" if v is None else str(v) for v in linha) for linha in zip(*(df[c] for c in cols))],
                     index=df.index, dtype=object)


def _dup_chave(ctx: Contexto, tipo: str, chave: list[str]) -> pd.DataFrame:
    if not ctx.tem(tipo, *chave):
        return _vazio()
    df = ctx.df(tipo)
    k = _chave(df, chave)
    mask = k.duplicated(keep=False) & df[chave].notna().all(axis=1)
    linhas = pd.Series("", index=df.index)
    if mask.any():  # only the duplicated keys: a transform over every group is slow on 100k rows
        linhas[mask] = df["_linha"][mask].groupby(k[mask]).transform(lambda s: ", ".join(map(str, s)))
    return mask, df, linhas


@regra("DQ-DUP-02")
def trabalhador_repetido(ctx: Contexto) -> pd.DataFrame:
    r = _dup_chave(ctx, "trabalhadores", ["niss_trabalhador"])
    if isinstance(r, pd.DataFrame):
        return r
    mask, df, linhas = r
    return _achados(df, mask, "niss_trabalhador", "niss_trabalhador", linhas=linhas)


@regra("DQ-DUP-03")
def contrato_repetido(ctx: Contexto) -> pd.DataFrame:
    r = _dup_chave(ctx, "contratos", ["niss_trabalhador", "inicio_contrato"])
    if isinstance(r, pd.DataFrame):
        return r
    mask, df, linhas = r
    return _achados(df, mask, "inicio_contrato", df["inicio_contrato"].map(_fmt), linhas=linhas)


@regra("DQ-DUP-04")
def remuneracao_repetida(ctx: Contexto) -> pd.DataFrame:
    if not ctx.tem("remuneracoes", "niss_trabalhador", "natureza", "data_inicio", "data_fim"):
        return _vazio()
    df = ctx.df("remuneracoes")
    chave = ["niss_trabalhador", "natureza", "data_inicio", "data_fim"]
    k = _chave(df, chave)
    cand = k.duplicated(keep=False) & df[chave].notna().all(axis=1)
    if not cand.any():
        return _vazio()
    sub = df[cand]
    # Different values under one key (identical lines are DQ-DUP-01).
    distintos = sub.groupby(k[cand])["valor"].transform(lambda s: s.map(str).nunique())
    mask = pd.Series(False, index=df.index)
    mask[distintos[distintos > 1].index] = True
    linhas = pd.Series("", index=df.index)
    linhas[cand] = df["_linha"][cand].groupby(k[cand]).transform(lambda s: ", ".join(map(str, s)))
    return _achados(df, mask, "natureza", _periodo(df), natureza=df["natureza"], linhas=linhas)


# ------------------------------------------------------------------------------------------------ contributions


@regra("DQ-CONTRIB-01")
def contribuicoes_da_folha(ctx: Contexto) -> pd.DataFrame:
    if ctx.ref is None or not ctx.tem("contribuicoes", "enquadramento", "base_incidencia"):
        return _vazio()
    df = ctx.df("contribuicoes").assign(_ee=ctx.ee("contribuicoes"))
    linhas = []
    for r in df[["_ficheiro", "_linha", "niss_trabalhador", "enquadramento", "base_incidencia", "valor_cotizacao",
                 "valor_contribuicao", "_ee"]].itertuples(index=False):
        if r.base_incidencia is None or r.enquadramento is None:
            continue
        try:
            t = taxa(r.enquadramento, ctx.ref.primeiro_dia)
        except EnquadramentoDesconhecido:
            continue  # DQ-ENQ-01
        for col, pct, v in (("valor_cotizacao", t.cotizacao, r.valor_cotizacao),
                            ("valor_contribuicao", t.contribuicao, r.valor_contribuicao)):
            e = percentagem(r.base_incidencia, pct)
            if v is not None and abs(v - e) > Decimal("0.01"):
                linhas.append({"ficheiro": r._0, "linha": r._1, "niss": r.niss_trabalhador, "coluna": col,
                               "valor": str(v), "esperado": str(e), "taxa": str(pct), "base": str(r.base_incidencia),
                               "_ee": r._7})
    return pd.DataFrame(linhas) if linhas else _vazio()


# ------------------------------------------------------------------------------------------------ contract fields

# Each message of validar_campos → rule id; None: the same condition is a GX row rule (not reported twice).
_MAPA_CONTRATO: dict[str, str | None] = {
    K.NISS_TRABALHADOR_NAO_IDENTIFICADO: "DQ-CTR-30", K.MODALIDADE_NAO_IDENTIFICADA: "DQ-CTR-30",
    K.INICIO_NAO_IDENTIFICADO: "DQ-CTR-30", K.PROFISSAO_NAO_IDENTIFICADA: "DQ-CTR-30",
    K.REMUNERACAO_BASE_NAO_IDENTIFICADA: "DQ-CTR-30",
    K.FIM_NAO_IDENTIFICADO: "DQ-CTR-31", K.MOTIVO_NAO_IDENTIFICADO: "DQ-CTR-32", K.MOTIVO_INVALIDO: "DQ-CTR-33",
    K.PERCENTAGEM_NAO_IDENTIFICADA: "DQ-CTR-34", K.HORAS_NAO_IDENTIFICADA: "DQ-CTR-34",
    K.DIAS_NAO_IDENTIFICADO: "DQ-CTR-34", K.PRESTACAO_INVALIDA_PARA_MODALIDADE: "DQ-CTR-35",
    K.NISS_SUBSTITUIR_NAO_IDENTIFICADO: "DQ-CTR-36", K.NISS_SUBSTITUIR_IGUAL: "DQ-CTR-36",
    K.INICIO_MAIS_30_DIAS: "DQ-CTR-37", K.FIM_ANTES_INICIO: "DQ-CTR-38", K.INTERMITENTE_SEM_HORAS_NEM_DIAS: "DQ-CTR-39",
    K.NISS_TRABALHADOR_INVALIDO: None, K.MODALIDADE_INVALIDA: None, K.PRESTACAO_INVALIDA: None,
    K.INICIO_ANTES_1940: None, K.FIM_APOS_2999: None, K.PROFISSAO_INVALIDA: None,
    K.REMUNERACAO_BASE_NAO_POSITIVA: None, K.DIUTURNIDADES_NAO_POSITIVAS: None, K.PERCENTAGEM_FORA_INTERVALO: None,
    K.HORAS_NAO_POSITIVAS: None, K.DIAS_NAO_POSITIVOS: None,
}
REGRAS_CONTRATO = sorted({v for v in _MAPA_CONTRATO.values() if v} | {"DQ-CTR-40"})


def verificar_contratos(ctx: Contexto) -> pd.DataFrame:
    """Every contract row through ``ciclo.domain.contrato.validar_campos`` (what alterarContratoTrabalho checks
    without the Segurança Social's records). Columns: rule_id + ACHADO + message fields."""
    if not ctx.tem("contratos", "niss_trabalhador", "modalidade_contrato"):
        return pd.DataFrame(columns=["rule_id", *ACHADO])
    df = ctx.df("contratos")
    cols = [c for c in K.CAMPOS if c in df.columns]
    out = []
    cache: dict[tuple, K.ResultadoValidacao] = {}
    for meta, ee, valores in zip(df[["_ficheiro", "_linha"]].itertuples(index=False), ctx.ee("contratos"),
                                 df[cols].itertuples(index=False)):
        campos = dict(zip(cols, valores))
        chave = tuple(valores)
        res = cache.get(chave)
        if res is None:
            res = cache[chave] = K.validar_campos(campos, ctx.hoje)
        if res.ok:
            continue
        mod = campos.get("modalidade_contrato")
        for campo, msg in res.pares():
            rid = "DQ-CTR-40" if msg.startswith("Formato inválido") else _MAPA_CONTRATO.get(msg, "DQ-CTR-30")
            if rid is None:
                continue
            v = campos.get(campo)
            out.append({"rule_id": rid, "ficheiro": meta[0], "linha": meta[1], "niss": campos.get("niss_trabalhador"),
                        "coluna": campo, "valor": _fmt(v) if v is not None else None, "detalhe": msg,
                        "modalidade": mod or "", "_ee": ee})
    return pd.DataFrame(out) if out else pd.DataFrame(columns=["rule_id", *ACHADO])
