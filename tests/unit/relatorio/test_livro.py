"""The workbook's typed columns write exactly the cells the generic path writes (same XML, byte for byte)."""

import zipfile
from decimal import Decimal as D

from ciclo.domain.dinheiro import from_cent
from ciclo.relatorio.livro import _Livro


def _folha(path, linhas, tipos):
    lv = _Livro(path, linhas=len(linhas))
    lv.folha("T", [("a", 10)] * 5, linhas, tipos=tipos)
    lv.wb.close()
    return zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")


def test_typed_columns_are_the_generic_cells(tmp_path):
    crus = [("10000000011", "Regime geral", 160055, 30, D("22.5")), ("10000000022", None, None, 22.5, None),
            ("10000000033", "Membros órgãos", 1, "30", 7), ("10000000044", "", -4999, None, D("0.1"))]
    genericas = [(n, e, from_cent(c), None if d is None else float(D(str(d))), None if x is None else float(D(str(x))))
                 for n, e, c, d, x in crus]
    for grande in (False, True):   # in memory and through temporary files
        n = 10_000 if grande else 0
        assert (_folha(tmp_path / "t.xlsx", crus + [crus[0]] * n, ("texto", "texto", "cent", "numero", "numero"))
                == _folha(tmp_path / "g.xlsx", genericas + [genericas[0]] * n, None))
