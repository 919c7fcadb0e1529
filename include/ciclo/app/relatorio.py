"""Step 10: the finance report — HTML, XLSX workbook, one page per payment document — and its email.

Only for an employer whose month reached a decision (confirmed, accepted by silence, or rejected); never for one
blocked earlier. Emailed once per content: a re-run with the same facts sends nothing, a correction (new facts)
sends a new report. Deadline warnings go to the operator through the notifier.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from ciclo.app.contexto import Execucao
from ciclo.app.erros import NadaAFazer
from ciclo.app.portas import Portas
from ciclo.domain import jsonexato

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultadoRelatorio:
    html: str
    xlsx: str
    anexos: list[str] = field(default_factory=list)
    email: bool = False
    ja_enviado: bool = False
    destinatarios: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def conteudo_hash(p: Portas, niss_ees: list[str], ano_mes: str) -> str:
    """What a finance email reports, as a hash: the submissions, the apuramento, the decision and the documents.
    Equal facts → equal hash → not emailed twice."""
    lg = p.ledger
    factos = []
    for ee in sorted(niss_ees):
        apur = lg.apuramentos.obter(ee, ano_mes) or {}
        conf = lg.decisoes.obter(ee, ano_mes) or {}
        factos.append({
            "ee": ee,
            "comprovativos": sorted(s["comprovativo_entrega"] or "" for s in lg.submissoes.do_mes(ee, ano_mes)
                                    if s["estado"] == "ACKNOWLEDGED"),
            "obrigacao": apur.get("total_obrigacao_cent"),  # not the apuramento's state: confirming changes it
            "decisao": [conf.get("estado"), conf.get("modo")],
            "documentos": sorted((d["numero"], d["valor_cent"]) for d in lg.documentos.do_mes(ee, ano_mes)),
        })
    return hashlib.sha256(jsonexato.dumps({"ano_mes": ano_mes, "factos": factos}).encode()).hexdigest()


def _decidido(p: Portas, niss_ee: str, ano_mes: str) -> bool:
    conf = p.ledger.decisoes.obter(niss_ee, ano_mes)
    return bool(conf and conf["estado"] in ("CONFIRMADO", "REJEITADO"))


def escrever_relatorio(ex: Execucao, p: Portas, hoje: date | None = None):
    """Gather the month from the ledger and write the report files; returns (dados, html path, xlsx, anexos)."""
    from ciclo.domain.calendario import alertas_atraso
    from ciclo.relatorio import escrever_documentos_pdf, recolher, render_html, write_xlsx

    pasta = p.definicoes.pasta_relatorio(ex.niss_ee, ex.mes)
    dados = recolher(p.ledger, ex.niss_ee, ex.mes, nome=ex.employer.nome or ex.niss_ee)
    dados.alertas = alertas_atraso(
        ex.mes, hoje or date.today(),
        enviado=any(s["estado"] == "ACKNOWLEDGED" for s in p.ledger.submissoes.do_mes(ex.niss_ee, ex.mes)),
        confirmado=bool(dados.confirmacao and dados.confirmacao["estado"] == "CONFIRMADO"),
        pago=False, data_limite_ss=dados.prazos["pagamento"].data)
    if p.ledger.submissoes.comprovativos_conhecidos(ex.niss_ee, ex.mes):
        from ciclo.app.decisao import alertas_do_mes
        from ciclo.app.pagamentos import linhas_pagamento, verificar_pagamentos

        # the earlier months: paid, partly paid or unpaid, from the SS's receipts
        dados.alertas += linhas_pagamento(verificar_pagamentos(ex, p))

        # an alert is the legal notice that values were not considered (DR 1-A/2011 art. 22): finance must see it
        dados.alertas += [f"ALERTA DA SEGURANÇA SOCIAL — {a}" for a in alertas_do_mes(ex, p)]
    from ciclo.app.pedidos import linhas_relatorio

    dados.alertas += linhas_relatorio(ex, p)   # corrections through Pedidos (art. 26.º), a late one said as such
    dados.incidencia = incidencia_por_natureza(ex, p)
    html = pasta / "relatorio.html"
    html.write_text(render_html([dados]), encoding="utf-8")
    xlsx = write_xlsx(dados, pasta / f"reconciliacao-{ex.niss_ee}-{ex.mes}.xlsx")
    # what finance files: the workbook and each payment document as a PDF like the SS's own
    anexos = [Path(xlsx), *escrever_documentos_pdf(dados, pasta)]
    return dados, html, Path(xlsx), anexos


def incidencia_por_natureza(ex: Execucao, p: Portas) -> list[dict]:
    """Gross, exempt and subject per natureza of the verified payroll (empty when the month has none): stored
    with the internal totals when the payroll passed the quality gate. A month prepared before the ledger kept
    them (migration 0009) has them computed from its snapshot, the same way."""
    from ciclo.app import folha
    from ciclo.payroll.incidencia import por_natureza

    snap = p.ledger.folhas.ultima(ex.niss_ee, ex.mes)
    if not snap or not snap["quality_ok"]:
        return []
    guardada = p.ledger.reconciliacoes.incidencia(ex.niss_ee, ex.mes)
    if guardada is not None:
        return guardada
    log.info("%s: incidence per natureza not in the ledger (month prepared before migration 0009): computed from "
             "the payroll snapshot", ex.rotulo)
    ficheiros = p.ledger.folhas.ficheiros(snap["content_hash"])
    if not ficheiros:
        # a snapshot recorded before the ledger kept the export's bytes (schema v3): said, not guessed
        log.warning("%s: the payroll's files are not in the ledger; the workbook's Incidência sheet is empty", ex.rotulo)
        return []
    return por_natureza(folha.carregar_snapshot(ex, p, snap["content_hash"], ficheiros))


def relatorio_financas(ex: Execucao, p: Portas, hoje: date | None = None) -> ResultadoRelatorio:
    from ciclo.relatorio import construir_email

    if not _decidido(p, ex.niss_ee, ex.mes) and not ex.dry_run:
        raise NadaAFazer(f"{ex.rotulo}: the month reached no decision in this run; no finance report")
    dados, html, xlsx, anexos = escrever_relatorio(ex, p, hoje)
    prazo_alertas = [a for a in dados.alertas if a.startswith(("ATRASADO", "PRAZO PRÓXIMO"))]
    if prazo_alertas and p.notificador:
        log.warning("%s deadlines: %s", ex.rotulo, "; ".join(prazo_alertas))
        p.notificador.notificar({"tipo": "prazo", "niss_ee": ex.niss_ee, "ano_mes": ex.mes, "alertas": prazo_alertas},
                                f"Ciclo contributivo: prazos de {ex.rotulo}")
    destinatarios = list(ex.employer.finance_recipients)
    base = ResultadoRelatorio(str(html), str(xlsx), [str(a) for a in anexos], destinatarios=destinatarios)
    if ex.dry_run or p.definicoes.email_por != "ee":
        return base
    if not destinatarios:
        log.warning("%s has no finance recipients configured: report written to %s, not emailed", ex.rotulo, html.parent)
        return base
    h = conteudo_hash(p, [ex.niss_ee], ex.mes)
    if p.ledger.emails.ja_enviado(h):
        log.info("%s: finance already has this report (same facts); not emailed again", ex.rotulo)
        return ResultadoRelatorio(**{**base.as_dict(), "ja_enviado": True})
    _mailer(p).enviar(construir_email([dados], p.definicoes.remetente, destinatarios, anexos))
    p.ledger.emails.registar(h, ex.mes, [ex.niss_ee], destinatarios)
    return ResultadoRelatorio(**{**base.as_dict(), "email": True})


def _mailer(p: Portas):
    if p.mailer is None:
        raise NadaAFazer("no mailer configured (smtp connection): the report was written, not emailed")
    return p.mailer


def email_da_execucao(execucoes: list[Execucao], p: Portas) -> dict | None:
    """With ``CICLO_EMAIL_POR=execucao``: one finance email for the whole run (each employer that reached a
    decision), once per content."""
    from ciclo.relatorio import construir_email, render_html

    if p.definicoes.email_por != "execucao" or not execucoes or execucoes[0].dry_run:
        return None
    ano_mes = execucoes[0].mes
    relatorios, anexos, destinatarios, ees = [], [], [], []
    for ex in execucoes:
        if not _decidido(p, ex.niss_ee, ano_mes):
            continue
        # rendered here from the ledger: the employers' own report tasks may have run on other workers
        dados, _html, _xlsx, docs = escrever_relatorio(ex, p)
        relatorios.append(dados)
        ees.append(ex.niss_ee)
        anexos += docs
        destinatarios += [d for d in ex.employer.finance_recipients if d not in destinatarios]
    if not relatorios or not destinatarios:
        return None
    h = conteudo_hash(p, ees, ano_mes)
    if p.ledger.emails.ja_enviado(h):
        return {"destinatarios": destinatarios, "entidades": len(relatorios), "ja_enviado": True}
    html = render_html(relatorios)
    (p.definicoes.home / f"relatorio-{ano_mes}.html").write_text(html, encoding="utf-8")
    _mailer(p).enviar(construir_email(relatorios, p.definicoes.remetente, destinatarios, anexos))
    p.ledger.emails.registar(h, ano_mes, ees, destinatarios)
    return {"destinatarios": destinatarios, "entidades": len(relatorios), "anexos": [str(a) for a in anexos]}
