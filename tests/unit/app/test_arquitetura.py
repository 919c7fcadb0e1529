"""Architecture rules the application layer keeps: the product package imports no Airflow, and no bare
``except Exception`` swallows an error anywhere in the shipped code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACOTE = REPO / "include" / "ciclo"


def test_ciclo_imports_no_airflow_module():
    """Import every module of ``ciclo`` in a fresh interpreter; Airflow must not be loaded."""
    modulos = sorted(".".join(p.relative_to(REPO / "include").with_suffix("").parts).removesuffix(".__init__")
                     for p in PACOTE.rglob("*.py") if "sandbox" not in p.parts or p.name != "__main__.py")
    codigo = ("import sys, importlib\n"
              f"for m in {modulos!r}:\n    importlib.import_module(m)\n"
              "print(sorted(n for n in sys.modules if n == 'airflow' or n.startswith('airflow.')))")
    r = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]", f"ciclo imported Airflow modules: {r.stdout.strip()[:500]}"


def test_no_source_of_ciclo_mentions_an_airflow_import():
    """Static too: a lazy ``import airflow`` inside a function would escape the runtime check above."""
    ofensores = []
    for p in PACOTE.rglob("*.py"):
        for no in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            nomes = ([a.name for a in no.names] if isinstance(no, ast.Import)
                     else [no.module or ""] if isinstance(no, ast.ImportFrom) else [])
            if any(n == "airflow" or n.startswith("airflow.") for n in nomes):
                ofensores.append(f"{p.relative_to(REPO)}:{no.lineno}")
    assert not ofensores, ofensores


def _engole(handler: ast.ExceptHandler) -> bool:
    """``except Exception``/``BaseException``/bare ``except`` whose body only discards the error (``pass``,
    ``continue``, a constant ``return``): nothing re-raised, recorded, logged or answered."""
    tipo = handler.type
    amplo = tipo is None or (isinstance(tipo, ast.Name) and tipo.id in ("Exception", "BaseException"))
    if not amplo:
        return False

    def vazio(n: ast.stmt) -> bool:
        return (isinstance(n, (ast.Pass, ast.Continue, ast.Break))
                or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
                or (isinstance(n, ast.Return) and (n.value is None or isinstance(n.value, ast.Constant))))

    return all(vazio(n) for n in handler.body)


def test_no_broad_except_swallows_errors_in_shipped_code():
    ofensores = []
    for raiz in (PACOTE, REPO / "plugins", REPO / "dags"):
        for p in raiz.rglob("*.py"):
            for no in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
                if isinstance(no, ast.ExceptHandler) and _engole(no):
                    ofensores.append(f"{p.relative_to(REPO)}:{no.lineno}")
    assert not ofensores, f"broad except that swallows the error: {ofensores}"


def test_the_rule_catches_a_swallowing_handler():
    codigo = "try:\n    f()\nexcept Exception:\n    pass\n"
    handler = next(n for n in ast.walk(ast.parse(codigo)) if isinstance(n, ast.ExceptHandler))
    assert _engole(handler)
    codigo = "try:\n    f()\nexcept Exception:\n    return None\n"
    handler = next(n for n in ast.walk(ast.parse(codigo)) if isinstance(n, ast.ExceptHandler))
    assert _engole(handler)
    codigo = "try:\n    f()\nexcept Exception as e:\n    raise X() from e\n"
    handler = next(n for n in ast.walk(ast.parse(codigo)) if isinstance(n, ast.ExceptHandler))
    assert not _engole(handler)
    codigo = "try:\n    f()\nexcept ValueError:\n    pass\n"
    handler = next(n for n in ast.walk(ast.parse(codigo)) if isinstance(n, ast.ExceptHandler))
    assert not _engole(handler)
