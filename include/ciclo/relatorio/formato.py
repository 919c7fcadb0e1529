"""Portuguese presentation of money, dates, months and of who decided: one place for every report format.

Amounts follow the Portuguese convention (space as thousands separator, decimal comma, the € after the amount,
as in ``115 870,08 €``); dates are ``dd/mm/aaaa``, as on the Segurança Social's own documents.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ciclo.domain.dinheiro import formatar_eur
from ciclo.domain.periodo import AnoMes

LISBOA = ZoneInfo("Europe/Lisbon")
MESES = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
         "novembro", "dezembro")
TRACO = "—"


def eur(valor: Decimal | None) -> str:
    """``Decimal('115870.08')`` → ``'115 870,08 €'``; ``None`` → ``'—'``. Floats are refused (money is Decimal)."""
    if valor is None:
        return TRACO
    if isinstance(valor, float):
        raise TypeError("money must be Decimal, not float")
    return formatar_eur(Decimal(valor))


def data_pt(valor: date | datetime | str | None) -> str:
    """``2025-10-27`` → ``'27/10/2025'``; ISO strings (as SQLite returns them) are parsed, anything else refused."""
    if valor is None or valor == "":
        return TRACO
    d = como_data(valor)
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def data_hora_pt(valor: datetime | str | None) -> str:
    """A timestamp in Lisbon time: ``'27/10/2025 14:03'``. Naive timestamps are taken as UTC (the ledger's)."""
    if valor is None or valor == "":
        return TRACO
    dt = como_data_hora(valor).astimezone(LISBOA)
    return f"{dt.day:02d}/{dt.month:02d}/{dt.year:04d} {dt.hour:02d}:{dt.minute:02d}"


def como_data(valor: date | datetime | str) -> date:
    if isinstance(valor, datetime):
        return valor.date()
    if isinstance(valor, date):
        return valor
    try:
        return date.fromisoformat(str(valor)[:10])
    except ValueError as exc:
        raise ValueError(f"not a date: {valor!r}") from exc


def como_data_hora(valor: datetime | str) -> datetime:
    """The ledger writes UTC timestamps; SQLite hands them back naive (or as text)."""
    if isinstance(valor, str):
        try:
            valor = datetime.fromisoformat(valor)
        except ValueError as exc:
            raise ValueError(f"not a timestamp: {valor!r}") from exc
    if not isinstance(valor, datetime):
        raise TypeError(f"not a timestamp: {valor!r}")
    return valor if valor.tzinfo else valor.replace(tzinfo=ZoneInfo("UTC"))


def mes_pt(ano_mes: str, curto: bool = False) -> str:
    """``'202510'`` → ``'outubro de 2025'`` (``curto``: ``'out/25'``)."""
    m = AnoMes.parse(ano_mes)
    nome = MESES[m.mes - 1]
    return f"{nome[:3]}/{m.ano % 100:02d}" if curto else f"{nome} de {m.ano}"


def percentagem_pt(valor: Decimal | None, casas: int = 1) -> str:
    if valor is None:
        return TRACO
    q = Decimal(valor).quantize(Decimal(1).scaleb(-casas))
    sinal = "+" if q > 0 else ""
    return f"{sinal}{q}".replace(".", ",") + " %"


_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def datas_iso_para_pt(texto: str) -> str:
    """Rewrite ISO dates inside a sentence (the calendar's warnings are written with ISO dates) as dd/mm/aaaa."""
    return _ISO.sub(lambda m: f"{m.group(3)}/{m.group(2)}/{m.group(1)}", texto)


def nome_decisor(decidido_por: object) -> str | None:
    """Who decided, as a name. Airflow's HITL answers with ``{"id": ..., "name": ...}``; older ledger rows kept that
    dict's ``repr`` (``"{'id': 'x', 'name': 'x'}"``). Plain names pass through; an unreadable dict is an error."""
    if decidido_por is None or decidido_por == "":
        return None
    valor = decidido_por
    if isinstance(valor, str) and valor.strip().startswith("{"):
        texto = valor.strip()
        try:
            valor = json.loads(texto)
        except ValueError:
            try:
                valor = ast.literal_eval(texto)  # a dict literal only: literal_eval evaluates no code
            except (ValueError, SyntaxError) as exc:
                raise ValueError(f"decidido_por is neither a name nor a user record: {decidido_por!r}") from exc
    if isinstance(valor, dict):
        nome = valor.get("name") or valor.get("nome") or valor.get("id") or valor.get("username")
        if not nome:
            raise ValueError(f"decidido_por has no name or id: {decidido_por!r}")
        return str(nome)
    return str(valor)


def iban_impresso(iban: str) -> str:
    """An IBAN in its print format, groups of four (ISO 13616-1): ``PT50 0781 0112 0000 0001 2037 6``."""
    compacto = str(iban).replace(" ", "").upper()
    return " ".join(compacto[i:i + 4] for i in range(0, len(compacto), 4))
