"""Plant, in a running sandbox, what the Segurança Social holds differently from the payroll (issue #14): a contract
field of a worker's latest contract (e.g. another base salary — a change never communicated), or a communication
still being processed / not accepted. Development tooling: the sandbox's ``/_sandbox/contratos/divergencia`` and
``/_sandbox/comunicacoes`` routes (``ciclo.sandbox.soap_consulta``)."""

from __future__ import annotations

import httpx


def plantar_divergencia(sandbox_url: str, niss_ee: str, niss_trabalhador: str, **campos) -> dict:
    """Change fields of the worker's latest contract at the SS, e.g. ``remuneracao_base="1550.00"``. Fields:
    remuneracao_base, diuturnidades, percentagem_trabalho, horas_trabalho, dias_trabalho, modalidade_contrato,
    prestacao_trabalho, profissao, motivo_contrato, fim_contrato. Returns the contract as the SS now holds it."""
    if not campos:
        raise ValueError("plantar_divergencia: name at least one field to change (e.g. remuneracao_base='1550.00')")
    r = httpx.post(f"{sandbox_url.rstrip('/')}/_sandbox/contratos/divergencia", timeout=30,
                   json={"niss_ee": niss_ee, "niss_trabalhador": niss_trabalhador,
                         "campos": {k: (None if v is None else str(v)) for k, v in campos.items()}})
    r.raise_for_status()
    return r.json()


def plantar_comunicacao(sandbox_url: str, niss_ee: str, niss_trabalhador: str, *, rejeitada: bool = False,
                        **campos) -> dict:
    """A communication the SS is still processing (``rejeitada=False``, tipoComunicacao 0) or did not accept (1),
    as ``obterComunicacoes`` lists it; ``campos`` in its camelCase names (inicioContrato, motivo, dataComunicacao...)."""
    corpo = {"tipoComunicacao": "1" if rejeitada else "0", "nissTrabalhador": niss_trabalhador, **campos}
    r = httpx.post(f"{sandbox_url.rstrip('/')}/_sandbox/comunicacoes", timeout=30,
                   json={"niss_ee": niss_ee, "comunicacao": corpo})
    r.raise_for_status()
    return r.json()
