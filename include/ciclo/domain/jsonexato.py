"""JSON with exact decimals: ``Decimal`` is written as a JSON *number* with its exact digits, and parsed back
as ``Decimal`` (never through float). The standard encoder can only write floats or strings."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_enc = json.encoder.encode_basestring  # keeps non-ASCII text as UTF-8


def dumps(obj: Any, *, sort_keys: bool = True, allow_float: bool = False) -> str:
    """Compact JSON; Decimal as number (``Decimal('1600.00')`` → ``1600.00``).

    ``sort_keys`` (default) gives a canonical text for hashes and the ledger; ``False`` keeps insertion order (the
    sandbox mirrors the spec's field order). Floats are refused unless ``allow_float`` (written with ``repr``)."""
    parts: list[str] = []
    _write(obj, parts, sort_keys, allow_float)
    return "".join(parts)


def _write(o: Any, out: list[str], sort_keys: bool = True, allow_float: bool = False) -> None:
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, str):
        out.append(_enc(o))
    elif isinstance(o, Decimal):
        if not o.is_finite():
            raise ValueError(f"non-finite amount {o!r} cannot be sent")
        out.append(format(o, "f"))
    elif isinstance(o, int):
        out.append(str(int(o)))
    elif isinstance(o, float):
        if not allow_float:
            raise TypeError("floats are not written by this encoder; use Decimal")
        out.append(repr(o))
    elif isinstance(o, (datetime, date)):
        out.append(_enc(o.isoformat()))
    elif isinstance(o, dict):
        out.append("{")
        for i, k in enumerate(sorted(o, key=str) if sort_keys else o):
            if i:
                out.append(",")
            out.append(_enc(str(k)))
            out.append(":")
            _write(o[k], out, sort_keys, allow_float)
        out.append("}")
    elif isinstance(o, (list, tuple)):
        out.append("[")
        for i, v in enumerate(o):
            if i:
                out.append(",")
            _write(v, out, sort_keys, allow_float)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(o).__name__} as JSON")


def loads(texto: str | bytes) -> Any:
    """Parse JSON with every non-integer number as ``Decimal``."""
    return json.loads(texto, parse_float=Decimal)


class ObjetoRecebido(dict):
    """A JSON object as parsed by ``loads`` that keeps the text it was parsed from (``texto``): what was received,
    stored as received (the ledger's raw documents), instead of written again by ``dumps``."""

    __slots__ = ("texto",)


def loads_recebido(dados: bytes) -> Any:
    """``loads`` of an answer's bytes; an object comes back as an ``ObjetoRecebido`` carrying its UTF-8 text (JSON
    exchanged between systems is UTF-8: RFC 8259 §8.1). Anything else, as ``loads``."""
    obj = loads(dados)
    if isinstance(obj, dict) and not dados.startswith(b"\xef\xbb\xbf"):   # a BOM: json reads it, not stored so
        try:
            texto = dados.decode("utf-8")
        except UnicodeDecodeError:
            return obj   # parsed (UTF-16/32, which json accepts) but not UTF-8: written again by dumps when stored
        obj = ObjetoRecebido(obj)
        obj.texto = texto
    return obj
