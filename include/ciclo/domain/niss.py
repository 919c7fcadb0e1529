"""NISS (Número de Identificação da Segurança Social).

Format: 11 digits, the first 1 (person) or 2 (collective entity). The last digit is a check digit:
9 − (Σ dᵢ·wᵢ mod 10) over the first ten digits with weights 29,23,19,17,13,11,7,5,3,2 (DOMAIN.md §4).

The PSI services themselves only check the 11-digit *format* (and the specs' own examples, such as
``20000003116`` and ``10000000001``, fail the check digit), so two predicates exist:
``formato_valido`` (what the Segurança Social enforces) and ``niss_valido`` (what payroll checks enforce).
"""

from __future__ import annotations

import re

PESOS = (29, 23, 19, 17, 13, 11, 7, 5, 3, 2)
_FORMATO = re.compile(r"^[0-9]{11}$")


def formato_valido(niss: object) -> bool:
    """True when ``niss`` is exactly 11 digits (the only check the PSI services apply)."""
    return isinstance(niss, (str, int)) and not isinstance(niss, bool) and bool(_FORMATO.match(str(niss)))


def digito_controlo(primeiros_dez: str) -> int:
    """The check digit for the first ten digits of a NISS."""
    if len(primeiros_dez) != 10 or not primeiros_dez.isdigit():
        raise ValueError("a NISS check digit needs exactly ten digits")
    soma = sum(int(d) * p for d, p in zip(primeiros_dez, PESOS))
    return 9 - (soma % 10)


def niss_valido(niss: object) -> bool:
    """True when ``niss`` has the 11-digit format, starts with 1 or 2 and its check digit is right."""
    if not formato_valido(niss):
        return False
    s = str(niss)
    return s[0] in "12" and digito_controlo(s[:10]) == int(s[10])


def motivo_invalido(niss: object) -> str | None:
    """Why ``niss`` is not a valid NISS, in the operator's language, or None when it is valid."""
    if niss is None or str(niss).strip() == "":
        return "NISS em falta"
    s = str(niss).strip()
    if not _FORMATO.match(s):
        return f"NISS {s!r} não tem 11 dígitos"
    if s[0] not in "12":
        return f"NISS {s} tem de começar por 1 (pessoa singular) ou 2 (pessoa coletiva)"
    esperado = digito_controlo(s[:10])
    if esperado != int(s[10]):
        return f"NISS {s} com dígito de controlo errado (esperado {esperado})"
    return None


def completar(primeiros_dez: str) -> str:
    """Append the check digit to ten digits, giving a valid NISS (used by generators and seed data)."""
    return primeiros_dez + str(digito_controlo(primeiros_dez))
