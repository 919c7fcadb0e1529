"""One broken rule on one line of the payroll export (or on a whole file)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

COLUNAS = ("rule_id", "severity", "source", "ficheiro", "linha", "niss", "coluna", "valor", "mensagem")


@dataclass(frozen=True)
class Violation:
    rule_id: str
    severity: Literal["error", "warning"]
    source: str  # legal or spec source of the rule
    ficheiro: str | None  # file name inside the EE/month folder (None: the folder as a whole)
    linha: int | None  # line in that file (1 = header); None for file-level problems
    niss: str | None  # worker NISS, when the problem is about one worker
    coluna: str | None  # canonical column name
    valor: str | None  # the offending value as read
    mensagem: str  # what to fix, in the operator's language

    def as_dict(self) -> dict:
        return asdict(self)


def violacao(rule_id: str, *, ficheiro: str | None = None, linha: int | None = None, niss: str | None = None,
             coluna: str | None = None, valor: object = None, **params) -> Violation:
    """A violation of a registered rule, its message filled from the rule's template."""
    from ciclo.domain.regras import REGRAS

    r = REGRAS[rule_id]
    texto_valor = None if valor is None else str(valor)
    return Violation(r.id, r.severidade, r.fonte, ficheiro, linha, niss, coluna, texto_valor,
                     r.formatar(valor=texto_valor, coluna=coluna, ficheiro=ficheiro, niss=niss, **params))
