"""The review before sending: what the pipeline would do for an employer's month only with the operator's approval.

Three kinds of findings are proposed, never done silently:

- ``CONTRATO`` — the Segurança Social's own contract data disagrees with the payroll (base salary, diuturnidades,
  modality, percentage, hours, days): the contract change that would fix it (``ciclo.app.contratos_ss``);
- ``ADMISSAO`` — a worker in the payroll whom the SS does not know: the admission communication
  (``ciclo.app.vinculos``) — legally due before work starts, so it is the operator's call;
- ``PEDIDO`` — a changed payroll for a closed month: the correction through a Pedido (art. 26), in time or late
  (``ciclo.app.pedidos``).

Each provider module exposes ``propostas(ex, p) -> list[Proposta]`` and
``aplicar(ex, p, proposta, *, aprovado_por) -> dict``. The
runner asks every provider, shows the operator what they found (one approval for the month), then applies exactly
the approved proposals, each once (the providers keep their own ledger rows and ask the SS before any resend).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from ciclo.app.contexto import Execucao
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)

# provider modules, in the order their proposals are shown and applied (contract data before an admission's
# values, both before a Pedido that re-sends the month)
PROVEDORES = ("ciclo.app.contratos_ss", "ciclo.app.vinculos", "ciclo.app.pedidos")


@dataclass(frozen=True)
class Proposta:
    """Something the pipeline would do for this employer's month only with the operator's approval."""

    tipo: str          # CONTRATO | ADMISSAO | PEDIDO
    chave: str         # stable within (employer, month): e.g. "CONTRATO:12345678901"; the approval's option id
    descricao: str     # what the operator reads: what differs and what would be done (Portuguese, no secrets)
    dados: dict = field(default_factory=dict)   # what applying needs; JSON-safe (str, int, bool, lists, dicts)
    bloqueia_envio: bool = False   # True: the valores must not be sent unless this is approved and applied

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def de_dict(cls, d: dict) -> "Proposta":
        return cls(**d)


def _provedores():
    out = []
    for nome in PROVEDORES:
        try:
            out.append(importlib.import_module(nome))
        except ModuleNotFoundError as exc:
            if exc.name != nome:   # the provider exists but one of its imports is missing: a real error
                raise
    return out


def recolher(ex: Execucao, p: Portas) -> list[Proposta]:
    """Every provider's proposals for this employer's month (asks the SS where a provider needs to)."""
    out: list[Proposta] = []
    for mod in _provedores():
        out.extend(mod.propostas(ex, p))
    return out


def aplicar(ex: Execucao, p: Portas, aprovadas: list[Proposta], *, aprovado_por: str | None = None) -> list[dict]:
    """Apply the approved proposals, each through its provider (once: providers are idempotent), with the
    operator's name."""
    por_tipo = {getattr(m, "TIPO", None): m for m in _provedores()}
    out = []
    for prop in aprovadas:
        mod = por_tipo.get(prop.tipo)
        if mod is None:
            raise ValueError(f"{ex.rotulo}: no provider for a {prop.tipo} proposal ({prop.chave})")
        out.append(mod.aplicar(ex, p, prop, aprovado_por=aprovado_por))
    return out


# ------------------------------------------------------------------------------------------------ the review step
APLICAR, NAO_APLICAR = "Aplicar", "Não aplicar"


@dataclass(frozen=True)
class ResultadoRevisao:
    propostas: list[dict]
    informacoes: list[str] = field(default_factory=list)   # shown, nothing to approve (pending communications)

    def as_dict(self) -> dict:
        return {"propostas": self.propostas, "informacoes": self.informacoes}


def rever(ex: Execucao, p: Portas) -> ResultadoRevisao:
    """Step 2b: every proposal for this employer's month, and what the SS still processes or did not accept."""
    from ciclo.app.folha import folhas_partilhadas

    with folhas_partilhadas():   # the providers read the same snapshot: parsed once for the step, even a large one
        return _rever(ex, p)


def _rever(ex: Execucao, p: Portas) -> ResultadoRevisao:
    props = recolher(ex, p)
    info: list[str] = []
    try:
        from ciclo.app import contratos_ss
    except ModuleNotFoundError:   # pragma: no cover - the provider ships with the package
        contratos_ss = None
    if contratos_ss is not None:
        for c in contratos_ss.comunicacoes_pendentes(ex, p):
            info.append(f"Comunicação {c.get('tipo') or ''} de {c.get('niss_trabalhador')} "
                        f"({c.get('inicio_contrato') or c.get('data_comunicacao') or '—'}): {c.get('estado')}"
                        + (f" — {c['motivo']}" if c.get("motivo") else ""))
    for prop in props:
        log.warning("%s: %s proposal %s: %s", ex.rotulo, prop.tipo, prop.chave, prop.descricao)
    for i in info:
        log.warning("%s: %s", ex.rotulo, i)
    if info and p.notificador:
        # shown in the review when there is something to approve; told to the operator in any case
        p.notificador.notificar({"tipo": "comunicacoes", "niss_ee": ex.niss_ee, "ano_mes": ex.mes, "comunicacoes": info},
                                f"Ciclo contributivo: {ex.employer.rotulo} — comunicações por processar ou não aceites "
                                f"na Segurança Social")
    return ResultadoRevisao([prop.as_dict() for prop in props], info)


def campo(ex: Execucao, chave: str) -> str:
    """The approval form's field for one proposal (checked = apply it)."""
    import re

    return re.sub(r"[^0-9A-Za-z_]", "_", f"aplicar_{ex.niss_ee}_{chave}")


@dataclass(frozen=True)
class PedidoRevisao:
    assunto: str
    corpo: str
    prazo: timedelta
    campos: dict[str, str]   # form field → what it applies (short)


def pedido_revisao_lote(execucoes, p: Portas, revisoes: dict[str, dict], agora=None) -> PedidoRevisao:
    """One question for the proposals of a lote's employers (``NadaAFazer`` when there are none). Until the end of
    day 10 of M+1 — the deadline of the valores and contract communications (DR 1-A/2011 art. 8.º) — with the
    minimum window for a late run; no answer applies nothing."""
    from datetime import datetime, time, timedelta, timezone

    from ciclo.app.apuramento import LISBOA
    from ciclo.app.erros import NadaAFazer
    from ciclo.domain.calendario import prazos

    partes, campos, prazo_final = [], {}, None
    for ex in execucoes:
        rev = revisoes.get(ex.niss_ee) or {}
        props = [Proposta.de_dict(d) for d in rev.get("propostas") or []]
        if not props or ex.dry_run:
            continue
        linhas = []
        for prop in props:
            f = campo(ex, prop.chave)
            campos[f] = f"{ex.employer.nome or ex.niss_ee}: {prop.tipo} {prop.chave.split(':', 1)[-1]}"
            bloq = " **(sem aprovação, os valores deste mês não são enviados)**" if prop.bloqueia_envio else ""
            linhas.append(f"- **{prop.tipo}** `{prop.chave}`{bloq}: {prop.descricao}")
        linhas += [f"- ℹ️ {i}" for i in rev.get("informacoes") or []]
        partes.append(f"## {ex.employer.rotulo}\n\n" + "\n".join(linhas))
        dia10 = datetime.combine(prazos(ex.mes)["contratos"].data, time(23, 59, 59), tzinfo=LISBOA)
        prazo_final = dia10 if prazo_final is None else min(prazo_final, dia10)
    if not campos:
        raise NadaAFazer("nothing for the operator to review before sending")
    agora = agora or datetime.now(timezone.utc)
    prazo = max(prazo_final.astimezone(timezone.utc) - agora, timedelta(minutes=p.definicoes.aprovacao_min_minutos))
    intro = (f"Antes de enviar os valores: {len(campos)} proposta(s). **{APLICAR}** aplica as assinaladas no "
             f"formulário (desmarque as que não quer); **{NAO_APLICAR}** não aplica nenhuma. Nada é aplicado sem "
             f"resposta.\n\n")
    return PedidoRevisao(f"Rever antes de enviar: {len(campos)} proposta(s)", intro + "\n\n".join(partes), prazo,
                         campos)


def aplicar_revisao(ex: Execucao, p: Portas, resposta: dict | None, rev: dict | None) -> dict:
    """Apply the proposals the operator approved for this employer; a proposal that blocks sending and was not
    approved stops the employer here (nothing is sent)."""
    from ciclo.app.decisao import nome_de
    from ciclo.app.erros import Definitivo

    props = [Proposta.de_dict(d) for d in (rev or {}).get("propostas") or []]
    if not props:
        return {"propostas": 0, "aplicadas": []}
    escolha = list((resposta or {}).get("chosen_options") or [])
    quem = nome_de((resposta or {}).get("responded_by_user"))
    marcados = (resposta or {}).get("params_input") or {}
    aprovadas = [] if (ex.dry_run or escolha != [APLICAR] or quem is None) else [
        prop for prop in props if marcados.get(campo(ex, prop.chave), True) is not False]
    if aprovadas:
        log.info("%s: %s approved %s", ex.rotulo, quem, ", ".join(a.chave for a in aprovadas))
    feitos = aplicar(ex, p, aprovadas, aprovado_por=quem)
    bloqueadas = [prop for prop in props if prop.bloqueia_envio and prop not in aprovadas]
    if bloqueadas and not ex.dry_run:
        raise Definitivo(f"{ex.rotulo}: not sent — {', '.join(b.chave for b in bloqueadas)} needs the operator's "
                         f"approval ({'rejected' if quem else 'no answer'}): {bloqueadas[0].descricao}")
    return {"propostas": len(props), "aplicadas": [a.chave for a in aprovadas], "resultados": feitos,
            "decidido_por": quem}
