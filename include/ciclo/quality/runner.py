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


_SEM_VIOLACOES = pd.DataFrame(columns=list(COLUNAS))


def _formatar(r: Regra, achados: pd.DataFrame) -> pd.DataFrame:
    """Findings of one rule → violation rows with the message filled in."""
    if achados is None or achados.empty:
        return _SEM_VIOLACOES.copy()
    registos = achados.to_dict("records")
    mensagens = [r.formatar(**{k: (None if (v is None or (isinstance(v, float) and v != v)) else v) for k, v in a.items()})
                 for a in registos]
    out = pd.DataFrame({"rule_id": r.id, "severity": r.severidade, "source": r.fonte,
                        "ficheiro": achados.get("ficheiro"), "linha": achados.get("linha"),
                        "niss": achados.get("niss"), "coluna": achados.get("coluna"),
                        "valor": achados.get("valor"), "mensagem": mensagens})
    return out


def check_payroll(payroll, *, hoje: date | None = None) -> QualityResult:
    """Every registered rule on ``payroll`` (a ``ciclo.payroll.Payroll``). ``hoje`` is the date contract start dates
    are compared with (default: today)."""
    return check_payrolls([payroll], hoje=hoje)[0]


def check_payrolls(payrolls: list, *, hoje: date | None = None) -> list[QualityResult]:
    """``check_payroll`` for several payrolls (a lote's employers): the same verdicts, one result per payroll in
    order; the Great Expectations suites run once per month for all of them (``gx_runner.executar_varios``)."""
    from ciclo.quality import gx_runner

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
    return [_verificar(payroll, refs[i], hoje, gx_achados[i], gx_s) for i, payroll in enumerate(payrolls)]


def _verificar(payroll, ref: AnoMes | None, hoje: date, gx_achados: pd.DataFrame, gx_s: float) -> QualityResult:
    from ciclo.quality import checks

    t0 = time.perf_counter()
    partes = [pd.DataFrame([v.as_dict() for v in payroll.load_issues], columns=list(COLUNAS))]
    for rid, grupo in gx_achados.groupby("rule_id", sort=False):
        partes.append(_formatar(REGRAS[rid], grupo.drop(columns="rule_id")))

    ctx = checks.Contexto(payroll, ref, hoje)
    for rid, pred in checks.PREDICADOS.items():
        partes.append(_formatar(REGRAS[rid], pred(ctx)))
    ctr = checks.verificar_contratos(ctx)
    for rid, grupo in ctr.groupby("rule_id", sort=False):
        partes.append(_formatar(REGRAS[rid], grupo.drop(columns="rule_id")))

    partes = [p for p in partes if not p.empty]
    v = pd.concat(partes, ignore_index=True) if partes else pd.DataFrame(columns=list(COLUNAS))
    v = v[list(COLUNAS)].astype(object)
    v["linha"] = v["linha"].map(lambda x: None if x is None or pd.isna(x) else int(x))
    v = v.where(v.notna(), None)
    v["_s"] = v["severity"].map(_ORDEM_SEV)
    v["_l"] = v["linha"].map(lambda x: -1 if x is None else x)
    v["_f"] = v["ficheiro"].map(lambda x: "" if x is None else x)
    v = v.sort_values(["_s", "_f", "_l", "rule_id"], kind="stable").drop(columns=["_s", "_l", "_f"]).reset_index(drop=True)
    n = sum(len(payroll.frame(t)) for t in ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes"))
    return QualityResult(payroll.niss_ee, payroll.ano_mes, v, payroll.content_hash,
                         gx_s + time.perf_counter() - t0, n, dict(payroll.ficheiros))
