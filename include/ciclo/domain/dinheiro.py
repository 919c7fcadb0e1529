"""Money: always ``Decimal``, rounded half-up to cents, never float arithmetic.

Portuguese payroll exports write amounts as ``1.234,56`` (thousands dot, decimal comma); others as
``1234.56``. ``parse_montante`` accepts both and refuses anything ambiguous or non-numeric.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENTIMO = Decimal("0.01")
ZERO = Decimal("0.00")


def cent(valor: Decimal | int | str) -> Decimal:
    """Round to cents, half up (the Segurança Social's rounding)."""
    if isinstance(valor, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    return Decimal(valor).quantize(CENTIMO, rounding=ROUND_HALF_UP)


def percentagem(base: Decimal, taxa_pct: Decimal | str) -> Decimal:
    """``base × taxa%``, rounded half-up to cents (e.g. 1600.00 × 23.75 % = 380.00)."""
    return cent(Decimal(base) * Decimal(str(taxa_pct)) / Decimal(100))


_PT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$|^-?\d+(,\d+)?$")
_EN = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")


class MontanteInvalido(ValueError):
    """An amount that is not a number in any accepted notation."""


def parse_montante(texto: object, *, decimal_virgula: bool | None = None) -> Decimal:
    """Parse an amount written as ``1234.56``, ``1234,56``, ``1.234,56`` or ``1,234.56``.

    ``decimal_virgula`` forces the notation when the file's convention is known; otherwise a lone comma is a
    decimal comma (Portuguese exports), and a number with both separators takes the last one as decimal.
    """
    if isinstance(texto, Decimal):
        return texto
    if isinstance(texto, int) and not isinstance(texto, bool):
        return Decimal(texto)
    if isinstance(texto, float):
        raise MontanteInvalido("float amounts are not accepted; read the file as text")
    s = str(texto).strip().replace("\u00a0", "").replace(" ", "").replace("€", "")
    if not s:
        raise MontanteInvalido("montante vazio")
    try:
        if decimal_virgula is True or (decimal_virgula is None and "," in s and ("." not in s or s.rfind(",") > s.rfind("."))):
            if not _PT.match(s):
                raise MontanteInvalido(f"montante inválido: {texto!r}")
            return Decimal(s.replace(".", "").replace(",", "."))
        if not _EN.match(s):
            raise MontanteInvalido(f"montante inválido: {texto!r}")
        return Decimal(s.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - regexes above reject these first
        raise MontanteInvalido(f"montante inválido: {texto!r}") from exc


def formatar_eur(valor: Decimal) -> str:
    """``1234.5`` → ``'1 234,50 €'`` (Portuguese presentation for reports)."""
    q = cent(valor)
    sinal = "-" if q < 0 else ""
    inteiro, dec = f"{abs(q):.2f}".split(".")
    grupos = []
    while inteiro:
        grupos.insert(0, inteiro[-3:])
        inteiro = inteiro[:-3]
    return f"{sinal}{' '.join(grupos)},{dec} €"


def to_cent(valor) -> int:
    """Decimal euros → integer cents (half-up): how the ledger stores money, exact on SQLite and PostgreSQL."""
    return int(cent(Decimal(str(valor))) * 100)


def from_cent(valor: int | None) -> Decimal | None:
    """Integer cents → Decimal euros with two places (None stays None)."""
    return None if valor is None else (Decimal(int(valor)) / 100).quantize(CENTIMO)
