"""Writing the canonical payroll export's files (CSV, Portuguese CSV, XLSX): shared by the generator and the
anomaly planter, so that neither imports the other."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ciclo.payroll.formato import FICHEIROS

def _texto(v, fmt: str) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y") if fmt == "csv-pt" else v.isoformat()
    if isinstance(v, Decimal):
        s = format(v, "f")
        if fmt == "csv-pt":
            inteiro, _, dec = s.partition(".")
            neg = inteiro.startswith("-")
            inteiro = inteiro.lstrip("-")
            grupos = []
            while len(inteiro) > 3:
                grupos.insert(0, inteiro[-3:])
                inteiro = inteiro[:-3]
            grupos.insert(0, inteiro)
            s = ("-" if neg else "") + ".".join(grupos) + ("," + dec if dec else "")
        return s
    return str(v)


def escrever(pasta: Path, tipo: str, linhas: list[dict], fmt: str, colunas: tuple[str, ...] | None = None) -> Path:
    """Write one file of the canonical format (``fmt``: csv, csv-pt, xlsx). Returns its path."""
    colunas = colunas or FICHEIROS[tipo].nomes
    if fmt == "xlsx":
        import xlsxwriter

        p = pasta / f"{tipo}.xlsx"
        wb = xlsxwriter.Workbook(str(p), {"in_memory": True})
        wb.set_properties({"created": datetime(2025, 1, 1)})  # fixed: byte-identical output for a seed
        ws = wb.add_worksheet(tipo)
        fdata = wb.add_format({"num_format": "yyyy-mm-dd"})
        fnum = wb.add_format({"num_format": "0.00"})
        ws.write_row(0, 0, colunas)
        for i, ln in enumerate(linhas, start=1):
            for j, c in enumerate(colunas):
                v = ln.get(c)
                if v is None:
                    continue
                if isinstance(v, date):
                    ws.write_datetime(i, j, datetime(v.year, v.month, v.day), fdata)
                elif isinstance(v, Decimal):
                    ws.write_number(i, j, float(v), fnum)  # what a spreadsheet holds; read back exactly via repr
                else:
                    ws.write_string(i, j, str(v))
        wb.close()
        return p
    p = pasta / f"{tipo}.csv"
    buf = io.StringIO(newline="")
    pt = fmt == "csv-pt"
    w = csv.writer(buf, delimiter=";" if pt else ",", lineterminator="\r\n" if pt else "\n")
    w.writerow(colunas)
    for ln in linhas:
        w.writerow([_texto(ln.get(c), fmt) for c in colunas])
    p.write_bytes(buf.getvalue().encode("cp1252" if pt else "utf-8"))
    return p


