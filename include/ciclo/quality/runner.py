"""``check_payroll``: all layers of rules on one loaded payroll, as one table of violations."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ciclo.domain.periodo import AnoMes, AnoMesInvalido
from ciclo.domain.regras import REGRAS, Regra
from ciclo.domain.violacao import COLUNAS, Violation

_ORDEM_SEV = {"error": 0, "warning": 1}


@dataclass
class QualityResult:
    niss_ee: str
    ano_mes: str
    violations: pd.DataFrame  # columns: ciclo.domain.violacao.COLUNAS, errors first, by file and line
    content_hash: str = ""
    seconds: float = 0.0
    linhas: int = 0  # data lines checked
    ficheiros: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no error-severity violation: sending may proceed."""
        return not (self.violations["severity"] == "error").any()

    @property
    def n_erros(self) -> int:
        return int((self.violations["severity"] == "error").sum())

    @property
    def n_avisos(self) -> int:
        return int((self.violations["severity"] == "warning").sum())

    @property
    def counts_by_rule(self) -> dict[str, int]:
        """rule id → number of violations (only rules that were broken), in registry order."""
        c = self.violations["rule_id"].value_counts()
        return {rid: int(c[rid]) for rid in REGRAS if rid in c.index}

    def violations_list(self) -> list[Violation]:
        return [Violation(**{k: (None if pd.isna(v) else v) for k, v in r.items()})
                for r in self.violations.to_dict("records")]

    def summary_text(self, max_regras: int = 15, exemplos: int = 1) -> str:
        """One screen for a task log: the verdict, counts per rule, one example each."""
        estado = "PODE ENVIAR" if self.ok else "BLOQUEADO — nada é enviado à Segurança Social"
        linhas = [f"Qualidade da folha {self.niss_ee} {self.ano_mes}: {estado}",
                  f"  {self.linhas} linhas verificadas em {self.seconds:.1f} s; {self.n_erros} erro(s), "
                  f"{self.n_avisos} aviso(s)"]
        cont = self.counts_by_rule
        ordem = sorted(cont, key=lambda r: (_ORDEM_SEV[REGRAS[r].severidade], -cont[r]))
        for rid in ordem[:max_regras]:
            r = REGRAS[rid]
            linhas.append(f"  {'ERRO ' if r.severidade == 'error' else 'aviso'} {rid:<14} {cont[rid]:>6}  {r.titulo}")
            ex = self.violations[self.violations["rule_id"] == rid].head(exemplos)
            for v in ex.itertuples(index=False):
                onde = f"{v.ficheiro or '(pasta)'}" + (f":{int(v.linha)}" if pd.notna(v.linha) else "")
                linhas.append(f"        {onde}  {_corta(v.mensagem, 100)}")
        if len(ordem) > max_regras:
            linhas.append(f"  ... e mais {len(ordem) - max_regras} regra(s) com violações (ver relatório)")
        return "\n".join(linhas)


def _corta(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


_SEM_VIOLACOES = pd.DataFrame(columns=[*COLUNAS, "_ee"])


def _formatar(r: Regra, achados: pd.DataFrame, ee: int | None = None) -> pd.DataFrame:
    """Findings of one rule → violation rows with the message filled in, each with its member (``_ee``: the
    findings' own, or ``ee``)."""
    if achados is None or achados.empty:
        return _SEM_VIOLACOES.copy()
    registos = achados.drop(columns="_ee", errors="ignore").to_dict("records")
    mensagens = [r.formatar(**{k: (None if (v is None or (isinstance(v, float) and v != v)) else v) for k, v in a.items()})
                 for a in registos]
    out = pd.DataFrame({"rule_id": r.id, "severity": r.severidade, "source": r.fonte,
                        "ficheiro": achados.get("ficheiro"), "linha": achados.get("linha"),
                        "niss": achados.get("niss"), "coluna": achados.get("coluna"),
                        "valor": achados.get("valor"), "mensagem": mensagens,
                        "_ee": achados["_ee"] if ee is None else ee})
    return out


def check_payroll(payroll, *, hoje: date | None = None) -> QualityResult:
    """Every registered rule on ``payroll`` (a ``ciclo.payroll.Payroll``). ``hoje`` is the date contract start dates
    are compared with (default: today)."""
    return check_payrolls([payroll], hoje=hoje)[0]


# exports up to this many lines are checked together with the lote's others of the same ``checks.assinatura``;
# a larger one alone (its rules' fixed cost is small beside its rows, and its frames are not copied)
JUNTAR_ATE_LINHAS = 5000


def check_payrolls(payrolls: list, *, hoje: date | None = None) -> list[QualityResult]:
    """``check_payroll`` for several payrolls (a lote's employers): the same verdicts, one result per payroll in
    order. The Great Expectations suites run once per month for all of them (``gx_runner.executar_varios``), and
    the pandas rules once per group of small payrolls of one month with the same files (``checks.Contexto``)."""
    from ciclo.quality import checks, gx_runner

    t0 = time.perf_counter()
    hoje = hoje or date.today()
    refs = []
    for payroll in payrolls:
        try:
            refs.append(AnoMes.parse(payroll.ano_mes))
        except AnoMesInvalido:
            refs.append(None)
    por_dia: dict[date, list[int]] = {}
    for i, ref in enumerate(refs):
        por_dia.setdefault(ref.primeiro_dia if ref else hoje, []).append(i)
    gx_achados: dict[int, pd.DataFrame] = {}
    for dia, membros in por_dia.items():
        for i, achados in zip(membros, gx_runner.executar_varios([payrolls[i] for i in membros], dia)):
            gx_achados[i] = achados
    gx_s = (time.perf_counter() - t0) / max(1, len(payrolls))   # the shared GX time, split evenly
    grupos: dict[tuple, list[int]] = {}
    for i, payroll in enumerate(payrolls):
        chave = checks.assinatura(payroll) if _linhas(payroll) <= JUNTAR_ATE_LINHAS else ("só", i)
        grupos.setdefault(chave, []).append(i)
    resultados: list[QualityResult | None] = [None] * len(payrolls)
    for membros in grupos.values():
        for i, res in zip(membros, _verificar([payrolls[i] for i in membros], refs[membros[0]], hoje,
                                              [gx_achados[i] for i in membros], gx_s)):
            resultados[i] = res
    return resultados


def _linhas(payroll) -> int:
    return sum(len(payroll.frame(t)) for t in ("trabalhadores", "contratos", "remuneracoes", "inatividades",
                                                 "contribuicoes"))


def _verificar(membros: list, ref: AnoMes | None, hoje: date, gx_achados: list[pd.DataFrame],
               gx_s: float) -> list[QualityResult]:
    """Every rule on ``membros`` (payrolls of one ``checks.assinatura``) at once; each member's violations apart."""
    from ciclo.quality import checks

    t0 = time.perf_counter()
    partes = []
    for i, payroll in enumerate(membros):
        if payroll.load_issues:
            partes.append(pd.DataFrame([v.as_dict() for v in payroll.load_issues], columns=list(COLUNAS)).assign(_ee=i))
        for rid, grupo in gx_achados[i].groupby("rule_id", sort=False):
            partes.append(_formatar(REGRAS[rid], grupo.drop(columns="rule_id"), ee=i))

    ctx = checks.Contexto(membros, ref, hoje)
    for rid, pred in checks.PREDICADOS.items():
        partes.append(_formatar(REGRAS[rid], pred(ctx)))
    ctr = checks.verificar_contratos(ctx)
    for rid, grupo in ctr.groupby("rule_id", sort=False):
        partes.append(_formatar(REGRAS[rid], grupo.drop(columns="rule_id")))

    partes = [p for p in partes if not p.empty]
    v = pd.concat(partes, ignore_index=True) if partes else _SEM_VIOLACOES.copy()
    ee = v["_ee"].astype(int).to_numpy()
    v = v[list(COLUNAS)].astype(object)
    # a line number is an int or None, in an object column whatever the others (a float column of a lote would
    # otherwise turn one employer's None into NaN and sort it apart)
    v["linha"] = pd.Series([None if x is None or pd.isna(x) else int(x) for x in v["linha"]], index=v.index,
                           dtype=object)
    v = v.where(v.notna(), None)
    v["_ee"] = ee
    v["_s"] = v["severity"].map(_ORDEM_SEV)
    v["_l"] = v["linha"].map(lambda x: -1 if x is None else x)
    v["_f"] = v["ficheiro"].map(lambda x: "" if x is None else x)
    v = v.sort_values(["_ee", "_s", "_f", "_l", "rule_id"], kind="stable").drop(columns=["_s", "_l", "_f"])
    posicoes = v.groupby("_ee", sort=False).indices
    v = v.drop(columns="_ee")
    segundos = gx_s + (time.perf_counter() - t0) / len(membros)
    return [QualityResult(payroll.niss_ee, payroll.ano_mes, v.iloc[posicoes.get(i, [])].reset_index(drop=True),
                          payroll.content_hash, segundos, _linhas(payroll), dict(payroll.ficheiros))
            for i, payroll in enumerate(membros)]
