"""Data-quality throughput: generate an export of N workers (≈5 lines each) and load + check it.

    .venv/bin/python bench/quality.py --workers 20000 [--seed 1] [--keep DIR]

Prints progress, then, last, one JSON line: rows (data lines loaded and checked), seconds (load + check, GX import
excluded — it is measured and printed separately as gx_import_seconds), rows_per_second, peak_rss_mb (the whole
process, GX import included).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "include"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ano-mes", default="202506")
    ap.add_argument("--keep", help="generate into this folder (default: a temporary one)")
    a = ap.parse_args()

    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate

    raiz = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench-quality-"))
    t = time.perf_counter()
    g = generate(raiz, workers=a.workers, ano_mes=a.ano_mes, seed=a.seed)
    ee, pasta = next(iter(g.pastas.items()))
    print(f"generated {a.workers} workers in {time.perf_counter() - t:.2f} s: {pasta}", file=sys.stderr)

    t = time.perf_counter()
    import great_expectations  # noqa: F401

    gx_import = time.perf_counter() - t
    from ciclo.quality import check_payroll

    t0 = time.perf_counter()
    p = load_payroll(pasta, a.ano_mes, ee)
    t1 = time.perf_counter()
    r = check_payroll(p, hoje=date(2025, 7, 5))
    t2 = time.perf_counter()
    rows = sum(len(p.frame(k)) for k in ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes"))
    print(f"load {t1 - t0:.2f} s, check {t2 - t1:.2f} s, GX import {gx_import:.2f} s; ok={r.ok} "
          f"violations={len(r.violations)}", file=sys.stderr)
    if not a.keep:
        import shutil

        shutil.rmtree(raiz, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": round(t2 - t0, 3), "rows_per_second": round(rows / (t2 - t0)),
                      "peak_rss_mb": round(peak, 1), "gx_import_seconds": round(gx_import, 2),
                      "load_seconds": round(t1 - t0, 3), "check_seconds": round(t2 - t1, 3), "ok": r.ok}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
