"""Reading a field from a PSI answer whether it is a dict (raw JSON) or a typed model."""


def campo(obj, *nomes, default=None):
    """The first of ``nomes`` present in ``obj`` (dict key or attribute: camelCase alias or snake_case name)."""
    for n in nomes:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default
