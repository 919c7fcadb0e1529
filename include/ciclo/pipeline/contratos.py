"""Contract changes to communicate through SOAP ``alterarContratoTrabalho`` (by day 10 of M+1, Art. 8 DR 1-A/2011).

Which contracts: for each worker, the contract versions in the payroll that *start inside the reference month*
and are not the worker's first contract with the EE (a first contract is the vínculo's registration, another
service), plus any version that differs from the last one this pipeline communicated and starts after it.
Contracts in force before the month are taken as already known to the Segurança Social.

Exactly once: a PENDING ledger row is committed before each call. A version already ACKNOWLEDGED is never sent
again. A row left SENT/UNKNOWN by a crash is sent again; if the Segurança Social then answers that the start
date must be after the last contract's start, the earlier call had been applied and the row is ACKNOWLEDGED.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import date
from decimal import Decimal

from ciclo.domain import jsonexato
from ciclo.domain.periodo import AnoMes

log = logging.getLogger(__name__)

CAMPOS_SOAP = ("niss_trabalhador", "modalidade_contrato", "prestacao_trabalho", "inicio_contrato", "fim_contrato",
               "profissao", "remuneracao_base", "diuturnidades", "percentagem_trabalho", "horas_trabalho",
               "dias_trabalho", "motivo_contrato", "niss_trabalhador_substituir")
JA_APLICADO = "A data início contrato tem de ser posterior à data início do último contrato"


def _vazio(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or str(v).strip() in ("", "nan", "NaT", "None", "<NA>")


def _norm(campo: str, v):
    if _vazio(v):
        return None
    if campo in ("inicio_contrato", "fim_contrato"):
        return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])
    if campo in ("remuneracao_base", "diuturnidades", "percentagem_trabalho", "horas_trabalho", "dias_trabalho"):
        from ciclo.domain.dinheiro import parse_montante

        return parse_montante(v) if not isinstance(v, Decimal) else v
    if campo in ("niss_trabalhador", "niss_trabalhador_substituir"):
        return str(v).split(".")[0].zfill(11)
    return str(v).strip()


def campos_contrato(row: dict) -> dict:
    """The SOAP fields of one payroll contract row, normalised (None for absent optional fields)."""
    return {c: _norm(c, row.get(c)) for c in CAMPOS_SOAP}


def hash_campos(campos: dict) -> str:
    return hashlib.sha256(jsonexato.dumps({k: v for k, v in campos.items() if v is not None}).encode()).hexdigest()


def alteracoes_a_comunicar(payroll, ano_mes: str, ledger) -> list[dict]:
    ref = AnoMes.parse(ano_mes)
    df = payroll.contratos
    if df is None or len(df) == 0:
        return []
    por_trab: dict[str, list[dict]] = {}
    for row in df.to_dict("records"):
        c = campos_contrato(row)
        if c["niss_trabalhador"] and c["inicio_contrato"]:
            por_trab.setdefault(c["niss_trabalhador"], []).append(c)
    comunicados = ledger.contratos_comunicados(payroll.niss_ee)
    out = []
    for niss_t, versoes in sorted(por_trab.items()):
        versoes.sort(key=lambda c: c["inicio_contrato"])
        ultimo = comunicados.get(niss_t)
        for i, c in enumerate(versoes):
            h = hash_campos(c)
            if ultimo and ultimo["campos_hash"] == h:
                continue
            no_mes = ref.contem(c["inicio_contrato"]) and i > 0
            depois_do_ultimo = ultimo is not None and c["inicio_contrato"] > _d(ultimo["inicio_contrato"])
            if no_mes or depois_do_ultimo:
                existente = ledger.contrato_by_hash(payroll.niss_ee, niss_t, h)
                if existente and existente["estado"] == "ACKNOWLEDGED":
                    continue
                out.append({"campos": c, "hash": h})
    return out


def _d(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def comunicar(payroll, ano_mes: str, ledger, soap_client, auditar=None) -> dict:
    """Send each pending contract change once. Returns lists: enviados, ja_aplicados, recusados."""
    from ciclo.psi import soap as S

    enviados, ja_aplicados, recusados = [], [], []
    for alt in alteracoes_a_comunicar(payroll, ano_mes, ledger):
        c, h = alt["campos"], alt["hash"]
        niss_t = c["niss_trabalhador"]
        row = ledger.contrato_by_hash(payroll.niss_ee, niss_t, h)
        retoma = row is not None and row["estado"] in ("SENT", "UNKNOWN")
        if row is None:
            row = ledger.insert_contrato(payroll.niss_ee, niss_t, ano_mes, c["inicio_contrato"], h, c)
        ledger.update_contrato(row["id"], estado="SENT")
        t0 = time.monotonic()
        try:
            soap_client.alterar_contrato({k: v for k, v in c.items() if v is not None})
        except S.ContratoInvalido as exc:
            msgs = list(getattr(exc, "mensagens", []) or [str(exc)])
            if retoma and any(JA_APLICADO in m for m in msgs):
                ledger.update_contrato(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                                       mensagens="aplicado numa tentativa anterior (confirmado pela validação do SS)")
                ja_aplicados.append(niss_t)
                continue
            ledger.update_contrato(row["id"], estado="FAILED", codigo_resultado=3, mensagens="; ".join(msgs))
            recusados.append({"niss_trabalhador": niss_t, "codigo": 3, "mensagens": "; ".join(msgs)})
            _audit(auditar, "erro", t0, "ContratoInvalido")
            continue
        except S.ContratoParametroEmFalta as exc:
            msgs = list(getattr(exc, "mensagens", []) or [str(exc)])
            ledger.update_contrato(row["id"], estado="FAILED", codigo_resultado=2, mensagens="; ".join(msgs))
            recusados.append({"niss_trabalhador": niss_t, "codigo": 2, "mensagens": "; ".join(msgs)})
            _audit(auditar, "erro", t0, "ContratoParametroEmFalta")
            continue
        except Exception as exc:
            # Transport error, SOAP codigo 0, 5xx: outcome unknown; the next attempt resends and interprets.
            ledger.update_contrato(row["id"], estado="UNKNOWN", mensagens=type(exc).__name__)
            _audit(auditar, "desconhecido", t0, type(exc).__name__)
            raise
        ledger.update_contrato(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1, mensagens=None)
        _audit(auditar, "ok", t0, None)
        enviados.append(niss_t)
    log.info("contract changes %s %s: %d sent, %d already applied, %d refused", payroll.niss_ee, ano_mes,
             len(enviados), len(ja_aplicados), len(recusados))
    return {"enviados": enviados, "ja_aplicados": ja_aplicados, "recusados": recusados}


def _audit(auditar, resultado, t0, erro_classe):
    if auditar:
        auditar("alterarContratoTrabalho", "POST", resultado, int((time.monotonic() - t0) * 1000), erro_classe=erro_classe)
