"""JSON writer for the sandbox's responses: keeps key order (the spec's field order) and writes ``Decimal`` as an
exact JSON number (``Decimal('176.00')`` → ``176.00``), never through float. The same writer as
``ciclo.domain.jsonexato``, which sorts keys by default (right for hashes and the ledger)."""

from __future__ import annotations

from typing import Any

from ciclo.domain import jsonexato

loads = jsonexato.loads


def dumps(obj: Any) -> str:
    return jsonexato.dumps(obj, sort_keys=False, allow_float=True)
