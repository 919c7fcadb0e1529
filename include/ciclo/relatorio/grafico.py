"""The obligation of the last months as a PNG bar chart (matplotlib, Agg backend: no display, no GUI toolkit).

A picture rather than HTML/CSS bars because several mail clients drop CSS widths; it travels inline in the
email by Content-ID.
"""

from __future__ import annotations

import functools
import io
from decimal import Decimal

from ciclo.relatorio.formato import eur, mes_pt


def grafico_historico(historico: list[dict], titulo: str = "Obrigação contributiva (Segurança Social)") -> bytes:
    """PNG bytes: one bar per month (``{"ano_mes", "obrigacao"}``, oldest first), the last month highlighted;
    months without values are drawn as gaps labelled "sem dados"."""
    if not historico:
        raise ValueError("grafico_historico: no months to draw")
    # the same chart goes in the report file and in the email: drawn once (≈0.15 s of matplotlib each)
    return _desenhar(tuple((h["ano_mes"], h["obrigacao"]) for h in historico), titulo)


@functools.lru_cache(maxsize=64)
def _desenhar(meses: tuple[tuple[str, Decimal | None], ...], titulo: str) -> bytes:
    historico = [{"ano_mes": m, "obrigacao": o} for m, o in meses]
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    rotulos = [mes_pt(h["ano_mes"], curto=True) for h in historico]
    # float only for drawing bar heights; every printed amount is formatted from the Decimal
    alturas = [float(h["obrigacao"]) if h["obrigacao"] is not None else 0.0 for h in historico]
    cores = ["#9db8d3"] * (len(historico) - 1) + ["#1f4e79"]
    fig = Figure(figsize=(7.2, 2.6), dpi=110)
    ax = fig.add_subplot()
    barras = ax.bar(range(len(historico)), alturas, color=cores, width=0.7)
    ax.set_xticks(range(len(historico)), rotulos, fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: eur(Decimal(str(round(y)))).replace(",00", "")))
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(titulo, fontsize=10, loc="left")
    grande = max((h["obrigacao"] for h in historico if h["obrigacao"] is not None), default=Decimal(0)) >= 10000
    for b, h in zip(barras, historico):
        texto = "—" if h["obrigacao"] is None else _rotulo_barra(h["obrigacao"], grande)
        ax.annotate(texto, (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom", fontsize=6,
                    xytext=(0, 2), textcoords="offset points", color="#555" if h["obrigacao"] is None else "#222")
    if any(h["obrigacao"] is None for h in historico):
        ax.set_xlabel("— sem dados no ledger para o mês", fontsize=7, loc="left", color="#555")
    top = max(alturas) or 1.0
    ax.set_ylim(0, top * 1.18)
    # fixed margins (room for "1 000 000 €" on the y axis) instead of tight_layout, which measures every text
    fig.subplots_adjust(left=0.12, right=0.99, top=0.88, bottom=0.16 if ax.get_xlabel() else 0.11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _rotulo_barra(valor: Decimal, grande: bool) -> str:
    """The amount over a bar: in full (``1 668,01``), or in thousands when bars are wide apart (``117,2 mil``)."""
    if not grande:
        return eur(valor).replace(" €", "")
    mil = (Decimal(valor) / 1000).quantize(Decimal("0.1"))
    return f"{eur(mil)[:-3]} mil"  # eur() prints two decimals; the second is 0 after rounding to tenths
