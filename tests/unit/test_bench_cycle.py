"""``bench/cycle.py``'s measures from the world: the fetch time is the union of the employers' spans, and the
apuramento's availability and each GET's span are read from the sandbox's request log (Lisbon local time, ms)."""

import importlib.util
import sqlite3
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cycle():
    spec = importlib.util.spec_from_file_location("bench_cycle", REPO / "bench" / "cycle.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fetch_seconds_count_overlapping_employers_once(cycle):
    assert cycle.uniao([[0, 2], [1, 3], [5, 6], [5.5, 5.7]]) == pytest.approx(4.0)
    assert cycle.uniao([]) == 0


def test_apuramento_and_fetch_spans_from_the_sandbox_log(cycle, tmp_path):
    from ciclo.sandbox.store import SCHEMA

    db = sqlite3.connect(tmp_path / "s.sqlite3")
    db.executescript(SCHEMA)
    ee, outro = "21163218588", "20000003116"
    linhas = [
        ("2026-11-22T10:00:00.000", "POST", f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{ee}", 500, 5),
        ("2026-11-22T10:00:01.000", "POST", f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{ee}", 200, 5),
        ("2026-11-22T10:00:05.020", "GET", f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/202610/trabalhador/1", 200, 20),
        ("2026-11-22T10:00:07.000", "GET", f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/202610/trabalhador/2", 200, 20),
        ("2026-11-22T10:00:06.000", "GET", f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{outro}/ano-mes/202609/trabalhador/3", 200, 20),
    ]
    db.executemany("INSERT INTO pedidos_log(ts, method, path, query, status, niss, duration_ms) VALUES (?,?,?,'',?,NULL,?)",
                   [(ts, m, p, st, d) for ts, m, p, st, d in linhas])
    # answered 0.8 s after its due time (the sandbox computing it); another month's apuramento is not this run's
    respondido = cycle._ts_lisboa("2026-11-22T10:00:04.800")
    db.executemany("INSERT INTO apuramentos(niss_ee, ano_mes, estado, disponivel_em) VALUES (?,?,'APURADO',?)",
                   [(ee, "202610", respondido), (outro, "202609", respondido - 60)])
    db.commit()
    db.close()
    m = cycle.medir_sandbox(tmp_path / "s.sqlite3", "202610", apuramento_delay=3.0)
    assert list(m["devido"]) == [ee]  # the accepted submission + the delay, not the refused one
    assert m["devido"][ee] == pytest.approx(cycle._ts_lisboa("2026-11-22T10:00:04.000"))
    assert m["disponivel"] == {ee: pytest.approx(respondido)}  # when the sandbox answered APURADO
    assert m["pedidos"] == 2  # another month's GET is not this run's fetch
    ini, fim = m["spans"][ee]
    assert fim - ini == pytest.approx(2.0) and m["ocupado"] == pytest.approx(0.04)


def test_cpu_seconds_of_a_running_process_and_of_this_one(cycle):
    """The CPU figures: a process's own from /proc (the sandbox's), and this process's with its waited children
    (dag.test()'s and the fetch's share processes); both grow with work done, not with time waited."""
    import os
    import subprocess
    import sys
    import time

    antes = cycle._cpu()
    subprocess.run([sys.executable, "-c", "s = 0\nfor i in range(3_000_000): s += i"], check=True)
    assert cycle._cpu() - antes > 0.05  # the child's loop counts once it is waited for
    eu = cycle._cpu_de(os.getpid())
    time.sleep(0.3)
    assert cycle._cpu_de(os.getpid()) - eu < 0.1  # sleeping is not CPU
    fim = time.process_time() + 0.3
    while time.process_time() < fim:
        pass
    assert cycle._cpu_de(os.getpid()) - eu >= 0.25


def test_machine_reference_is_the_time_of_a_fixed_python_workload(cycle):
    """``machine_ref_s``: the wall seconds of 10 million additions in a fresh interpreter — a positive figure of a
    few seconds at most on any machine the bench runs on, not a constant."""
    r = cycle.referencia_maquina()
    assert isinstance(r, float) and 0.05 < r < 30
