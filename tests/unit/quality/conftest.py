"""Shared generated exports (one per session) and their check results: GX runs are batched here."""

from __future__ import annotations

from datetime import date

import pytest

from ciclo_dev.anomalias import NAO_PLANTAVEIS
from ciclo.domain.regras import REGRAS

ANO_MES = "202506"
HOJE = date(2025, 7, 5)
# Rules about a whole file are planted one per export (they would hide each other); row rules all together.
REGRAS_FICHEIRO = sorted(r for r in REGRAS if r.startswith("DQ-FICH"))
REGRAS_LINHA = sorted(r for r in REGRAS if r not in REGRAS_FICHEIRO and r not in NAO_PLANTAVEIS)


def carregar_e_verificar(pasta, niss_ee, ano_mes=ANO_MES, mapping=None):
    from ciclo.payroll import load_payroll
    from ciclo.quality import check_payroll

    p = load_payroll(pasta, ano_mes, niss_ee, mapping=mapping)
    return p, check_payroll(p, hoje=HOJE)


@pytest.fixture(scope="session")
def limpo(tmp_path_factory):
    """A clean export (2 EEs, 60 workers each, June: subsidies F) and the result for its first EE."""
    from ciclo_dev.generate import generate

    g = generate(tmp_path_factory.mktemp("limpo"), employers=2, workers=60, ano_mes=ANO_MES, seed=42)
    ee, pasta = next(iter(g.pastas.items()))
    p, r = carregar_e_verificar(pasta, ee)
    return g, p, r


@pytest.fixture(scope="session")
def plantado(tmp_path_factory):
    """One export with one violation of every row rule planted (each on its own worker)."""
    from ciclo_dev.generate import generate

    g = generate(tmp_path_factory.mktemp("plantado"), workers=150, ano_mes=ANO_MES, seed=7,
                 anomalies={r: 1 for r in REGRAS_LINHA})
    ee, pasta = next(iter(g.pastas.items()))
    p, r = carregar_e_verificar(pasta, ee)
    return g, p, r


@pytest.fixture(scope="session")
def plantado_ficheiro(tmp_path_factory):
    """rule id → (generated, payroll, result), one small export per file-level rule (computed on first use)."""
    from ciclo_dev.generate import generate

    cache: dict = {}

    def obter(rid: str):
        if rid not in cache:
            g = generate(tmp_path_factory.mktemp(rid), workers=12, ano_mes=ANO_MES, seed=3, anomalies={rid: 1})
            ee, pasta = next(iter(g.pastas.items()))
            cache[rid] = (g, *carregar_e_verificar(pasta, ee))
        return cache[rid]

    return obter
