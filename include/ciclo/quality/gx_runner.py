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
import sys
import threading
import types
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
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
    _adiar_modulos(_SO_NAS_EXPECTATIVAS_DE_DISTRIBUICAO)
    import great_expectations as gx

    if _contexto is None:
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        ctx = gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        _contexto = ctx
    return gx, _contexto


# Imported by Great Expectations at import time for its distribution expectations only (KL divergence, KS tests,
# and the KL chart): scipy.stats and altair, ≈80 MB of a worker's memory (docs/BENCHMARKS.md). The suites here are
# row-level map expectations only (``_so_por_linha`` refuses anything else), which never touch them: until their
# first use, should one ever come, they are stand-ins (``_ModuloAdiado``) that import the real module then.
_SO_NAS_EXPECTATIVAS_DE_DISTRIBUICAO = ("scipy.stats", "altair")


class _ModuloAdiado(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet: ``import`` and ``from … import`` of it bind this
    object; the first attribute read imports the real module (which replaces it in ``sys.modules``) and copies
    its namespace here, so a reference taken earlier works as the real one. (The stdlib's
    ``importlib.util.LazyLoader`` cannot do this on Python 3.11: the import statement reads ``__spec__``, which
    loads it.)"""

    def __getattr__(self, atributo: str):   # only for attributes not found: before the real import
        import importlib

        nome = self.__name__
        with _TRAVA_ADIADOS:
            if sys.modules.get(nome) is self:
                del sys.modules[nome]
            try:
                real = importlib.import_module(nome)
            except BaseException:
                sys.modules.setdefault(nome, self)
                raise
            self.__dict__.update(real.__dict__)
        return getattr(real, atributo)


_TRAVA_ADIADOS = threading.RLock()


class _JaImportado:
    """A submodule imported by its dotted name while its package is a stand-in (``import scipy.stats._x``):
    importlib reads the package's ``__path__``, which imports the real package — and that may import the submodule
    itself; importlib then looks the submodule up again without checking ``sys.modules``. This finder (first in
    ``sys.meta_path``) hands back the module that import made, so it never runs twice (two copies of its classes)."""

    @staticmethod
    def find_spec(nome, caminho=None, alvo=None):
        if alvo is not None or nome not in sys.modules or not nome.startswith(tuple(_PREFIXOS_ADIADOS)):
            return None   # the usual case (not imported yet), and reload(), go to the other finders
        import importlib.machinery

        return importlib.machinery.ModuleSpec(nome, _JaImportado, loader_state=sys.modules[nome].__spec__)

    @staticmethod
    def create_module(spec):
        return sys.modules[spec.name]

    @staticmethod
    def exec_module(modulo):
        modulo.__spec__ = modulo.__spec__.loader_state   # importlib set ours on it: its own back


_PREFIXOS_ADIADOS: set[str] = set()   # "scipy.stats." for each name ever deferred


def _adiar_modulos(nomes: tuple[str, ...]) -> None:
    """A ``_ModuloAdiado`` in ``sys.modules`` for each of ``nomes`` installed and not imported yet."""
    import importlib.util

    with _TRAVA_ADIADOS:
        if _JaImportado not in sys.meta_path:
            sys.meta_path.insert(0, _JaImportado)
        for nome in nomes:
            if nome in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(nome)
            except ImportError:   # its parent package is not installed
                continue
            if spec is None:
                continue
            _PREFIXOS_ADIADOS.add(f"{nome}.")
            modulo = _ModuloAdiado(nome)
            # what introspection reads of every module (``__file__`` …) answered without importing it
            modulo.__spec__, modulo.__loader__, modulo.__file__ = spec, spec.loader, spec.origin
            modulo.__package__ = spec.parent if spec.submodule_search_locations is None else nome
            sys.modules[nome] = modulo


_COLUNAS = ["rule_id", "ficheiro", "linha", "niss", "coluna", "valor"]


def executar(payroll, dia: date) -> pd.DataFrame:
    """Findings of every GX expectation on every loaded file: columns rule_id, ficheiro, linha, niss, coluna, valor."""
    return executar_varios([payroll], dia)[0]


def executar_varios(payrolls: list, dia: date) -> list[pd.DataFrame]:
    """``executar`` for several payrolls of the same month at once: one findings frame per payroll, in order.

    Each file kind of every payroll that takes the same expectations is validated as **one** frame (the rows of
    each payroll tagged with its position): Great Expectations' cost is mostly per suite — building the metric
    graph of every expectation, ≈0.1 s a suite whatever the rows — so a lote of 20 small employers pays it once
    instead of 20 times. Every expectation of the suites is a row-level map expectation without ``mostly`` (checked
    below), so a row's verdict does not depend on the other rows it is validated with."""
    gx, ctx = _gx()
    params = parametros(dia)
    achados: list[list[pd.DataFrame]] = [[] for _ in payrolls]
    fonte = ctx.data_sources.add_or_update_pandas(f"payroll_{id(payrolls)}")
    try:
        for tipo in ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes"):
            doc = suite_json(tipo)
            grupos: dict[tuple, list[int]] = {}
            for i, payroll in enumerate(payrolls):
                df = payroll.frame(tipo)
                if df is None or len(df) == 0:
                    continue
                falta = payroll.colunas_em_falta.get(tipo, set())
                chave = tuple(n for n, e in enumerate(doc["expectations"])
                              if e["kwargs"].get("column") in df.columns and e["kwargs"].get("column") not in falta)
                if chave:
                    grupos.setdefault(chave, []).append(i)
            for g, (chave, membros) in enumerate(grupos.items()):
                exps = [doc["expectations"][n] for n in chave]
                _so_por_linha(tipo, exps)
                if len(membros) == 1:
                    df = payrolls[membros[0]].frame(tipo)   # alone: validated as it is (no copy of a large frame)
                else:
                    # the rows of each payroll tagged with its position (one column added to the joined frame:
                    # ``assign`` on every payroll's frame cost ≈0.5 ms each, a copy and a column lookup)
                    partes = [payrolls[i].frame(tipo) for i in membros]
                    df = pd.concat(partes, ignore_index=True)
                    df["_origem"] = np.repeat(np.asarray(membros), [len(x) for x in partes])
                suite = gx.ExpectationSuite(name=doc["name"], expectations=exps)
                asset = fonte.add_dataframe_asset(f"{tipo}_{g}")
                batch = asset.add_batch_definition_whole_dataframe(f"{tipo}_{g}").get_batch(
                    batch_parameters={"dataframe": df})
                res = batch.validate(suite, expectation_parameters=params, result_format={"result_format": "COMPLETE"})
                for r in res.results:
                    cfg = r.expectation_config
                    if r.exception_info and r.exception_info.get("raised_exception"):
                        raise RuntimeError(f"GX expectation {cfg.type} on {tipo}.{cfg.kwargs.get('column')} failed "
                                           f"to run: {r.exception_info.get('exception_message')}")
                    if r.success:
                        continue
                    idx = r.result.get("unexpected_index_list") or []
                    if not idx:
                        continue
                    col = cfg.kwargs["column"]
                    sel = df.loc[idx]
                    partes = [(membros[0], sel)] if len(membros) == 1 else sel.groupby("_origem", sort=False)
                    for origem, parte in partes:
                        achados[int(origem)].append(pd.DataFrame({
                            "rule_id": cfg.meta["rule_id"], "ficheiro": parte["_ficheiro"].to_numpy(),
                            "linha": parte["_linha"].to_numpy(), "niss": parte["niss_trabalhador"].to_numpy(),
                            "coluna": col,
                            "valor": [None if v is None else (v.isoformat() if isinstance(v, date) else str(v))
                                      for v in parte[col]]}))
    finally:
        ctx.data_sources.delete(fonte.name)
    return [pd.concat(a, ignore_index=True) if a else pd.DataFrame(columns=_COLUNAS) for a in achados]


_POR_LINHA = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_between",
                        "expect_column_values_to_match_regex", "expect_column_values_to_be_in_set",
                        "expect_column_values_to_not_match_regex", "expect_column_values_to_be_null",
                        "expect_column_values_to_not_be_in_set", "expect_column_value_lengths_to_be_between"})


def _so_por_linha(tipo: str, exps: list[dict]) -> None:
    """Validating several payrolls as one frame is right only for row-level expectations judged row by row."""
    for e in exps:
        if e["type"] not in _POR_LINHA or "mostly" in e["kwargs"]:
            raise RuntimeError(f"GX suite {tipo}: {e['type']} {e['kwargs'].get('column')} is not a row-level "
                               f"expectation without 'mostly'; executar_varios cannot validate payrolls together")
