"""The history chart is a real PNG (Pillow) with Portuguese amount labels and a round value axis."""

import io
from decimal import Decimal as D

import pytest
from PIL import Image

from ciclo.relatorio.grafico import COR_BARRA, _rotulo_barra, grafico_historico, marcas_eixo


def test_twelve_months_draw_a_png():
    hist = [{"ano_mes": f"2025{m:02d}", "obrigacao": None if m < 4 else D("1000.00") * m} for m in range(1, 13)]
    png = grafico_historico(hist)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size[0] > 600 and img.size[1] > 200
    # not a blank canvas: the bars (the highlighted month's dark blue among them) are drawn
    cores = {c[:3]: n for n, c in img.convert("RGBA").getcolors(maxcolors=1_000_000)}
    assert cores.get((31, 78, 121), 0) > 1000 and cores.get(COR_BARRA, 0) > 1000
    # the highlighted (last) bar is the tallest here: its dark blue reaches higher than any light bar
    px = img.convert("RGB").load()
    topo = lambda cor: min(y for y in range(img.size[1]) for x in range(0, img.size[0], 2) if px[x, y] == cor)
    assert topo((31, 78, 121)) < topo(COR_BARRA)


def test_a_month_without_data_leaves_a_gap_and_a_note():
    com = grafico_historico([{"ano_mes": "202509", "obrigacao": None}, {"ano_mes": "202510", "obrigacao": D("10")}])
    sem = grafico_historico([{"ano_mes": "202509", "obrigacao": D("5")}, {"ano_mes": "202510", "obrigacao": D("10")}])
    claro = lambda png: sum(n for n, c in Image.open(io.BytesIO(png)).convert("RGB").getcolors(1_000_000)
                            if c == COR_BARRA)
    assert claro(com) == 0 and claro(sem) > 1000


@pytest.mark.parametrize("pequeno", [D("0.40"), D("0.01"), D("30.00")])
def test_a_month_of_cents_after_months_of_thousands_still_draws(pequeno):
    """A bar under a pixel high (an employer that shrank, a month of cents) is drawn one pixel high, in the
    highlighted colour; it used to fail the whole finance report (Pillow refuses a rectangle upside down)."""
    hist = [{"ano_mes": "202508", "obrigacao": D("52000.00")}, {"ano_mes": "202509", "obrigacao": D("49000.00")},
            {"ano_mes": "202510", "obrigacao": pequeno}]
    img = Image.open(io.BytesIO(grafico_historico(hist))).convert("RGB")
    assert img.getcolors(1_000_000) and dict((c, n) for n, c in img.getcolors(1_000_000)).get((31, 78, 121), 0) > 0


def test_the_value_axis_has_round_steps_up_to_the_top():
    assert marcas_eixo(D(1180)) == [D(v) for v in (0, 250, 500, 750, 1000, 1250)]
    assert marcas_eixo(D(1000)) == [D(v) for v in (0, 200, 400, 600, 800, 1000)]
    assert marcas_eixo(D("152328.11")) == [D(v) for v in (0, 50000, 100000, 150000, 200000)]
    assert marcas_eixo(D("0.5"))[-1] == D("0.5")
    with pytest.raises(ValueError):
        marcas_eixo(D(0))


def test_bar_labels_in_portuguese():
    assert _rotulo_barra(D("1668.01"), grande=False) == "1 668,01"
    assert _rotulo_barra(D("117227.38"), grande=True) == "117,2 mil"
    assert _rotulo_barra(D("1234567.89"), grande=True) == "1 234,6 mil"
    # a small month among large ones: its amount, not "0,0 mil"
    assert _rotulo_barra(D("30.00"), grande=True) == "30,00" and _rotulo_barra(D("999.99"), grande=True) == "999,99"
    assert _rotulo_barra(D("1000.00"), grande=True) == "1,0 mil"


def test_no_months_is_an_error():
    with pytest.raises(ValueError, match="no months"):
        grafico_historico([])
