"""Exactly-once submission of the valores de remuneração.

Protocol (the ledger is the pipeline's memory; the Segurança Social is the authority on what it holds):
1. The idempotency key is sha256(EE | month | payload hash); the payload hash is over a canonical form.
2. An identical payload already ACKNOWLEDGED is never sent again.
3. A row left PENDING (committed, never sent) may be sent. A row left SENT or UNKNOWN (a crash or a lost
   acknowledgement after the POST left) is first looked up at the Segurança Social — comprovativos of that month
   not yet linked to the ledger whose communicated values equal ours — and only sent again if absent.
4. A different payload for a month that already has an acknowledged submission is a *correction*: sent only
   when the run allows corrections, and recorded as such.
5. POSTs are never retried blindly: a 5xx or transport error after sending makes the row UNKNOWN.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from ciclo.domain import jsonexato
from ciclo.pipeline.campos import campo as _g
from ciclo.domain.dinheiro import cent

log = logging.getLogger(__name__)


class CorrecaoNaoAutorizada(RuntimeError):
    """The payload differs from what the Segurança Social already acknowledged for this month."""


class EnvioRecusado(RuntimeError):
    """The Segurança Social refused the values (HTTP 400): fix the payroll, nothing was recorded there."""


class EnvioIncerto(RuntimeError):
    """The submission may or may not have reached the Segurança Social; a re-run checks before resending."""


@dataclass
class ResultadoEnvio:
    estado: str  # ENVIADO, CORRECAO_ENVIADA, JA_ENVIADO, RETOMADO, DRY_RUN, NADA_A_ENVIAR
    comprovativo: str | None
    idempotency_key: str | None
    n_trabalhadores: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()




def _dec(v) -> str:
    return format(Decimal(str(v)).normalize(), "f") if v is not None else "0"


def canonical_trabalhadores(trabalhadores: list) -> list[dict]:
    """Canonical form of communicated values (what we send and what the SS echoes back compare equal)."""
    out = []
    for t in trabalhadores:
        rem = sorted(
            ({"dataInicio": str(_g(r, "dataInicio", "data_inicio")), "dataFim": str(_g(r, "dataFim", "data_fim")),
              "natureza": str(_g(r, "natureza")), "remuneracao": str(cent(Decimal(str(_g(r, "remuneracao"))))),
              "diasTrabalho": _dec(_g(r, "diasTrabalho", "dias_trabalho"))}
             for r in (_g(t, "remuneracoes") or [])),
            key=lambda r: (r["natureza"], r["dataInicio"], r["dataFim"], r["remuneracao"]))
        ina = sorted(
            ({"dataInicio": str(_g(i, "dataInicio", "data_inicio")), "dataFim": str(_g(i, "dataFim", "data_fim")),
              "motivo": str(_g(i, "motivo"))} for i in (_g(t, "inatividades") or [])),
            key=lambda i: (i["dataInicio"], i["dataFim"], i["motivo"]))
        out.append({"nissTrabalhador": str(_g(t, "nissTrabalhador", "niss_trabalhador")).zfill(11),
                    "remuneracoes": rem, "inatividades": ina})
    return sorted(out, key=lambda t: t["nissTrabalhador"])


def payload_hash(payload: dict) -> str:
    canon = {"anoMes": str(payload["anoMes"]), "trabalhadores": canonical_trabalhadores(payload["trabalhadores"])}
    return hashlib.sha256(jsonexato.dumps(canon).encode()).hexdigest()


def idempotency_key(niss_ee: str, ano_mes: str, p_hash: str) -> str:
    return hashlib.sha256(f"{niss_ee}|{ano_mes}|{p_hash}".encode()).hexdigest()


def procurar_no_ss(ledger, client, niss_ee: str, ano_mes: str, payload: dict) -> str | None:
    """A comprovativo at the SS for this month, not yet linked in the ledger, holding exactly ``payload``."""
    conhecidos = ledger.comprovativos_conhecidos(niss_ee, ano_mes)
    alvo = canonical_trabalhadores(payload["trabalhadores"])
    candidatos = [c for c in client.comprovativos(niss_ee, ano_mes=ano_mes)
                  if _g(c, "comprovativoEntrega", "comprovativo_entrega") not in conhecidos]
    candidatos.sort(key=lambda c: str(_g(c, "dataHoraEntrega", "data_hora_entrega", default="")), reverse=True)
    for c in candidatos:
        cid = _g(c, "comprovativoEntrega", "comprovativo_entrega")
        detalhe = client.comprovativo(niss_ee, cid)
        if canonical_trabalhadores(_g(detalhe, "trabalhadores") or []) == alvo:
            return cid
    return None


def enviar_valores(ledger, client, niss_ee: str, ano_mes: str, payload: dict, *, permitir_correcao: bool = False,
                   dry_run: bool = False, errors=None) -> ResultadoEnvio:
    """Send ``payload`` (valores de remuneração for ``ano_mes``) exactly once. See the module docstring."""
    from ciclo.psi import errors as psi_errors  # the REST client's error classes

    errors = errors or psi_errors
    n = len(payload.get("trabalhadores") or [])
    if n == 0:
        return ResultadoEnvio("NADA_A_ENVIAR", None, None, 0)
    p_hash = payload_hash(payload)
    key = idempotency_key(niss_ee, ano_mes, p_hash)
    existente = ledger.submission_by_key(key)

    if existente and existente["estado"] == "ACKNOWLEDGED":
        log.info("valores de remuneração %s/%s already acknowledged (%s): nothing sent", niss_ee, ano_mes,
                 existente["comprovativo_entrega"])
        return ResultadoEnvio("JA_ENVIADO", existente["comprovativo_entrega"], key, n)

    if existente and existente["estado"] in ("SENT", "UNKNOWN"):
        comp = procurar_no_ss(ledger, client, niss_ee, ano_mes, payload)
        if comp:
            ledger.update_submission(key, estado="ACKNOWLEDGED", comprovativo_entrega=comp, erro=None)
            log.info("earlier submission %s/%s found at the Segurança Social (%s): not sent again", niss_ee, ano_mes, comp)
            return ResultadoEnvio("RETOMADO", comp, key, n)

    outras = [s for s in ledger.submissions(niss_ee, ano_mes)
              if s["estado"] == "ACKNOWLEDGED" and s["idempotency_key"] != key]
    correcao = bool(outras)
    if correcao and not permitir_correcao:
        raise CorrecaoNaoAutorizada(
            f"EE {niss_ee} {ano_mes}: the payroll differs from the values already acknowledged "
            f"(comprovativo {outras[-1]['comprovativo_entrega']}). Sending it is a correction: re-run with "
            f"allow_correction=true to send it deliberately."
        )
    if dry_run:
        return ResultadoEnvio("DRY_RUN", None, key, n)

    if existente is None:
        ledger.insert_submission(key, niss_ee, ano_mes, p_hash, n, correcao=correcao)  # PENDING, committed
    ledger.update_submission(key, estado="SENT", tentativas=(existente or {}).get("tentativas", 0) + 1)
    try:
        resposta = client.enviar_valores_remuneracao(niss_ee, payload)
    except errors.PsiValidationError as exc:
        ledger.update_submission(key, estado="FAILED", erro=str(exc)[:2000])
        raise EnvioRecusado(f"EE {niss_ee} {ano_mes}: the Segurança Social refused the values: {exc}") from None
    except (errors.PsiAuthError, errors.PsiForbiddenError) as exc:
        ledger.update_submission(key, estado="FAILED", erro=str(exc)[:2000])
        raise
    except errors.PsiError as exc:
        # Transport error or 5xx after the request left: it may have been recorded. Check before anything else.
        ledger.update_submission(key, estado="UNKNOWN", erro=f"{type(exc).__name__}: {exc}"[:2000])
        try:
            comp = procurar_no_ss(ledger, client, niss_ee, ano_mes, payload)
        except errors.PsiError:
            comp = None
        if comp:
            ledger.update_submission(key, estado="ACKNOWLEDGED", comprovativo_entrega=comp, erro=None)
            log.warning("no acknowledgement received, but the Segurança Social holds the values (%s)", comp)
            return ResultadoEnvio("CORRECAO_ENVIADA" if correcao else "ENVIADO", comp, key, n)
        raise EnvioIncerto(
            f"EE {niss_ee} {ano_mes}: no answer to the submission ({type(exc).__name__}) and the values are not "
            f"(yet) visible at the Segurança Social; a retry checks again before resending."
        ) from None
    comp = _g(resposta, "comprovativoEntrega", "comprovativo_entrega")
    ledger.update_submission(key, estado="ACKNOWLEDGED", comprovativo_entrega=str(comp), erro=None)
    return ResultadoEnvio("CORRECAO_ENVIADA" if correcao else "ENVIADO", str(comp), key, n)
