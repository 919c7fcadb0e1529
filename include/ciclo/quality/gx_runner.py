"""Run the row rules stored as Great Expectations suites (``expectations/<ficheiro>.json``) on a loaded payroll.

In-process, ephemeral context, pandas datasource, one batch per file from its DataFrame, ``result_format``
COMPLETE so each failed expectation gives ``unexpected_index_list`` — row positions, mapped back to the file's
line numbers through ``_linha``. Value sets that are domain catalogues (naturezas, modalidades, enquadramentos,
motivos) are suite parameters (``{"$PARAMETER": ...}``) filled from ``ciclo.domain`` so they live in one place.
GX is imported here only, when the checks run.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

EXPECTATIONS_ENV = "CICLO_EXPECTATIONS_DIR"


def pasta_expectations() -> Path:
    """``$CICLO_EXPECTATIONS_DIR``, else ``expectations/`` at the repository root."""
    if os.environ.get(EXPECTATIONS_ENV):
        return Path(os.environ[EXPECTATIONS_ENV])
    return Path(__file__).resolve().parents[3] / "expectations"


@lru_cache(maxsize=8)
def suite_json(tipo: str, pasta: str | None = None) -> dict:
    p = Path(pasta or pasta_expectations()) / f"{tipo}.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuntimeError(f"GX suite {p} cannot be read ({exc.strerror}); set {EXPECTATIONS_ENV} to the "
                           f"expectations/ folder") from None


def parametros(dia: date) -> dict:
    from ciclo.domain.contrato import MODALIDADES, PRESTACOES
    from ciclo.domain.inatividades import MOTIVOS_INATIVIDADE
    from ciclo.domain.naturezas import NATUREZAS
    from ciclo.domain.taxas import tabela_em

    try:
        tabela = tabela_em(dia)
    except LookupError:
        tabela = {}
    return {"naturezas": sorted(NATUREZAS), "modalidades": sorted(MODALIDADES), "prestacoes": sorted(PRESTACOES),
            "motivos_inatividade": sorted(MOTIVOS_INATIVIDADE),
            "enquadramentos": sorted(set(tabela) | {t.descricao for t in tabela.values()})}


_contexto = None


def _gx():
    """One ephemeral context per process (creating it is cheap, but progress bars and analytics are off)."""
    global _contexto
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    if _contexto is None:
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        ctx = gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        _contexto = ctx
    return gx, _contexto


def executar(payroll, dia: date) -> pd.DataFrame:
    """Findings of every GX expectation on every loaded file: columns rule_id, ficheiro, linha, niss, coluna, valor."""
    gx, ctx = _gx()
    params = parametros(dia)
    achados = []
    fonte = ctx.data_sources.add_or_update_pandas(f"payroll_{id(payroll)}")
    for tipo in ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes"):
        df = payroll.frame(tipo)
        if df is None or len(df) == 0:
            continue
        falta = payroll.colunas_em_falta.get(tipo, set())
        doc = suite_json(tipo)
        exps = [e for e in doc["expectations"] if e["kwargs"].get("column") in df.columns
                and e["kwargs"].get("column") not in falta]
        if not exps:
            continue
        suite = gx.ExpectationSuite(name=doc["name"], expectations=exps)
        asset = fonte.add_dataframe_asset(tipo)
        batch = asset.add_batch_definition_whole_dataframe(tipo).get_batch(batch_parameters={"dataframe": df})
        res = batch.validate(suite, expectation_parameters=params, result_format={"result_format": "COMPLETE"})
        for r in res.results:
            cfg = r.expectation_config
            if r.exception_info and r.exception_info.get("raised_exception"):
                raise RuntimeError(f"GX expectation {cfg.type} on {tipo}.{cfg.kwargs.get('column')} failed to run: "
                                   f"{r.exception_info.get('exception_message')}")
            if r.success:
                continue
            idx = r.result.get("unexpected_index_list") or []
            if not idx:
                continue
            col = cfg.kwargs["column"]
            sel = df.loc[idx]
            achados.append(pd.DataFrame({"rule_id": cfg.meta["rule_id"], "ficheiro": sel["_ficheiro"].to_numpy(),
                                         "linha": sel["_linha"].to_numpy(), "niss": sel["niss_trabalhador"].to_numpy(),
                                         "coluna": col,
                                         "valor": [None if v is None else (v.isoformat() if isinstance(v, date) else str(v))
                                                   for v in sel[col]]}))
    ctx.data_sources.delete(fonte.name)
    return pd.concat(achados, ignore_index=True) if achados else pd.DataFrame(
        columns=["rule_id", "ficheiro", "linha", "niss", "coluna", "valor"])
