"""``python -m ciclo.quality DIR --ano-mes YYYYMM --report OUTDIR [--niss-ee N] [--mapping FILE]``

``DIR`` is one EE's month folder, or a folder of EE folders (``DIR/<niss_ee>/<ano_mes>/``, as the generator and
the pipeline lay them out). Prints the summary and the report paths; exit 0 when sending may proceed for every
EE checked, 1 when errors block it, 2 when a folder cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def _pastas(raiz: Path, ano_mes: str, niss_ee: str | None) -> list[tuple[str, Path]]:
    if niss_ee:
        cand = raiz / niss_ee / ano_mes
        return [(niss_ee, cand if cand.is_dir() else raiz)]
    if (raiz / ano_mes).is_dir():
        return [(raiz.name, raiz / ano_mes)]
    ees = sorted(p for p in raiz.iterdir() if p.is_dir() and (p / ano_mes).is_dir()) if raiz.is_dir() else []
    if ees:
        return [(p.name, p / ano_mes) for p in ees]
    return [(raiz.parent.name, raiz)]  # DIR is the month folder itself (…/<niss_ee>/<ano_mes>)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ciclo.quality", description="Data-quality checks of a payroll export")
    ap.add_argument("dir")
    ap.add_argument("--ano-mes", required=True)
    ap.add_argument("--report", required=True, help="output folder (one subfolder per EE when several)")
    ap.add_argument("--niss-ee")
    ap.add_argument("--mapping")
    ap.add_argument("--hoje", help="reference date for contract start checks (YYYY-MM-DD; default today)")
    a = ap.parse_args(argv)

    from ciclo.payroll import PayrollLoadError, load_payroll
    from ciclo.quality import check_payroll, write_report

    hoje = date.fromisoformat(a.hoje) if a.hoje else None
    pastas = _pastas(Path(a.dir), a.ano_mes, a.niss_ee)
    bloqueado = False
    for niss_ee, pasta in pastas:
        try:
            p = load_payroll(pasta, a.ano_mes, niss_ee, mapping=a.mapping)
        except PayrollLoadError as exc:
            print(f"EE {niss_ee}: {exc}", file=sys.stderr)
            return 2
        r = check_payroll(p, hoje=hoje)
        destino = Path(a.report) / niss_ee if len(pastas) > 1 else Path(a.report)
        paths = write_report(r, destino)
        print(r.summary_text())
        print(f"  relatório: {paths['html']}\n  violações: {paths['csv']}")
        bloqueado |= not r.ok
    return 1 if bloqueado else 0


if __name__ == "__main__":
    raise SystemExit(main())
