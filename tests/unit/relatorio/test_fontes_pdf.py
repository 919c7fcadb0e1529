"""The payment-document PDF draws with a Latin cut of DejaVu Sans unless a text needs another script."""

from fontTools.ttLib import TTFont

from ciclo.relatorio.pdf import _fonte_dir, _fontes


def test_latin_texts_use_the_cut_font_which_keeps_every_glyph_they_need():
    regular, negrito = _fontes("Pão & Açúcar, Lda. — 1 234,56 €", "Łódź Sp. z o.o.")
    assert regular != _fonte_dir() / "DejaVuSans.ttf" and negrito.name.startswith("DejaVuSans-Bold-latim-")
    cmap = TTFont(str(regular)).getBestCmap()
    for c in "ÃÕÇçãõáéíóúâêô€—ºª«»":
        assert ord(c) in cmap, c
    assert ord("Ж") not in cmap
    assert regular.stat().st_size < (_fonte_dir() / "DejaVuSans.ttf").stat().st_size / 4


def test_a_name_in_another_script_gets_the_whole_font():
    assert _fontes("Жук Торговля") == (_fonte_dir() / "DejaVuSans.ttf", _fonte_dir() / "DejaVuSans-Bold.ttf")


def test_the_font_folder_is_matplotlibs_found_without_importing_it():
    """``_fonte_dir`` is ``matplotlib.get_data_path()/fonts/ttf``, found without running matplotlib's import (a
    fresh interpreter: nothing else imported it first)."""
    import subprocess
    import sys

    codigo = ("import sys; from ciclo.relatorio.pdf import _fonte_dir; d = _fonte_dir(); "
              "assert 'matplotlib' not in sys.modules; assert (d / 'DejaVuSans.ttf').is_file(); "
              "import matplotlib; from pathlib import Path; "
              "assert d == Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'; print('ok')")
    r = subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "ok", r.stderr
