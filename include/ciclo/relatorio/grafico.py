"""The obligation of the last months as a PNG bar chart, drawn with Pillow (no display, no GUI toolkit).

A picture rather than HTML/CSS bars because several mail clients drop CSS widths; it travels inline in the
email by Content-ID. Drawn directly with Pillow's ImageDraw and the DejaVu Sans that the PDF documents use: a dozen
bars, their labels and a value axis need no plotting library, and matplotlib cost ≈ 0.06 s of CPU per employer —
the largest single part of the finance report for a portfolio of small employers (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import io
from decimal import ROUND_CEILING, Decimal

from ciclo.relatorio.formato import eur, mes_pt

# the picture: 792 × 286 px (7.2 × 2.6 in at 110 dpi), fixed margins with room for "1 000 000 €" on the value axis
LARGURA, ALTURA, DPI = 792, 286, 110
ESQ, DIR, TOPO = 95, 784, 34
BASE_SEM_NOTA, BASE_COM_NOTA = 254, 240
COR_BARRA, COR_DESTAQUE = (157, 184, 211), (31, 78, 121)
COR_TEXTO, COR_SECUNDARIA, COR_EIXO = (34, 34, 34), (85, 85, 85), (60, 60, 60)


def grafico_historico(historico: list[dict], titulo: str = "Obrigação contributiva (Segurança Social)") -> bytes:
    """PNG bytes: one bar per month (``{"ano_mes", "obrigacao"}``, oldest first), the last month highlighted;
    months without values are drawn as gaps labelled "—" with a note under the axis."""
    if not historico:
        raise ValueError("grafico_historico: no months to draw")
    # the same chart goes in the report file and in the email: drawn once
    return _desenhar(tuple((h["ano_mes"], h["obrigacao"]) for h in historico), titulo)


@functools.lru_cache(maxsize=16)
def _fonte(pontos: float):
    from PIL import ImageFont

    from ciclo.relatorio.pdf import _fonte_dir

    return ImageFont.truetype(str(_fonte_dir() / "DejaVuSans.ttf"), size=round(pontos * DPI / 72))


@functools.lru_cache(maxsize=64)
def _desenhar(meses: tuple[tuple[str, Decimal | None], ...], titulo: str) -> bytes:
    from PIL import Image, ImageDraw

    valores = [o for _, o in meses]
    sem_dados = any(v is None for v in valores)
    topo_valor = max((Decimal(v) for v in valores if v is not None), default=Decimal(0))
    marcas = marcas_eixo(topo_valor * Decimal("1.18") if topo_valor > 0 else Decimal(1))
    limite = marcas[-1]  # ≥ 1.18 × the tallest bar: room for its label
    base = BASE_COM_NOTA if sem_dados else BASE_SEM_NOTA

    img = Image.new("RGB", (LARGURA, ALTURA), "white")
    d = ImageDraw.Draw(img)

    def y_de(valor: Decimal) -> float:  # the value axis: 0 at the base, ``limite`` at the top of the plot
        return base - float(Decimal(valor) / limite) * (base - TOPO)

    # the title, above the plot, left-aligned
    d.text((ESQ, TOPO - 8), titulo, font=_fonte(10), fill=COR_TEXTO, anchor="ls")
    # the value axis: ticks and amounts in euros (no cents)
    for m in marcas:
        y = round(y_de(m))
        d.line([(ESQ - 4, y), (ESQ, y)], fill=COR_EIXO, width=1)
        d.text((ESQ - 7, y), eur(m.quantize(Decimal(1))).replace(",00", ""), font=_fonte(8), fill=COR_TEXTO,
               anchor="rm")
    d.line([(ESQ, TOPO), (ESQ, base)], fill=COR_EIXO, width=1)
    d.line([(ESQ, base), (DIR, base)], fill=COR_EIXO, width=1)

    # one slot per month, the bar 70 % of it; amounts over the bars in full or in thousands
    grande = topo_valor >= 10000
    passo = (DIR - ESQ) / len(meses)
    for i, (ano_mes, valor) in enumerate(meses):
        centro = ESQ + passo * (i + 0.5)
        meio = passo * 0.35
        ultimo = i == len(meses) - 1
        topo_barra = base
        if valor is not None and valor > 0:
            # an amount small next to the largest still shows one pixel (and a bar under a pixel high is no
            # rectangle for Pillow: it refused the report of a month of cents after months of thousands)
            topo_barra = min(y_de(valor), base - 1)
            d.rectangle([round(centro - meio), round(topo_barra), round(centro + meio) - 1, base - 1],
                        fill=COR_DESTAQUE if ultimo else COR_BARRA)
        texto = "—" if valor is None else _rotulo_barra(valor, grande)
        d.text((centro, topo_barra - 3), texto, font=_fonte(6), anchor="ms",
               fill=COR_SECUNDARIA if valor is None else COR_TEXTO)
        d.line([(round(centro), base), (round(centro), base + 4)], fill=COR_EIXO, width=1)
        d.text((centro, base + 7), mes_pt(ano_mes, curto=True), font=_fonte(8), fill=COR_TEXTO, anchor="mt")
    if sem_dados:
        d.text((ESQ, ALTURA - 8), "— sem dados no ledger para o mês", font=_fonte(7), fill=COR_SECUNDARIA,
               anchor="ls")

    buf = io.BytesIO()
    # the fastest deflate level: 9.5 → 5.4 ms a chart, 13.6 → 16.2 KB (one per employer and month)
    img.save(buf, format="PNG", dpi=(DPI, DPI), optimize=False, compress_level=1)
    return buf.getvalue()


def marcas_eixo(maximo: Decimal, alvo: int = 5) -> list[Decimal]:
    """Round values for the value axis from 0 to at least ``maximo``: a step of 1, 2, 2.5 or 5 × 10ⁿ giving at most
    ``alvo`` + 1 intervals (``marcas_eixo(Decimal(1180))`` → 0, 250, …, 1 250)."""
    maximo = Decimal(maximo)
    if maximo <= 0:
        raise ValueError("marcas_eixo: the top of the axis must be positive")
    bruto = maximo / alvo
    ordem = Decimal(10) ** bruto.adjusted()
    for f in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        passo = f * ordem
        if passo >= bruto:
            break
    n = int((maximo / passo).to_integral_value(rounding=ROUND_CEILING))
    return [passo * k for k in range(n + 1)]


def _rotulo_barra(valor: Decimal, grande: bool) -> str:
    """The amount over a bar: in full (``1 668,01``), or in thousands when bars are wide apart (``117,2 mil``);
    below 1 000 € always in full (in thousands, 30 € read "0,0 mil")."""
    if not grande or abs(valor) < 1000:
        return eur(valor).replace(" €", "")
    mil = (Decimal(valor) / 1000).quantize(Decimal("0.1"))
    return f"{eur(mil)[:-3]} mil"  # eur() prints two decimals; the second is 0 after rounding to tenths
