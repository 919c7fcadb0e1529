"""The employers and month of one run, as frozen contexts."""

from __future__ import annotations

import logging
from datetime import date

from ciclo.app.configuracao import ConfigError, Definicoes, select
from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo
from ciclo.domain.periodo import AnoMes, AnoMesInvalido

log = logging.getLogger(__name__)


def resolver(definicoes: Definicoes, *, ano_mes: str | None, employers: list[str] | None, dry_run: bool,
             permitir_correcao: bool, hoje: date) -> list[Execucao]:
    """Scheduled runs take the month before ``hoje``; manual runs the ``ano_mes`` given."""
    try:
        mes = AnoMes.parse(ano_mes) if ano_mes else AnoMes.de_data(hoje).anterior()
    except AnoMesInvalido as exc:
        raise Definitivo(f"param ano_mes={ano_mes!r}: {exc}") from None
    try:
        escolhidos = select(definicoes.employers(), [str(e) for e in employers or []])
    except ConfigError as exc:
        raise Definitivo(str(exc)) from None
    log.info("contribution cycle for %s: %d employer(s)", mes, len(escolhidos))
    return [Execucao(e, mes, bool(dry_run), bool(permitir_correcao)) for e in escolhidos]
