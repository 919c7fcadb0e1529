"""Steps 7–8: reconcile, then decide — confirm automatically within tolerance, or ask the operator.

Confirmation is recorded once (PENDING before the POST, CONFIRMADO after); the Segurança Social's own answer
(``jaConfirmado``) covers a crash between its answer and our commit. No answer from the operator by day 20 of M+1:
under the law silence counts as acceptance of the valores apurados (Decreto-Lei 127/2025, amending the Código dos
Regimes Contributivos) — recorded as such, and no confirmation is sent.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo, NadaAFazer
from ciclo.app.portas import Portas
from ciclo.domain.periodo import data_limite_confirmacao

log = logging.getLogger(__name__)

APROVAR, REJEITAR = "Approve", "Reject"
DECIDIDOS = ("CONFIRMADO", "REJEITADO")


@dataclass(frozen=True)
class ResultadoReconciliacao:
    niss_ee: str
    dentro_tolerancia: bool
    diferencas: int
    fora_tolerancia: int
    resumo: str
    alertas: tuple[str, ...] = ()  # the SS's alerts on this month's submission (values it did not consider)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ResultadoDecisao:
    estado: str   # CONFIRMADO, REJEITADO
    modo: str     # automatica, aprovada, silencio, rejeitada
    decidido_por: str | None = None
    ja_confirmado: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PedidoAprovacao:
    assunto: str
    corpo: str
    prazo: timedelta   # how long the operator has before silence applies


def reconciliar(ex: Execucao, p: Portas) -> ResultadoReconciliacao:
    """Internal totals (stored by the quality step) vs the valores apurados in the ledger; every difference
    classified and explained."""
    from ciclo.reconciliacao import reconciliar as rec

    apur = p.ledger.apuramentos.obter(ex.niss_ee, ex.mes)
    if not apur or apur["estado"] not in ("APURADO", "CONFIRMADO"):
        raise NadaAFazer(f"{ex.rotulo}: no apuramento fetched; nothing to reconcile")
    obtidos = len(p.ledger.apurados.obtidos(ex.niss_ee, ex.mes))
    if apur["n_trabalhadores"] is not None and obtidos < apur["n_trabalhadores"]:
        raise Definitivo(f"{ex.rotulo}: only {obtidos} of {apur['n_trabalhadores']} workers' valores apurados "
                         f"fetched; re-run to fetch the rest before reconciling")
    from ciclo.app.folha import snapshot_verificado

    snapshot_verificado(ex, p)
    r = rec(p.ledger, ex.niss_ee, ex.mes, p.definicoes.tolerancia)
    log.info("%s", r.resumo_texto())
    alertas = alertas_do_mes(ex, p)
    if alertas:
        log.warning("%s: %d alert(s) from the Segurança Social: %s", ex.rotulo, len(alertas), "; ".join(alertas[:10]))
    return ResultadoReconciliacao(ex.niss_ee, r.dentro_tolerancia, len(r.diferencas), len(r.fora_tolerancia),
                                  r.resumo_texto(top=15), tuple(alertas))


def alertas_do_mes(ex: Execucao, p: Portas) -> list[str]:
    """The alerts the SS raised on this month's acknowledged submissions. An alert is the legal notice that values
    were not considered (Decreto Regulamentar 1-A/2011 art. 22 n.º 2–3): it never confirms automatically."""
    nossos = p.ledger.submissoes.comprovativos_conhecidos(ex.niss_ee, ex.mes)
    with p.cliente(ex) as client:
        alertas = client.alertas(ex.niss_ee, ano_mes=ex.mes)
    return [f"{a.nissTrabalhador or '—'}: {a.mensagem or a.codigo or 'alerta'} (comprovativo {a.comprovativoEntrega})"
            for a in alertas if not nossos or a.comprovativoEntrega in nossos]


def _confirmar(ex: Execucao, p: Portas, modo: str, decidido_por: str | None, nota: str) -> ResultadoDecisao:
    from ciclo.app.concessao import concessao

    with concessao(ex, p, "confirmar"):
        return _confirmar_uma_vez(ex, p, modo, decidido_por, nota)


def _confirmar_uma_vez(ex: Execucao, p: Portas, modo: str, decidido_por: str | None, nota: str) -> ResultadoDecisao:
    decisoes = p.ledger.decisoes
    atual = decisoes.obter(ex.niss_ee, ex.mes)
    if atual and atual["estado"] == "CONFIRMADO":
        log.info("%s already confirmed on %s: not confirming again", ex.rotulo, atual["data_confirmacao"])
        return ResultadoDecisao("CONFIRMADO", atual["modo"], atual["decidido_por"], ja_confirmado=True)
    with p.cliente(ex) as client:
        if atual and atual["estado"] == "PENDING":
            # An earlier attempt may have confirmed and lost the answer: ask the SS before confirming again.
            mensal = client.valores_apurados_mensal(ex.niss_ee, ex.mes)
            if str(mensal.estado) == "CONFIRMADO":
                decisoes.registar(ex.niss_ee, ex.mes, "CONFIRMADO", modo, decidido_por, nota, None)
                log.info("%s: the SS already holds the confirmation (an earlier answer was lost)", ex.rotulo)
                return ResultadoDecisao("CONFIRMADO", modo, decidido_por, ja_confirmado=True)
        decisoes.registar(ex.niss_ee, ex.mes, "PENDING", modo, decidido_por, nota)
        resposta = client.confirmar(ex.niss_ee, ex.mes)
    data = getattr(resposta, "dataConfirmacao", None)
    decisoes.registar(ex.niss_ee, ex.mes, "CONFIRMADO", modo, decidido_por, nota, str(data) if data else None)
    return ResultadoDecisao("CONFIRMADO", modo, decidido_por, bool(getattr(resposta, "jaConfirmado", False)))


def confirmar_automaticamente(ex: Execucao, p: Portas, rec: ResultadoReconciliacao | dict | None) -> ResultadoDecisao:
    """Confirm once when no difference exceeds the tolerance (otherwise the operator decides)."""
    rec = rec.as_dict() if isinstance(rec, ResultadoReconciliacao) else (rec or {})
    if ex.dry_run:
        raise NadaAFazer("dry run: not confirming")
    if not rec.get("dentro_tolerancia"):
        raise NadaAFazer("differences beyond tolerance: an operator decides (aprovacao_operador)")
    if rec.get("alertas"):
        raise NadaAFazer(f"{len(rec['alertas'])} alert(s) from the Segurança Social: an operator decides")
    return _confirmar(ex, p, "automatica", None, "sem diferenças fora da tolerância nem alertas")


def pedido_aprovacao(ex: Execucao, p: Portas, rec: dict | None, agora: datetime | None = None) -> PedidoAprovacao:
    """What to ask the operator, and for how long — or ``NadaAFazer`` when there is nothing to ask."""
    from ciclo.app.apuramento import LISBOA

    rec = rec or {}
    _portao_aprovacao(ex, p, rec)
    alertas = list(rec.get("alertas") or [])
    agora = agora or datetime.now(timezone.utc)
    dia20 = datetime.combine(data_limite_confirmacao(ex.ano_mes), datetime.max.time(), tzinfo=LISBOA)
    # After day 20 the law already deems the values accepted; the operator still gets a window to look.
    prazo = max(dia20.astimezone(timezone.utc) - agora, timedelta(minutes=p.definicoes.aprovacao_min_minutos))
    from ciclo.relatorio import assunto_aprovacao, recolher, texto_aprovacao

    dados = recolher(p.ledger, ex.niss_ee, ex.mes, nome=ex.employer.nome or ex.niss_ee)
    pasta = p.definicoes.home / "reports" / ex.niss_ee / ex.mes
    corpo = texto_aprovacao(dados, relatorio=str(pasta))
    if alertas:
        avisos = "".join(f"- {a}\n" for a in alertas[:20])
        corpo = (f"**Alertas da Segurança Social** — valores que não foram considerados (DR 1-A/2011 art. 22.º):"
                 f"\n\n{avisos}\n" + corpo)
    return PedidoAprovacao(assunto_aprovacao(dados), corpo, prazo)


def precisa_aprovacao(ex: Execucao, p: Portas, rec: dict | None) -> bool:
    """Whether this employer's month waits for the operator: differences beyond tolerance or SS alerts, not a dry
    run, not decided yet."""
    try:
        _portao_aprovacao(ex, p, rec or {})
    except NadaAFazer:
        return False
    return True


def _portao_aprovacao(ex: Execucao, p: Portas, rec: dict) -> None:
    if ex.dry_run:
        raise NadaAFazer("dry run: no confirmation")
    if not rec or (rec.get("dentro_tolerancia") and not rec.get("alertas")):
        raise NadaAFazer("no difference beyond tolerance and no alert: confirmed automatically")
    atual = p.ledger.decisoes.obter(ex.niss_ee, ex.mes)
    if atual and atual["estado"] in DECIDIDOS:
        raise NadaAFazer(f"already decided for this month: {atual['estado']} ({atual['modo']})")


def parametro_do_employer(ex: Execucao) -> str:
    """The approval form's field for one employer of a lote (checked = confirm it)."""
    return f"confirmar_{ex.niss_ee}"


@dataclass(frozen=True)
class PedidoAprovacaoLote:
    assunto: str
    corpo: str
    prazo: timedelta
    parametros: dict[str, str]   # form field → the employer's label (one per employer asked, when more than one)


def pedido_aprovacao_lote(execucoes, p: Portas, recs: dict[str, dict]) -> PedidoAprovacaoLote:
    """One question for every employer of a lote that waits for the operator (``NadaAFazer`` when none does):
    Approve confirms the employers left checked, Reject none; silence by day 20 accepts them all."""
    pedidos = []
    for ex in execucoes:
        if ex.niss_ee not in recs:
            continue
        try:
            pedidos.append((ex, pedido_aprovacao(ex, p, recs[ex.niss_ee])))
        except NadaAFazer:
            continue
    if not pedidos:
        raise NadaAFazer("no employer of this lote waits for the operator")
    prazo = min(pd.prazo for _, pd in pedidos)
    if len(pedidos) == 1:
        ex, pd = pedidos[0]
        return PedidoAprovacaoLote(pd.assunto, pd.corpo, prazo, {})
    intro = (f"{len(pedidos)} empregadores com diferenças ou alertas. **Approve** confirma os empregadores "
             f"assinalados no formulário (desmarque os que não quer confirmar: ficam rejeitados); **Reject** não "
             f"confirma nenhum. Sem resposta até ao dia 20, o silêncio vale como aceitação de todos.\n\n")
    corpo = intro + "\n\n".join(f"## {ex.employer.rotulo}\n\n{pd.corpo}" for ex, pd in pedidos)
    return PedidoAprovacaoLote(f"Confirmar os valores apurados de {len(pedidos)} empregadores apesar das diferenças?",
                               corpo, prazo, {parametro_do_employer(ex): ex.employer.rotulo for ex, _ in pedidos})


def resposta_do_employer(ex: Execucao, resposta: dict | None) -> dict | None:
    """The lote's answer as this employer's: Approve with its field unchecked is a Reject for it."""
    if not resposta:
        return resposta
    escolha = list(resposta.get("chosen_options") or [])
    campos = resposta.get("params_input") or {}
    if escolha == [APROVAR] and campos.get(parametro_do_employer(ex), True) is False:
        return {**resposta, "chosen_options": [REJEITAR]}
    return resposta


def aplicar_resposta_lote(ex: Execucao, p: Portas, resposta: dict | None, rec: dict | None) -> ResultadoDecisao:
    """``aplicar_resposta`` for one employer of a lote — only when this employer was asked."""
    if not precisa_aprovacao(ex, p, rec):
        raise NadaAFazer(f"{ex.rotulo}: not waiting for the operator")
    return aplicar_resposta(ex, p, resposta_do_employer(ex, resposta))


def nome_de(utilizador) -> str | None:
    """The operator's name from Airflow's ``responded_by_user`` (a dict with id/name, or a plain string)."""
    if utilizador is None:
        return None
    if isinstance(utilizador, dict):
        return str(utilizador.get("name") or utilizador.get("id") or "operador")
    return str(utilizador)


def aplicar_resposta(ex: Execucao, p: Portas, resposta: dict | None) -> ResultadoDecisao:
    """Approve → confirm; the timeout default (no user: silence by day 20) → recorded acceptance; Reject → recorded,
    and this employer stops."""
    if not resposta:
        raise NadaAFazer(f"{ex.rotulo}: no operator decision was asked; nothing to apply")
    escolha = list(resposta.get("chosen_options") or [])
    quem = nome_de(resposta.get("responded_by_user"))
    if escolha == [REJEITAR]:
        p.ledger.decisoes.registar(ex.niss_ee, ex.mes, "REJEITADO", "rejeitada", quem or "operador",
                                   "rejeitado no Airflow: corrigir e reenviar")
        raise Definitivo(f"{ex.rotulo}: the operator rejected confirming the valores apurados ({quem}); correct "
                         f"the payroll and send a correction (allow_correction).")
    if escolha != [APROVAR]:
        raise Definitivo(f"{ex.rotulo}: unexpected answer {escolha!r}; not confirming")
    if quem is None:
        p.ledger.decisoes.registar(ex.niss_ee, ex.mes, "CONFIRMADO", "silencio", None,
                                   "sem resposta do operador até ao dia 20: o silêncio vale como aceitação")
        log.warning("%s: no operator answer by day 20 — under the law, silence counts as acceptance of the valores "
                    "apurados; not confirming explicitly", ex.rotulo)
        return ResultadoDecisao("CONFIRMADO", "silencio")
    return _confirmar(ex, p, "aprovada", quem, "aprovado no Airflow apesar das diferenças")
