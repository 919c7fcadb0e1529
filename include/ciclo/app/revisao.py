"""The review before sending: what the pipeline would do for an employer's month only with the operator's approval.

Three kinds of findings are proposed, never done silently:

- ``CONTRATO`` — the Segurança Social's own contract data disagrees with the payroll (base salary, diuturnidades,
  modality, percentage, hours, days): the contract change that would fix it (``ciclo.app.contratos_ss``);
- ``ADMISSAO`` — a worker in the payroll whom the SS does not know: the admission communication
  (``ciclo.app.vinculos``) — legally due before work starts, so it is the operator's call;
- ``PEDIDO`` — a changed payroll for a closed month: the correction through a Pedido (art. 26), in time or late
  (``ciclo.app.pedidos``).

Each provider module exposes ``propostas(ex, p) -> list[Proposta]`` and ``aplicar(ex, p, proposta) -> dict``. The
runner asks every provider, shows the operator what they found (one approval for the month), then applies exactly
the approved proposals, each once (the providers keep their own ledger rows and ask the SS before any resend).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict, dataclass, field

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


def aplicar(ex: Execucao, p: Portas, aprovadas: list[Proposta]) -> list[dict]:
    """Apply the approved proposals, each through its provider (once: providers are idempotent)."""
    por_tipo = {getattr(m, "TIPO", None): m for m in _provedores()}
    out = []
    for prop in aprovadas:
        mod = por_tipo.get(prop.tipo)
        if mod is None:
            raise ValueError(f"{ex.rotulo}: no provider for a {prop.tipo} proposal ({prop.chave})")
        out.append(mod.aplicar(ex, p, prop))
    return out
