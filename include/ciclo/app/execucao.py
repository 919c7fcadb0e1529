"""The employers and month of one run, as frozen contexts."""

from __future__ import annotations

import logging
from datetime import date

from ciclo.app.configuracao import ConfigError, Definicoes, select
from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo
from ciclo.app.portas import Portas
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


def avisar_credenciais(execucoes: list[Execucao], p: Portas) -> list[str]:
    """At the start of a run: a Bearer token that has expired, or expires within a week, is said to the operator
    now — not discovered as a 401 in the middle of the month. Returns the warnings (also notified)."""
    avisos = []
    for ex in execucoes:
        # the token alone: every secret a process reads is added to Airflow's log masker, which recompiles one
        # pattern of all of them for each (a run of 1,500 employers with their own credentials read all of them
        # here; see LigacaoPsi.aviso_token)
        aviso = p.psi(ex.employer).aviso_token()
        if aviso:
            avisos.append(f"{ex.employer.rotulo}: {aviso}")
    if avisos and p.notificador:
        p.notificador.notificar({"tipo": "credenciais", "avisos": avisos},
                                "Ciclo contributivo: credenciais da Segurança Social a expirar")
    for a in avisos:
        log.warning("%s", a)
    return avisos


def planear(execucoes: list[Execucao], p: Portas, *, max_lotes: int) -> list[dict]:
    """The run's employers grouped into lotes (``ciclo.app.lotes``), as XCom; at most ``max_lotes`` of them."""
    from ciclo.app.lotes import agrupar, pesos

    d = p.definicoes
    lotes = agrupar(execucoes, pesos(execucoes, p), peso_max=d.lote_peso_max, max_por_lote=d.lote_max_empregadores,
                    max_lotes=max_lotes)
    log.info("%d employer(s) in %d lote(s): %s", len(execucoes), len(lotes),
             "; ".join(f"{l.numero}: {len(l.execucoes)}" for l in lotes[:50]))
    return [l.para_xcom() for l in lotes]
