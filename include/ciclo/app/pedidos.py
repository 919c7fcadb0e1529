"""Corrections of a closed month through the eeaoc Pedidos (DR 1-A/2011 art. 26.º) — a provider of ``app.revisao``.

When is a month *closed* (a changed payroll can no longer be a new submission of the valores)? When the declaration
was delivered — art. 21.º n.º 1: "A declaração é considerada validamente entregue em cada mês na data em que é
confirmada ou na data limite para aceitação pela entidade empregadora". So, asking the Segurança Social (the monthly
valores apurados):

- ``CONFIRMADO``: closed (confirmed; the confirmation date, when the ledger recorded it, is the declaration's date);
- ``APURADO`` and today past the acceptance limit (day 20 of M+1, moved to the next working day — ``calendario``):
  closed (accepted by silence);
- anything else (nothing sent, still processing, within the acceptance period): open — a changed payroll is sent
  again through ``app.envio`` (a correction there, with ``allow_correction``).

Then, against what the SS holds (every comprovativo of the month folded in order, worker by worker — the SS
replaces a worker's values with each later submission, and an accepted Pedido is one more), the verified payroll
snapshot either matches (nothing to do) or differs: one ``Proposta`` (``bloqueia_envio=True``) with the window
(``ciclo.domain.correcao``: in time, or late — flagged), the workers whose values change (sent in full, as in the
valores de remuneração) and those whose values are annulled (communicated before, absent now). Beyond the late
window: ``Definitivo`` (art. 26.º n.º 3 — only a requerimento with proof, which is not this pipeline's to send).

``aplicar`` creates the Pedido exactly once: a ledger row committed before the POST, under the month's lease, and a
row left SENT/UNKNOWN is first looked up at the SS (Consultar Pedidos + Detalhe) before any resend.
``acompanhar_pedido`` follows it: ``Repetivel`` while the SS analyses it, ``Definitivo`` when refused, and when
accepted the month is refreshed as a correction (``envio.refrescar_mes``: apuramento, valores apurados,
reconciliation, decision and emission forgotten, so the rest of the run fetches, reconciles, asks and emits again).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo, NadaAFazer, Repetivel
from ciclo.app.portas import Portas
from ciclo.app.revisao import Proposta
from ciclo.domain import jsonexato
from ciclo.domain.calendario import prazos
from ciclo.domain.correcao import EXPIRADO, JanelaCorrecao, janela
from ciclo.domain.dinheiro import cent

log = logging.getLogger(__name__)

TIPO = "PEDIDO"
OPERACAO = "pedido-correcao"  # the lease's name (app.concessao)
LISBOA = ZoneInfo("Europe/Lisbon")
_PODE_ESTAR_NO_SS = ("SENT", "UNKNOWN", "ACKNOWLEDGED")


class MesFechado(Definitivo):
    """A changed payroll for a closed month: it goes through a Pedido (art. 26.º), never a new submission."""


class CorrecaoForaDoPrazo(Definitivo):
    """Past art. 26.º n.º 2's window: only a requerimento with proof (n.º 3), outside this pipeline."""


class PedidoIndeferido(Definitivo):
    """The Segurança Social refused the Pedido."""


def hoje() -> date:
    """Today in Lisbon (the statute's calendar)."""
    return datetime.now(LISBOA).date()


# ------------------------------------------------------------------------------------------------ closed or open
@dataclass(frozen=True)
class EstadoMes:
    fechado: bool
    estado_ss: str | None
    motivo: str                      # why closed / open, for the operator
    data_confirmacao: date | None    # art. 21.º n.º 1: the declaration's date when the month was confirmed


def _data_confirmacao(ex: Execucao, p: Portas) -> date | None:
    d = p.ledger.decisoes.obter(ex.niss_ee, ex.mes)
    if d and d.get("estado") == "CONFIRMADO" and d.get("data_confirmacao"):
        return date.fromisoformat(str(d["data_confirmacao"])[:10])
    return None


def estado_mes(ex: Execucao, p: Portas, client, dia: date | None = None) -> EstadoMes:
    """Whether the month is closed (see the module docstring), asking the SS for the month's state."""
    dia = dia or hoje()
    estado = client.valores_apurados_mensal(ex.niss_ee, ex.mes).estado
    estado = str(estado) if estado is not None else None
    conf = _data_confirmacao(ex, p)
    if estado == "CONFIRMADO":
        return EstadoMes(True, estado, f"{ex.mes} foi confirmado (DR 1-A/2011 art. 21.º n.º 1)", conf)
    limite = prazos(ex.mes)["confirmacao"].data
    if estado == "APURADO" and dia > limite:
        return EstadoMes(True, estado, f"{ex.mes} foi aceite por silêncio em {limite.isoformat()} (data-limite de "
                                       f"aceitação; DR 1-A/2011 art. 21.º n.º 1)", conf)
    return EstadoMes(False, estado, f"{ex.mes} está {estado or 'sem estado'} na Segurança Social", conf)


# ------------------------------------------------------------------------------------------------ what differs
def valores_no_ss(ex: Execucao, client) -> dict[str, dict]:
    """What the SS holds for the month, per worker (canonical form): every comprovativo's values folded in order of
    delivery, a later one replacing a worker's earlier values."""
    from ciclo.app.envio import canonical_trabalhadores

    comps = sorted(client.comprovativos(ex.niss_ee, ano_mes=ex.mes), key=lambda c: str(c.dataHoraEntrega or ""))
    out: dict[str, dict] = {}
    for c in comps:
        detalhe = client.comprovativo(ex.niss_ee, c.comprovativoEntrega)
        for t in canonical_trabalhadores(detalhe.trabalhadores or []):
            out[t["nissTrabalhador"]] = t
    return out


@dataclass(frozen=True)
class Diferenca:
    alterados: list[str]    # workers whose complete new values the Pedido carries
    anulados: list[str]     # workers with values at the SS and none in the payroll: the Pedido annuls them
    linhas: list[str]       # what the operator reads, per worker

    @property
    def vazia(self) -> bool:
        return not self.alterados and not self.anulados


def _total(t: dict | None) -> Decimal:
    return sum((Decimal(r["remuneracao"]) for r in (t or {}).get("remuneracoes", [])), Decimal("0.00"))


def diferenca(payload: dict, no_ss: dict[str, dict]) -> Diferenca:
    from ciclo.app.envio import canonical_trabalhadores

    novo = {t["nissTrabalhador"]: t for t in canonical_trabalhadores(payload["trabalhadores"])}
    alterados = sorted(n for n, t in novo.items() if no_ss.get(n) != t)
    anulados = sorted(n for n, t in no_ss.items() if n not in novo and (t["remuneracoes"] or t["inatividades"]))
    linhas = []
    for n in alterados:
        antes = no_ss.get(n)
        linhas.append(f"{n}: {cent(_total(antes))} € → {cent(_total(novo[n]))} €"
                      + ("" if antes else " (sem valores comunicados antes)"))
    linhas += [f"{n}: {cent(_total(no_ss[n]))} € → anulado (não consta da folha)" for n in anulados]
    return Diferenca(alterados, anulados, linhas)


def _chave(ex: Execucao, payload_hash: str) -> str:
    return hashlib.sha256(f"pedido|{ex.niss_ee}|{ex.mes}|{payload_hash}".encode()).hexdigest()


def _corpo(ex: Execucao, payload: dict, dif: Diferenca, content_hash: str) -> dict:
    """The Pedido (ASSUMED shape, ``models.pedido.PedidoCorrecao``): the changed workers exactly as the payroll's
    payload sends them."""
    por_niss = {str(t["nissTrabalhador"]).zfill(11): t for t in payload["trabalhadores"]}
    return {"anoMes": ex.mes, "motivo": "CORRECAO" if dif.alterados else "ANULACAO",
            "fundamentacao": (f"Correção da folha de {ex.mes} (snapshot {content_hash[:12]}): {len(dif.alterados)} "
                              f"trabalhador(es) com valores corrigidos, {len(dif.anulados)} anulado(s)"),
            "trabalhadores": [por_niss[n] for n in dif.alterados]}


# ------------------------------------------------------------------------------------------------ the provider
def propostas(ex: Execucao, p: Portas, *, dia: date | None = None) -> list[Proposta]:
    """A Proposta when the month is closed and the verified payroll differs from what the SS holds; [] otherwise.
    ``CorrecaoForaDoPrazo`` (Definitivo) when the difference can no longer be corrected (art. 26.º n.º 3)."""
    from ciclo.app.folha import snapshot_verificado

    dia = dia or hoje()
    snap = snapshot_verificado(ex, p)
    if not snap["payload_json"]:
        return []
    payload = jsonexato.loads(snap["payload_json"])
    with p.cliente(ex) as client:
        mes = estado_mes(ex, p, client, dia)
        if not mes.fechado:
            return []
        dif = diferenca(payload, valores_no_ss(ex, client))
    if dif.vazia:
        return []
    key = _chave(ex, snap["payload_hash"])
    row = p.ledger.pedidos.por_chave(key)
    if row and row["estado"] in _PODE_ESTAR_NO_SS:
        log.info("%s: the Pedido for this payroll already exists (%s, %s): acompanhar_pedido follows it",
                 ex.rotulo, row["numero_pedido"] or row["estado"], row["estado_ss"])
        return []
    jan = janela(ex.mes, dia, mes.data_confirmacao)
    if jan.situacao == EXPIRADO:
        raise CorrecaoForaDoPrazo(
            f"{ex.rotulo}: the payroll differs from what the Segurança Social holds for a closed month "
            f"({len(dif.alterados)} worker(s) changed, {len(dif.anulados)} to annul), but {jan.texto()}. Nothing is "
            f"sent: a correction now needs a requerimento with proof to the Segurança Social services.")
    amostra = "; ".join(dif.linhas[:10]) + (f"; … (+{len(dif.linhas) - 10})" if len(dif.linhas) > 10 else "")
    descricao = (f"Pedido de correção de {ex.mes} — {mes.motivo}; a folha verificada difere do que a Segurança "
                 f"Social tem: {len(dif.alterados)} trabalhador(es) com valores corrigidos, {len(dif.anulados)} "
                 f"anulado(s) ({amostra}). {jan.texto()[0].upper()}{jan.texto()[1:]}. Os valores não são reenviados: "
                 f"segue por Pedido e, quando deferido, o mês é apurado de novo e atualizado como correção.")
    return [Proposta(TIPO, f"{TIPO}:{ex.mes}:{snap['payload_hash'][:12]}", descricao, {
        "ano_mes": ex.mes, "content_hash": snap["content_hash"], "payload_hash": snap["payload_hash"],
        "situacao": jan.situacao, "fora_de_prazo": jan.fora_de_prazo, "limite_no_prazo": jan.limite_no_prazo.isoformat(),
        "limite_fora_de_prazo": jan.limite_fora_de_prazo.isoformat(), "alterados": dif.alterados,
        "anulados": dif.anulados}, bloqueia_envio=True)]


def _procurar_no_ss(ex: Execucao, p: Portas, pedidos, payload: dict) -> str | None:
    """A Pedido of this month at the SS, not yet linked in the ledger, that carries this payroll: each of its
    workers with exactly the payroll's values, each annulment for a worker absent from the payroll. Compared with the
    payroll (not with a difference computed now), so a Pedido the SS already accepted is still recognised."""
    from ciclo.app.envio import canonical_trabalhadores

    novo = {t["nissTrabalhador"]: t for t in canonical_trabalhadores(payload["trabalhadores"])}
    conhecidos = p.ledger.pedidos.numeros_conhecidos(ex.niss_ee, ex.mes)
    for item in pedidos.consultar(ex.niss_ee, ano_mes=ex.mes):
        if item.numeroPedido in conhecidos or item.anoMes != ex.mes:
            continue
        det = pedidos.detalhe(item.numeroPedido, niss_ee=ex.niss_ee)
        dele = canonical_trabalhadores([t.model_dump(exclude_none=True) for t in det.trabalhadores or []])
        anuladas = [str(a.nissTrabalhador) for a in det.anulacoes or []]
        if (dele or anuladas) and all(novo.get(t["nissTrabalhador"]) == t for t in dele) \
                and all(n not in novo for n in anuladas):
            return item.numeroPedido
    return None


def aplicar(ex: Execucao, p: Portas, proposta: Proposta, *, aprovado_por: str | None = None,
            dia: date | None = None) -> dict:
    """Create the approved Pedido exactly once (ledger row before the POST, under the month's lease; SENT/UNKNOWN
    rows looked up at the SS first), then its annulments. Returns what was done (JSON-safe)."""
    from ciclo.app.concessao import concessao

    if proposta.tipo != TIPO:
        raise ValueError(f"{ex.rotulo}: not a {TIPO} proposal: {proposta.chave}")
    with concessao(ex, p, OPERACAO):
        return _aplicar(ex, p, proposta, aprovado_por, dia or hoje())


def _aplicar(ex: Execucao, p: Portas, proposta: Proposta, aprovado_por: str | None, dia: date) -> dict:
    from ciclo.app.envio import _post_apos_429
    from ciclo.psi import errors as E
    from ciclo.psi.pedidos import Pedidos

    d = proposta.dados
    snap = p.ledger.folhas.por_hash(ex.niss_ee, ex.mes, d["content_hash"])
    if snap is None or not snap["quality_ok"] or snap["payload_hash"] != d["payload_hash"]:
        raise Definitivo(f"{ex.rotulo}: the payroll snapshot of the approved Pedido ({d['content_hash'][:12]}) is not "
                         f"a verified snapshot with that payload any more; review the month again")
    payload = jsonexato.loads(snap["payload_json"])
    key = _chave(ex, snap["payload_hash"])
    repo = p.ledger.pedidos
    row = repo.por_chave(key)
    if row and row["estado"] == "ACKNOWLEDGED":
        return _saida("JA_CRIADO", row)
    with p.cliente(ex) as client:
        pedidos = Pedidos(client)
        mes = estado_mes(ex, p, client, dia)
        dif = diferenca(payload, valores_no_ss(ex, client))
        corpo = _corpo(ex, payload, dif, snap["content_hash"])
        if row and row["estado"] in ("SENT", "UNKNOWN"):
            numero = _procurar_no_ss(ex, p, pedidos, payload)
            if numero:
                row = repo.atualizar(key, estado="ACKNOWLEDGED", numero_pedido=numero, erro=None)
                log.info("%s: earlier Pedido found at the Segurança Social (%s): not created again", ex.rotulo, numero)
                _anular(ex, pedidos, numero, dif.anulados)
                return _saida("RETOMADO", row)
        if dif.vazia:
            return {"tipo": TIPO, "estado": "NADA_A_CORRIGIR", "numero_pedido": None, "fora_de_prazo": False}
        if not mes.fechado:
            raise Definitivo(f"{ex.rotulo}: the approved Pedido is for a closed month, but {mes.motivo}: the changed "
                             f"payroll is sent again as a correction (allow_correction), not by Pedido; nothing sent")
        jan = janela(ex.mes, dia, mes.data_confirmacao)
        if jan.situacao == EXPIRADO:
            raise CorrecaoForaDoPrazo(f"{ex.rotulo}: {jan.texto()}; nothing sent")
        if row is None:
            row = repo.inserir(key, ex.niss_ee, ex.mes, snap["payload_hash"], snap["content_hash"],
                               n_trabalhadores=len(dif.alterados), n_anulacoes=len(dif.anulados),
                               fora_de_prazo=jan.fora_de_prazo, limite=jan.limite_fora_de_prazo,
                               aprovado_por=aprovado_por)  # PENDING, committed before the POST
        repo.atualizar(key, estado="SENT", tentativas=row["tentativas"] + 1)
        try:
            criado = _post_apos_429(lambda: pedidos.criar(ex.niss_ee, corpo), ex)
        except E.PsiValidationError as exc:
            repo.atualizar(key, estado="FAILED", erro=str(exc)[:2000])
            raise Definitivo(f"{ex.rotulo}: the Segurança Social refused the Pedido: {exc}") from None
        except (E.PsiAuthError, E.PsiForbiddenError) as exc:
            repo.atualizar(key, estado="FAILED", erro=str(exc)[:2000])
            raise
        except E.PsiError as exc:
            repo.atualizar(key, estado="UNKNOWN", erro=f"{type(exc).__name__}: {exc}"[:2000])
            try:
                numero = _procurar_no_ss(ex, p, pedidos, payload)
            except E.PsiError:
                numero = None
            if not numero:
                raise Repetivel(f"{ex.rotulo}: no answer to the Pedido ({type(exc).__name__}) and it is not (yet) "
                                f"visible at the Segurança Social; a retry checks again before creating it") from None
            criado = pedidos.detalhe(numero, niss_ee=ex.niss_ee)
        numero = str(criado.numeroPedido)
        fora = bool(criado.foraDePrazo) if criado.foraDePrazo is not None else jan.fora_de_prazo
        row = repo.atualizar(key, estado="ACKNOWLEDGED", numero_pedido=numero, estado_ss=criado.estado,
                             fora_de_prazo=fora, erro=None)
        _anular(ex, pedidos, numero, dif.anulados)
    log.warning("%s: Pedido %s created (%s)%s", ex.rotulo, numero, criado.estado,
                " — FORA DE PRAZO (art. 26.º n.º 2)" if fora else "")
    if p.notificador:
        p.notificador.notificar(
            {"tipo": "pedido_correcao", "niss_ee": ex.niss_ee, "ano_mes": ex.mes, "numero_pedido": numero,
             "fora_de_prazo": fora},
            f"Ciclo contributivo: pedido de correção {numero} de {ex.rotulo} submetido"
            + (" FORA DE PRAZO (art. 26.º n.º 2 DR 1-A/2011: considerado para todos os efeitos como efetuado fora de "
               "prazo)" if fora else " no prazo (art. 26.º n.º 1 DR 1-A/2011)"))
    return _saida("CRIADO", row)


def _anular(ex: Execucao, pedidos, numero: str, anulados: list[str]) -> None:
    """Annul the values of workers absent from the payroll, each once (the Pedido's detail says which are done)."""
    if not anulados:
        return
    from ciclo.psi import errors as E

    feitos = {str(a.nissTrabalhador) for a in pedidos.detalhe(numero, niss_ee=ex.niss_ee).anulacoes or []}
    for n in anulados:
        if n in feitos:
            continue
        try:
            pedidos.anular_valor_remuneracao(ex.niss_ee, numero, {"nissTrabalhador": n})
        except E.PsiValidationError as exc:
            raise Definitivo(f"{ex.rotulo}: the Segurança Social refused annulling {n}'s values in Pedido {numero}: "
                             f"{exc}") from None
        except E.PsiOutcomeUnknown:
            raise Repetivel(f"{ex.rotulo}: no answer annulling {n}'s values in Pedido {numero}; a retry reads the "
                            f"Pedido before sending it again") from None


def _saida(estado: str, row: dict) -> dict:
    return {"tipo": TIPO, "estado": estado, "numero_pedido": row["numero_pedido"], "estado_ss": row["estado_ss"],
            "fora_de_prazo": bool(row["fora_de_prazo"]),
            "limite": row["limite"].isoformat() if isinstance(row["limite"], date) else row["limite"],
            "n_trabalhadores": row["n_trabalhadores"], "n_anulacoes": row["n_anulacoes"]}


# ------------------------------------------------------------------------------------------------ following it
@dataclass(frozen=True)
class ResultadoPedido:
    numero_pedido: str
    estado: str             # DEFERIDO (the only result; the others are outcomes)
    fora_de_prazo: bool
    refrescado: bool        # this call refreshed the month (False: an earlier call did)

    def as_dict(self) -> dict:
        return asdict(self)


def acompanhar_pedido(ex: Execucao, p: Portas) -> ResultadoPedido:
    """The month's Pedido at the SS: ``Repetivel`` while submitted / in analysis, ``PedidoIndeferido`` when refused,
    ``NadaAFazer`` when there is none; when accepted, the month is refreshed as a correction, once."""
    from ciclo.app.envio import refrescar_mes
    from ciclo.ledger.db import now as agora
    from ciclo.psi.pedidos import Pedidos

    repo = p.ledger.pedidos
    rows = [r for r in repo.do_mes(ex.niss_ee, ex.mes) if r["estado"] in _PODE_ESTAR_NO_SS]
    if not rows:
        raise NadaAFazer(f"{ex.rotulo}: no Pedido for this month")
    row = rows[-1]
    if row["estado"] != "ACKNOWLEDGED":
        raise Repetivel(f"{ex.rotulo}: the Pedido's creation has no answer yet ({row['estado']}); applying the "
                        f"approved proposal again asks the Segurança Social before creating it")
    numero, fora = row["numero_pedido"], bool(row["fora_de_prazo"])
    if row["refrescado_em"] is not None:
        return ResultadoPedido(numero, "DEFERIDO", fora, refrescado=False)
    with p.cliente(ex) as client:
        det = Pedidos(client).detalhe(numero, niss_ee=ex.niss_ee)
    estado = str(det.estado)
    repo.atualizar(row["idempotency_key"], estado_ss=estado, fundamentacao_decisao=det.fundamentacaoDecisao)
    if det.em_curso:
        raise Repetivel(f"{ex.rotulo}: Pedido {numero} is {estado} at the Segurança Social (em análise)")
    if estado != "DEFERIDO":
        raise PedidoIndeferido(
            f"{ex.rotulo}: Pedido {numero} was {estado} by the Segurança Social"
            + (f": {det.fundamentacaoDecisao}" if det.fundamentacaoDecisao else "")
            + ". The month keeps the values the Segurança Social holds; fix the payroll or contact the services.")
    refrescar_mes(ex, p)
    repo.atualizar(row["idempotency_key"], refrescado_em=agora())
    log.warning("%s: Pedido %s accepted%s: the month is refreshed as a correction", ex.rotulo, numero,
                " (fora de prazo)" if fora else "")
    return ResultadoPedido(numero, "DEFERIDO", fora, refrescado=True)


@dataclass(frozen=True)
class JaNoSS:
    """What ``exigir_pedido`` tells ``app.envio`` instead of sending: the payroll is already at the SS."""

    numero_pedido: str | None = None   # carried by this Pedido (created after the operator's approval)
    comprovativo: str | None = None    # or the SS already holds exactly this payroll (its latest comprovativo)


def exigir_pedido(ex: Execucao, p: Portas, client, payload_hash: str, payload: dict,
                  dia: date | None = None) -> JaNoSS | None:
    """For ``app.envio``, before sending a payroll for a month the SS may already hold (a correction, or a first
    send from this ledger): ``JaNoSS`` when a Pedido carries this payroll (also once the month reopened after the
    Pedido's re-apuramento) or, on a closed month, when the SS already holds exactly it; ``MesFechado`` on a closed
    month that holds something else (its correction is a Pedido); ``None`` when the month is open (send)."""
    row = p.ledger.pedidos.por_chave(_chave(ex, payload_hash))
    if row and row["estado"] in _PODE_ESTAR_NO_SS:
        return JaNoSS(numero_pedido=row["numero_pedido"] or f"({row['estado']})")
    mes = estado_mes(ex, p, client, dia)
    if not mes.fechado:
        return None
    no_ss = valores_no_ss(ex, client)
    if diferenca(payload, no_ss).vazia:
        comps = sorted(client.comprovativos(ex.niss_ee, ano_mes=ex.mes), key=lambda c: str(c.dataHoraEntrega or ""))
        return JaNoSS(comprovativo=comps[-1].comprovativoEntrega if comps else None)
    jan: JanelaCorrecao = janela(ex.mes, dia or hoje(), mes.data_confirmacao)
    raise MesFechado(
        f"{ex.rotulo}: {mes.motivo}: a changed payroll for it is a correction through a Pedido (art. 26.º DR "
        f"1-A/2011), never a new submission of the valores (allow_correction does not apply to a closed month) — "
        f"{jan.texto()}. Approve the {TIPO} proposal of the month's review (ciclo.app.pedidos) to send it; nothing "
        f"was sent.")


def linhas_relatorio(ex: Execucao, p: Portas) -> list[str]:
    """The month's Pedidos for the finance report (a late one said as such: art. 26.º n.º 2 — "consideradas, para
    todos os efeitos, como efetuadas fora de prazo")."""
    out = []
    for r in p.ledger.pedidos.do_mes(ex.niss_ee, ex.mes):
        if r["estado"] not in _PODE_ESTAR_NO_SS:
            continue
        quando = ("FORA DE PRAZO (art. 26.º n.º 2 DR 1-A/2011: considerada para todos os efeitos como efetuada fora "
                  "de prazo)" if r["fora_de_prazo"] else "no prazo (art. 26.º n.º 1 DR 1-A/2011)")
        estado = r["estado_ss"] or ("sem resposta" if r["estado"] != "ACKNOWLEDGED" else "submetido")
        out.append(f"CORREÇÃO POR PEDIDO {r['numero_pedido'] or '(por confirmar)'} de {ex.mes}, {quando}: "
                   f"{r['n_trabalhadores']} trabalhador(es) corrigido(s), {r['n_anulacoes']} anulado(s); estado na "
                   f"Segurança Social: {estado}"
                   + (f" — {r['fundamentacao_decisao']}" if r["fundamentacao_decisao"] else ""))
    return out


def acompanhar_se_houver(ex: Execucao, p: Portas) -> dict:
    """``acompanhar_pedido`` as a step of every month: a month without a Pedido goes on (``SEM_PEDIDO``); one in
    analysis raises ``Repetivel`` (the runner waits and asks again); refused → ``PedidoIndeferido``."""
    try:
        r = acompanhar_pedido(ex, p)
    except NadaAFazer:
        return {"estado": "SEM_PEDIDO"}
    return r.as_dict() if hasattr(r, "as_dict") else dict(r.__dict__)
