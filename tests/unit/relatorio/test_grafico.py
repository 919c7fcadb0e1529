"""The history chart is a real PNG (matplotlib, Agg) with Portuguese amount labels."""

import io
from decimal import Decimal as D

import pytest
from PIL import Image

from ciclo.relatorio.grafico import _rotulo_barra, grafico_historico


def test_twelve_months_draw_a_png():
    hist = [{"ano_mes": f"2025{m:02d}", "obrigacao": None if m < 4 else D("1000.00") + m} for m in range(1, 13)]
    png = grafico_historico(hist)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size[0] > 600 and img.size[1] > 200
    # not a blank canvas: the bars (the highlighted month's dark blue among them) are drawn
    assert (31, 78, 121) in {c[:3] for _, c in img.convert("RGBA").getcolors(maxcolors=1_000_000)}


def test_bar_labels_in_portuguese():
    assert _rotulo_barra(D("1668.01"), grande=False) == "1 668,01"
    assert _rotulo_barra(D("117227.38"), grande=True) == "117,2 mil"
    assert _rotulo_barra(D("1234567.89"), grande=True) == "1 234,6 mil"


def test_no_months_is_an_error():
    with pytest.raises(ValueError, match="no months"):
        grafico_historico([])
