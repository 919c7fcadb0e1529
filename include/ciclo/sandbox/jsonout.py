"""JSON writer for responses: keeps key order (the spec's field order) and writes ``Decimal`` as an exact
JSON number (``Decimal('176.00')`` → ``176.00``), never through float.

``ciclo.domain.jsonexato`` sorts keys (right for hashing/ledgers); the sandbox must mirror the spec's order,
so this is the order-preserving variant.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_enc = json.encoder.encode_basestring


def dumps(obj: Any) -> str:
    out: list[str] = []
    _write(obj, out)
    return "".join(out)


def _write(o: Any, out: list[str]) -> None:
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, str):
        out.append(_enc(o))
    elif isinstance(o, Decimal):
        out.append(format(o, "f"))
    elif isinstance(o, int):
        out.append(str(int(o)))
    elif isinstance(o, float):
        out.append(repr(o))
    elif isinstance(o, (datetime, date)):
        out.append(_enc(o.isoformat()))
    elif isinstance(o, dict):
        out.append("{")
        first = True
        for k, v in o.items():
            if not first:
                out.append(",")
            first = False
            out.append(_enc(str(k)))
            out.append(":")
            _write(v, out)
        out.append("}")
    elif isinstance(o, (list, tuple)):
        out.append("[")
        for i, v in enumerate(o):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(o).__name__} as JSON")


def loads(texto: str | bytes) -> Any:
    """Parse JSON with non-integer numbers as ``Decimal`` (exact amounts)."""
    return json.loads(texto, parse_float=Decimal)
