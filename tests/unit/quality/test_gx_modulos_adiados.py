"""Great Expectations' distribution-only imports (scipy.stats, altair) are deferred, not dropped: the checks run
without them loaded, and the first use of either gets the real module. Each case runs in a fresh interpreter, where
nothing else has imported them yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[3]


def _correr(codigo: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RAIZ / "include"), str(RAIZ)])}
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(codigo)], capture_output=True, text=True, env=env,
                       timeout=300, cwd=RAIZ)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_checks_run_without_loading_them_and_first_use_loads_the_real_module():
    out = _correr("""
        import json, sys
        from datetime import date
        from ciclo.quality import gx_runner
        from ciclo.quality import check_payroll
        from ciclo_dev.generate import generate
        from ciclo.payroll import load_payroll
        import tempfile, pathlib
        raiz = pathlib.Path(tempfile.mkdtemp())
        g = generate(raiz, workers=20, ano_mes="202506", seed=3)
        ee, pasta = next(iter(g.pastas.items()))
        r = check_payroll(load_payroll(pasta, "202506", ee), hoje=date(2025, 7, 5))
        import great_expectations
        antes = {n: type(sys.modules[n]).__name__ for n in ("scipy.stats", "altair")}
        # GX's own binding of the name, as its KL-divergence expectation uses it
        from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
        entropia = kl.stats.entropy([0.5, 0.5], [0.25, 0.75])
        import scipy.stats as real
        grafico = kl.alt.Chart.__module__
        print(json.dumps({"ok": bool(r.ok), "antes": antes, "entropia": float(entropia),
                          "esperada": float(real.entropy([0.5, 0.5], [0.25, 0.75])),
                          "depois": type(sys.modules["scipy.stats"]).__name__,
                          "real_e_o_de_sys": sys.modules["scipy.stats"] is real, "grafico": grafico}))
    """)
    assert out["ok"] is True
    assert out["antes"] == {"scipy.stats": "_ModuloAdiado", "altair": "_ModuloAdiado"}
    assert out["entropia"] == out["esperada"] > 0
    assert out["depois"] == "module" and out["real_e_o_de_sys"] is True
    assert out["grafico"].startswith("altair.")


def test_a_module_already_imported_is_left_as_it_is():
    out = _correr("""
        import json, sys
        import scipy.stats
        real = sys.modules["scipy.stats"]
        from ciclo.quality import gx_runner
        gx_runner._gx()
        print(json.dumps({"mesmo": sys.modules["scipy.stats"] is real,
                          "altair": type(sys.modules["altair"]).__name__}))
    """)
    assert out == {"mesmo": True, "altair": "_ModuloAdiado"}


def test_a_module_not_installed_is_not_invented():
    out = _correr("""
        import json, sys
        from ciclo.quality import gx_runner
        gx_runner._adiar_modulos(("nao_instalado_xyz", "nao_instalado_xyz.sub"))
        print(json.dumps({"presentes": [n for n in sys.modules if n.startswith("nao_instalado_xyz")]}))
    """)
    assert out == {"presentes": []}


def test_a_submodule_imported_by_its_dotted_name_first_runs_once():
    out = _correr("""
        import json, pickle, sys
        from ciclo.quality import gx_runner
        gx_runner._adiar_modulos(("scipy.stats",))
        antes = type(sys.modules["scipy.stats"]).__name__
        import scipy.stats._continuous_distns as cd   # reads the stand-in's __path__: the real package first
        import scipy.stats
        print(json.dumps({"antes": antes, "mesma_classe": type(scipy.stats.norm) is cd.norm_gen,
                          "no_pacote": scipy.stats._continuous_distns is cd,
                          "pickle": bool(pickle.loads(pickle.dumps(scipy.stats.norm(0, 1))).mean() == 0)}))
    """)
    assert out == {"antes": "_ModuloAdiado", "mesma_classe": True, "no_pacote": True, "pickle": True}
