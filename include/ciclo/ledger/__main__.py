"""``python -m ciclo.ledger URL [--ee NISS] [--mes YYYYMM]``: the audit of external calls (view
``auditoria_chamadas``), one line per call, oldest first."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from ciclo.ledger import Ledger


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("url", help="the ledger's SQLAlchemy URL (e.g. sqlite:///var/ledger.sqlite3)")
    ap.add_argument("--ee", help="NISS of the employer")
    ap.add_argument("--mes", help="reference month YYYYMM")
    a = ap.parse_args(argv)
    lg = Ledger(a.url)
    q = "SELECT * FROM auditoria_chamadas WHERE 1=1"
    params = {}
    if a.ee:
        q, params["ee"] = q + " AND niss_ee = :ee", a.ee
    if a.mes:
        q, params["mes"] = q + " AND ano_mes = :mes", a.mes
    with lg.begin() as c:
        for r in c.execute(sa.text(q + " ORDER BY created_at"), params).mappings():
            print(f"{r['created_at']}  {r['niss_ee'] or '-':11} {r['ano_mes'] or '-':6} {r['metodo']:5} "
                  f"{r['servico']:45} {r['status'] if r['status'] is not None else '-':>4} {r['resultado']:12} "
                  f"{r['duracao_ms']:>6} ms  {r['erro_classe'] or ''} {r['referencia'] or ''}".rstrip())
    lg.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
