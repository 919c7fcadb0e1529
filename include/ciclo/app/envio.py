"""Step 4: the valores de remuneração, sent exactly once.

Protocol (the ledger is the pipeline's memory; the Segurança Social is the authority on what it holds):
1. Only the payload stored with the snapshot that passed the quality gate is sent (``folha.snapshot_verificado``).
2. The idempotency key is sha256(EE | month | payload hash); the payload hash is over a canonical form.
3. An identical payload already ACKNOWLEDGED is never sent again.
4. A row left PENDING (committed, never sent) may be sent. A row left SENT or UNKNOWN (a crash or a lost
   acknowledgement after the POST left) is first looked up at the Segurança Social — comprovativos of that month
   not yet linked to the ledger whose communicated values equal ours — and only sent again if absent.
5. A different payload for a month with any earlier submission that may have reached the SS (sent, unknown or
   acknowledged) is a *correction*: sent only when the run allows corrections, and recorded as such — unless the
   month is closed (confirmed, or accepted by silence): then it goes through a Pedido (``app.pedidos``, art. 26.º)
   and is never re-sent here (``MesFechado``, or ``VIA_PEDIDO`` once that Pedido exists). Every POST is preceded
   by that question (one GET of the month's state): a closed month already holding exactly this payroll (e.g. a
   ledger that never sent it) is recorded, not re-sent (``RETOMADO``).
6. POSTs are never retried blindly: a 5xx or transport error after sending makes the row UNKNOWN.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass
from decimal import Decimal

from ciclo.app.contexto import Execucao
from ciclo.app.erros import CorrecaoNaoAutorizada, Definitivo, EnvioIncerto, EnvioRecusado, NadaAFazer
from ciclo.app.portas import Portas
from ciclo.domain import jsonexato
from ciclo.domain.dinheiro import cent

log = logging.getLogger(__name__)

PODE_ESTAR_NO_SS = ("SENT", "UNKNOWN", "ACKNOWLEDGED")


@dataclass(frozen=True)
class ResultadoEnvio:
    estado: str  # ENVIADO, CORRECAO_ENVIADA, JA_ENVIADO, RETOMADO, DRY_RUN, VIA_PEDIDO
    comprovativo: str | None
    idempotency_key: str | None
    n_trabalhadores: int

    def as_dict(self) -> dict:
        return asdict(self)


def _dec(v) -> str:
    return format(Decimal(str(v)).normalize(), "f") if v is not None else "0"


def canonical_trabalhadores(trabalhadores: list[dict]) -> list[dict]:
    """Canonical form of communicated values (wire dicts): what we send and what the SS echoes back compare equal."""
    return sorted(map(_canonico, trabalhadores), key=lambda t: t["nissTrabalhador"])


def _canonico(t: dict) -> dict:
    """One worker's canonical form (``canonical_trabalhadores`` sorts them by NISS)."""
    rem = sorted(
        ({"dataInicio": str(r["dataInicio"]), "dataFim": str(r["dataFim"]), "natureza": str(r["natureza"]),
          "remuneracao": str(cent(Decimal(str(r["remuneracao"])))), "diasTrabalho": _dec(r.get("diasTrabalho"))}
         for r in (t.get("remuneracoes") or [])),
        key=lambda r: (r["natureza"], r["dataInicio"], r["dataFim"], r["remuneracao"]))
    ina = sorted(
        ({"dataInicio": str(i["dataInicio"]), "dataFim": str(i["dataFim"]), "motivo": str(i["motivo"])}
         for i in (t.get("inatividades") or [])),
        key=lambda i: (i["dataInicio"], i["dataFim"], i["motivo"]))
    return {"nissTrabalhador": str(t["nissTrabalhador"]).zfill(11), "remuneracoes": rem, "inatividades": ina}


def payload_hash(payload: dict) -> str:
    """sha256 of ``jsonexato.dumps({"anoMes", "trabalhadores": canonical_trabalhadores(...)})``, written worker by
    worker: the same bytes without the whole canonical copy of a large payroll in memory at once."""
    return _hash_canonico(str(payload["anoMes"]), [_texto_canonico(t) for t in payload["trabalhadores"]])


def _texto_canonico(t: dict) -> tuple[str, str]:
    c = _canonico(t)
    return c["nissTrabalhador"], jsonexato.dumps(c)


def _hash_canonico(ano_mes: str, textos: list[tuple[str, str]]) -> str:
    """The hash of the canonical body from each worker's (NISS, canonical JSON), in canonical order (a stable sort
    by NISS, as ``canonical_trabalhadores``)."""
    textos.sort(key=lambda x: x[0])
    h = hashlib.sha256()
    for peca in _pecas_corpo(ano_mes, (texto for _, texto in textos)):
        h.update(peca.encode())
    return h.hexdigest()


def _pecas_corpo(ano_mes: str, trabalhadores):
    """``jsonexato.dumps({"anoMes": ano_mes, "trabalhadores": [...]})`` in pieces, from each worker's JSON already
    written: ``dumps`` sorts keys ("anoMes" < "trabalhadores") and writes a list as "[" + ",".join(items) + "]"."""
    yield '{"anoMes":' + jsonexato.dumps(ano_mes) + ',"trabalhadores":['
    for i, texto in enumerate(trabalhadores):
        yield ("," + texto) if i else texto
    yield "]}"


def corpo_validado(payroll) -> tuple[str, str]:
    """(JSON, payload hash) of the request body built from a payroll (``ciclo.payroll.to_valores_remuneracao``),
    validated against the wire model (``ValoresRemuneracao``).

    The same text as ``jsonexato.dumps(ValoresRemuneracao.model_validate(corpo).model_dump(exclude_none=True))``
    and the same hash as ``payload_hash`` of it, built one worker at a time: each worker's dicts are validated,
    written and let go, so a payroll of 50,000 workers never has its body as dicts, models, dumps and canonical
    form in memory all at once (≈ 100 MB at that size)."""
    from pydantic import ValidationError

    from ciclo.payroll import to_valores_remuneracao
    from ciclo.psi.models import ValoresRemuneracao
    from ciclo.psi.models.valores_remuneracao import TrabalhadorValores

    corpo = to_valores_remuneracao(payroll)
    ano_mes = ValoresRemuneracao.model_validate({"anoMes": corpo["anoMes"], "trabalhadores": []}).anoMes
    trabalhadores = corpo.pop("trabalhadores")
    textos: list[str] = []
    canonicos: list[tuple[str, str]] = []
    for i, t in enumerate(trabalhadores):
        trabalhadores[i] = None  # this worker's dicts go once written
        try:
            w = TrabalhadorValores.model_validate(t).model_dump(exclude_none=True)
        except ValidationError as exc:
            raise ValueError(f"trabalhadores[{i}] (NISS {t.get('nissTrabalhador')}): {exc}") from None
        textos.append(jsonexato.dumps(w))
        canonicos.append(_texto_canonico(w))
    texto = "".join(_pecas_corpo(ano_mes, textos))
    del textos
    return texto, _hash_canonico(ano_mes, canonicos)


def idempotency_key(niss_ee: str, ano_mes: str, p_hash: str) -> str:
    return hashlib.sha256(f"{niss_ee}|{ano_mes}|{p_hash}".encode()).hexdigest()


def procurar_no_ss(p: Portas, client, ex: Execucao, payload: dict) -> str | None:
    """A comprovativo at the SS for this month, not yet linked in the ledger, holding exactly ``payload``."""
    conhecidos = p.ledger.submissoes.comprovativos_conhecidos(ex.niss_ee, ex.mes)
    alvo = canonical_trabalhadores(payload["trabalhadores"])
    candidatos = [c for c in client.comprovativos(ex.niss_ee, ano_mes=ex.mes) if c.comprovativoEntrega not in conhecidos]
    candidatos.sort(key=lambda c: str(c.dataHoraEntrega or ""), reverse=True)
    for c in candidatos:
        detalhe = client.comprovativo(ex.niss_ee, c.comprovativoEntrega)
        if canonical_trabalhadores(detalhe.trabalhadores or []) == alvo:
            return c.comprovativoEntrega
    return None


def enviar_valores(ex: Execucao, p: Portas, content_hash: str | None = None) -> ResultadoEnvio:
    """Send the verified snapshot's payload exactly once, under the month's lease. See the module docstring."""
    from ciclo.app.concessao import concessao

    with concessao(ex, p, "valores-remuneracao"):
        return _enviar(ex, p, content_hash)


def _enviar(ex: Execucao, p: Portas, content_hash: str | None) -> ResultadoEnvio:
    from ciclo.app.folha import snapshot_verificado
    from ciclo.psi import errors as E

    snap = snapshot_verificado(ex, p, content_hash)
    if not snap["payload_json"]:
        raise Definitivo(f"{ex.rotulo}: the verified snapshot carries no payload (re-run the quality step)")
    payload = jsonexato.loads(snap["payload_json"])
    n = len(payload.get("trabalhadores") or [])
    if n == 0:
        # nothing is sent, so no apuramento will come: this employer's month stops here (the summary says so)
        raise NadaAFazer(f"{ex.rotulo}: no worker with values in this month's payroll: nothing to send")
    p_hash = snap["payload_hash"]
    if payload_hash(payload) != p_hash:
        raise Definitivo(f"{ex.rotulo}: the stored payload does not match its hash; nothing sent")
    key = idempotency_key(ex.niss_ee, ex.mes, p_hash)
    subs = p.ledger.submissoes
    existente = subs.por_chave(key)

    if existente and existente["estado"] == "ACKNOWLEDGED":
        log.info("valores de remuneração %s already acknowledged (%s): nothing sent", ex.rotulo,
                 existente["comprovativo_entrega"])
        return ResultadoEnvio("JA_ENVIADO", existente["comprovativo_entrega"], key, n)

    with p.cliente(ex) as client:
        if existente and existente["estado"] in ("SENT", "UNKNOWN"):
            comp = procurar_no_ss(p, client, ex, payload)
            if comp:
                subs.atualizar(key, estado="ACKNOWLEDGED", comprovativo_entrega=comp, erro=None)
                log.info("earlier submission %s found at the Segurança Social (%s): not sent again", ex.rotulo, comp)
                if existente["correcao"]:
                    refrescar_mes(ex, p)
                return ResultadoEnvio("RETOMADO", comp, key, n)

        outras = [s for s in subs.do_mes(ex.niss_ee, ex.mes)
                  if s["estado"] in PODE_ESTAR_NO_SS and s["idempotency_key"] != key]
        correcao = bool(outras)
        # before any POST: a closed month (confirmed, or accepted by silence) is never re-sent — its correction is
        # a Pedido (art. 26.º DR 1-A/2011). app.pedidos says whether the month is closed, whether a Pedido carries
        # this payroll, or whether the closed month already holds exactly it (e.g. a ledger that never sent it)
        from ciclo.app.pedidos import exigir_pedido

        try:
            ja = exigir_pedido(ex, p, client, p_hash, payload)
        except (E.PsiAuthError, E.PsiForbiddenError) as exc:
            # the submission refused for the credential, as the POST itself would have been: recorded, nothing sent
            if not ex.dry_run:
                if existente is None:
                    subs.inserir(key, ex.niss_ee, ex.mes, p_hash, n, correcao=correcao)
                subs.atualizar(key, estado="FAILED", erro=str(exc)[:2000])
            raise
        if ja is not None and ja.numero_pedido:
            log.info("%s: this payroll went through Pedido %s: nothing sent", ex.rotulo, ja.numero_pedido)
            return ResultadoEnvio("VIA_PEDIDO", None, key, n)
        if ja is not None:
            if ex.dry_run:
                return ResultadoEnvio("DRY_RUN", None, key, n)
            if existente is None:
                subs.inserir(key, ex.niss_ee, ex.mes, p_hash, n, correcao=correcao)
            subs.atualizar(key, estado="ACKNOWLEDGED", comprovativo_entrega=ja.comprovativo, erro=None)
            log.info("%s: closed month already holding this payroll (%s): not sent", ex.rotulo, ja.comprovativo)
            return ResultadoEnvio("RETOMADO", ja.comprovativo, key, n)
        if correcao and not ex.permitir_correcao:
            ref = outras[-1]["comprovativo_entrega"] or f"estado {outras[-1]['estado']}"
            raise CorrecaoNaoAutorizada(
                f"{ex.rotulo}: the payroll differs from values already sent for this month ({ref}). Sending it is a "
                f"correction: re-run with allow_correction=true to send it deliberately.")
        if ex.dry_run:
            return ResultadoEnvio("DRY_RUN", None, key, n)

        if existente is None:
            subs.inserir(key, ex.niss_ee, ex.mes, p_hash, n, correcao=correcao)  # PENDING, committed before the POST
        subs.atualizar(key, estado="SENT", tentativas=(existente or {}).get("tentativas", 0) + 1)
        try:
            resposta = _post_apos_429(lambda: client.enviar_valores_remuneracao(ex.niss_ee, payload), ex)
        except E.PsiValidationError as exc:
            subs.atualizar(key, estado="FAILED", erro=str(exc)[:2000])
            raise EnvioRecusado(f"{ex.rotulo}: the Segurança Social refused the values: {exc}") from None
        except (E.PsiAuthError, E.PsiForbiddenError) as exc:
            subs.atualizar(key, estado="FAILED", erro=str(exc)[:2000])
            raise
        except E.PsiError as exc:
            # Transport error or 5xx after the request left: it may have been recorded. Check before anything else.
            subs.atualizar(key, estado="UNKNOWN", erro=f"{type(exc).__name__}: {exc}"[:2000])
            try:
                comp = procurar_no_ss(p, client, ex, payload)
            except E.PsiError:
                comp = None
            if comp:
                subs.atualizar(key, estado="ACKNOWLEDGED", comprovativo_entrega=comp, erro=None)
                log.warning("no acknowledgement received, but the Segurança Social holds the values (%s)", comp)
                return _resultado(ex, p, correcao, comp, key, n)
            raise EnvioIncerto(
                f"{ex.rotulo}: no answer to the submission ({type(exc).__name__}) and the values are not (yet) "
                f"visible at the Segurança Social; a retry checks again before resending.") from None
    comp = str(resposta.comprovativoEntrega)
    subs.atualizar(key, estado="ACKNOWLEDGED", comprovativo_entrega=comp, erro=None)
    log.info("valores de remuneração %s: %s workers, comprovativo %s", ex.rotulo, n, comp)
    return _resultado(ex, p, correcao, comp, key, n)


ESPERA_429_MAX_S = 120.0


def _post_apos_429(post, ex: Execucao):
    """A 429 on a POST means the request was *not processed* (the SS throttled it before reading it): wait the
    Retry-After it gives (bounded) and send once more. A second 429 goes to the task's retry, which asks first."""
    from ciclo.psi import errors as E

    try:
        return post()
    except E.PsiRetryableError as exc:
        if exc.status != 429:
            raise
        espera = min(float(exc.retry_after or 5.0), ESPERA_429_MAX_S)
        log.warning("%s: HTTP 429 on the POST (not processed); sending once more in %.0f s", ex.rotulo, espera)
        time.sleep(espera)
        return post()


def _resultado(ex: Execucao, p: Portas, correcao: bool, comp: str, key: str, n: int) -> ResultadoEnvio:
    if correcao:
        refrescar_mes(ex, p)
    return ResultadoEnvio("CORRECAO_ENVIADA" if correcao else "ENVIADO", comp, key, n)


def refrescar_mes(ex: Execucao, p: Portas) -> None:
    """A correction was accepted: what depended on the old submission is stale. The apuramento, every worker's
    valores apurados, the reconciliation, the decision and the emission request are forgotten, so the rest of the
    run fetches, reconciles, asks and emits again. Documents already issued stay on record; the operator is told."""
    lg = p.ledger
    docs = lg.documentos.do_mes(ex.niss_ee, ex.mes)
    lg.apuramentos.apagar_mes(ex.niss_ee, ex.mes)
    lg.apurados.apagar_mes(ex.niss_ee, ex.mes)
    lg.reconciliacoes.apagar_resultado(ex.niss_ee, ex.mes)
    lg.decisoes.apagar(ex.niss_ee, ex.mes)
    lg.documentos.apagar_pedidos(ex.niss_ee, ex.mes)
    if docs and p.notificador:
        p.notificador.notificar(
            {"tipo": "correcao", "niss_ee": ex.niss_ee, "ano_mes": ex.mes, "documentos": [d["numero"] for d in docs]},
            f"Ciclo contributivo: correção de {ex.rotulo} — documentos de pagamento emitidos antes da correção "
            f"({', '.join(d['numero'] for d in docs)}); confira-os com a nova obrigação antes de pagar")
    log.warning("%s: correction sent; the month's apuramento, valores apurados, reconciliation and decision will be "
                "refreshed", ex.rotulo)
