"""The payment-document protocol of the PSI (``ci/documento-pagamento``), as the live service runs it.

PUBLIC-CLIENT (diegobarbosa88/atualizacao-app-magnetic-place, ``api/seguranca-social/index.js``): the emission
``POST .../pedido-emissao`` (body ``{"ambito": 11}``) answers 1 accepted / 10 a request is already processing /
11 a valid answer exists, each with a ``chave``; the poll ``GET .../consulta-pedido/{chave}`` answers 10 processing,
14 expired (ask again), 15 processed with nothing to pay, 1 success with ``resultado[]`` (the documents), 13 unknown
key, 0 internal error.

``obter_documentos(client, chave)`` runs that protocol for a sync ``PsiClient``; ``aobter_documentos`` for an
``AsyncPsiClient`` — both drive the one state machine ``_fluxo``. Guarantees:

- never a second emission while one is processing: given a ``chave`` (a request already made), it only polls;
  without one it asks once, and hands the new ``chave`` to ``ao_pedir`` *before* polling, so the caller can store
  it and a crash resumes polling instead of asking again;
- 14 (expired) → asks again exactly once (the expired request is no longer processing); a second 14 is an error;
- 15 → ``ResultadoEmissao(estado="SEM_VALORES")``: processed, nothing to pay — said clearly, not an empty list;
- polling waits 20 % of the time waited so far, never less than ``intervalo_min`` (the floor) nor more than
  ``intervalo_max`` (the ceiling), ± 10 % jitter (``ciclo.psi.espera``); after ``timeout`` seconds still
  processing → ``EmissaoEmProcessamento`` carrying the ``chave`` (retry with it: no new request is made).

``obter_documentos_varios`` follows several employers' emissions in **one** loop: each asks once (as above), then
every pending request is polled in the same round and the loop waits once per round (the requests due within half
a floor of the earliest, polled when the last of them is due: never before its own wait) — n employers take about
one emission's time, not n. Each employer's outcome is its own (a result or its exception).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ciclo.psi import models as M
from ciclo.psi.errors import PsiError
from ciclo.psi.espera import FRACAO, JITTER, PISO, Espera
from ciclo.psi.models import documento_pagamento as DP

AMBITO_CONTRIBUICOES_EE = 11  # ambito 11 = contribuições da entidade empregadora (closed list 11–20)
PISO_S = PISO  # ASSUMED (ciclo.psi.espera): the shortest wait between two polls of one request
TETO_S = 15.0  # ASSUMED: the emission takes seconds to minutes; a ready document waits at most this long unseen
RONDA = 0.5    # requests due within half a floor of each other are polled in one round (obter_documentos_varios)


class EmissaoRecusada(PsiError):
    """The emission answered a codigoResultado other than 1/10/11."""


class EmissaoEmProcessamento(PsiError):
    """Still processing after the allowed time. ``chave`` is the request to keep polling — never ask again."""

    retryable = True

    def __init__(self, message: str, *, chave: str, **kw):
        super().__init__(message, **kw)
        self.chave = chave


class EmissaoExpirada(PsiError):
    """The request expired (14) again after asking once more."""


class ChaveDesconhecida(PsiError):
    """codigoResultado 13: the service does not know this ``chave`` (not a request of this credential/employer)."""

    def __init__(self, message: str, *, chave: str, **kw):
        super().__init__(message, **kw)
        self.chave = chave


@dataclass(frozen=True)
class ResultadoEmissao:
    """``estado`` is ``"DOCUMENTOS"`` (codigoResultado 1; ``documentos`` the documents) or ``"SEM_VALORES"``
    (15: processed, nothing to pay). ``pedidos`` counts the emissions this call made (0 when it only polled)."""

    estado: str
    chave: str
    documentos: list[M.DocumentoPagamento] = field(default_factory=list)
    mensagem: str | None = None
    pedidos: int = 0

    @property
    def sem_valores(self) -> bool:
        return self.estado == "SEM_VALORES"


def _fluxo(chave: str | None, niss_ee: str | None, espera: Espera, timeout: float,
           relogio: Callable[[], float], ao_pedir: Callable[[str, int], None] | None,
           rng: random.Random | None = None) -> Generator[tuple, object, ResultadoEmissao]:
    """Yields ("pedir",) | ("consultar", chave) | ("esperar", seconds) and receives each answer."""
    quem = f"employer {niss_ee}" if niss_ee else "this credential"
    pedidos = 0
    reemissoes = 0

    def pedir():
        nonlocal pedidos
        resp = yield ("pedir",)
        pedidos += 1
        if resp.codigoResultado not in (DP.SUCESSO, DP.EM_PROCESSAMENTO, DP.RESPOSTA_VALIDA_EXISTE) or not resp.chave:
            raise EmissaoRecusada(f"payment document emission for {quem} refused: codigoResultado "
                                  f"{resp.codigoResultado}: {resp.mensagem or 'no message'}",
                                  servico="pedidoEmissaoDocumentoPagamento")
        if ao_pedir is not None:
            ao_pedir(resp.chave, resp.codigoResultado)
        return resp.chave

    if not chave:
        chave = yield from pedir()
    inicio = relogio()
    while True:
        r = yield ("consultar", chave)
        c = r.codigoResultado
        if c == DP.SUCESSO:
            return ResultadoEmissao("DOCUMENTOS", chave, list(r.resultado), r.mensagem, pedidos)
        if c == DP.SEM_VALORES:
            return ResultadoEmissao("SEM_VALORES", chave, [], r.mensagem or "processed: nothing to pay", pedidos)
        if c == DP.EXPIRADO:
            if reemissoes >= 1:
                raise EmissaoExpirada(f"payment document request {chave} for {quem} expired again after asking once "
                                      f"more (codigoResultado 14)", servico="consultarPedidoEmissao")
            reemissoes += 1
            chave = yield from pedir()
            inicio = relogio()
            continue
        if c == DP.CHAVE_DESCONHECIDA:
            raise ChaveDesconhecida(f"payment document request {chave} is unknown to the Segurança Social for {quem} "
                                    f"(codigoResultado 13): forget this chave and ask again", chave=chave,
                                    servico="consultarPedidoEmissao")
        if c != DP.EM_PROCESSAMENTO:
            raise PsiError(f"payment document request {chave} for {quem}: codigoResultado {c}: "
                           f"{r.mensagem or 'internal error of the Segurança Social'}", servico="consultarPedidoEmissao")
        decorrido = relogio() - inicio
        if decorrido >= timeout:
            raise EmissaoEmProcessamento(f"payment document request {chave} for {quem} still processing after "
                                         f"{decorrido:.0f} s; poll it again later with this chave (no new request is "
                                         f"made)", chave=chave, servico="consultarPedidoEmissao")
        yield ("esperar", min(espera.proxima(decorrido, rng), max(0.0, timeout - decorrido)))


@dataclass(frozen=True)
class PedidoEmissao:
    """One employer's emission for ``obter_documentos_varios``: its sync ``PsiClient``, the ``chave`` of a request
    already made (None: ask once), the employer a representative acts for, and the hook given each new ``chave``."""

    client: Any
    chave: str | None = None
    niss_ee: str | None = None
    ambito: int = AMBITO_CONTRIBUICOES_EE
    ao_pedir: Callable[[str, int], None] | None = None


def _espera(intervalo_min: float, intervalo_max: float, fracao: float, jitter: float) -> Espera:
    return Espera(intervalo_min, intervalo_max, fracao, jitter)  # a ceiling below the floor is an error, said there


def obter_documentos_varios(pedidos: Sequence[PedidoEmissao], *, intervalo_min: float = PISO_S,
                            intervalo_max: float = TETO_S, timeout: float = 300.0, fracao: float = FRACAO,
                            jitter: float = JITTER, sleep: Callable[[float], None] = time.sleep,
                            relogio: Callable[[], float] = time.monotonic,
                            rng: random.Random | None = None) -> list[ResultadoEmissao | Exception]:
    """Several emissions followed together (see the module docstring). Returns, in the order of ``pedidos``, each
    one's ``ResultadoEmissao`` or the exception that ended it (refused, expired twice, unknown key, still
    processing after ``timeout``, a transport error after the client's retries): one employer's failure is its
    outcome and never stops the others."""
    espera = _espera(intervalo_min, intervalo_max, fracao, jitter)
    # A round: every request due within RONDA × the floor of the earliest one, polled together once the last of
    # them is due — never before its own wait is over (the floor holds), at most that much later. Their jitter and
    # the time between their requests (POSTs one after another, a slow answer) would otherwise split a round.
    janela = espera.piso * RONDA
    saida: list[ResultadoEmissao | Exception | None] = [None] * len(pedidos)
    fluxos = {i: _fluxo(pe.chave, pe.niss_ee, espera, timeout, relogio, pe.ao_pedir, rng) for i, pe in enumerate(pedidos)}
    acordar = {i: relogio() for i in fluxos}
    while fluxos:
        primeiro = min(acordar[i] for i in fluxos)
        ronda = sorted(i for i in fluxos if acordar[i] <= primeiro + janela)
        falta = max(acordar[i] for i in ronda) - relogio()
        if falta > 0:
            sleep(falta)
        for i in ronda:
            pe, g, resposta = pedidos[i], fluxos[i], None
            try:
                while True:
                    acao = g.send(resposta)
                    if acao[0] == "pedir":
                        resposta = pe.client.pedir_emissao_documentos(pe.niss_ee, ambito=pe.ambito)
                    elif acao[0] == "consultar":
                        resposta = pe.client.consultar_pedido_emissao(acao[1], niss_ee=pe.niss_ee)
                    else:
                        acordar[i] = relogio() + acao[1]
                        break
            except StopIteration as fim:
                saida[i] = fim.value
                del fluxos[i]
            except Exception as exc:  # noqa: BLE001 - not swallowed: it is this employer's outcome, returned
                saida[i] = exc
                del fluxos[i]
    return saida  # type: ignore[return-value]


def obter_documentos(client, chave: str | None = None, *, niss_ee: str | None = None,
                     ambito: int = AMBITO_CONTRIBUICOES_EE, intervalo_min: float = PISO_S,
                     intervalo_max: float = TETO_S, timeout: float = 300.0,
                     ao_pedir: Callable[[str, int], None] | None = None,
                     sleep: Callable[[float], None] = time.sleep, relogio: Callable[[], float] = time.monotonic,
                     fracao: float = FRACAO, jitter: float = JITTER,
                     rng: random.Random | None = None) -> ResultadoEmissao:
    """Payment documents through a sync ``PsiClient``: poll ``chave`` if given, else ask once and poll (see the
    module docstring). ``niss_ee`` is the employer a representative acts for (None: the credential's own)."""
    [r] = obter_documentos_varios([PedidoEmissao(client, chave, niss_ee, ambito, ao_pedir)],
                                  intervalo_min=intervalo_min, intervalo_max=intervalo_max, timeout=timeout,
                                  fracao=fracao, jitter=jitter, sleep=sleep, relogio=relogio, rng=rng)
    if isinstance(r, Exception):
        raise r
    return r


async def aobter_documentos(client, chave: str | None = None, *, niss_ee: str | None = None,
                            ambito: int = AMBITO_CONTRIBUICOES_EE, intervalo_min: float = PISO_S,
                            intervalo_max: float = TETO_S, timeout: float = 300.0,
                            ao_pedir: Callable[[str, int], None] | None = None,
                            relogio: Callable[[], float] = time.monotonic, fracao: float = FRACAO,
                            jitter: float = JITTER) -> ResultadoEmissao:
    """``obter_documentos`` for an ``AsyncPsiClient``."""
    g = _fluxo(chave, niss_ee, _espera(intervalo_min, intervalo_max, fracao, jitter), timeout, relogio, ao_pedir)
    resposta = None
    while True:
        try:
            acao = g.send(resposta)
        except StopIteration as fim:
            return fim.value
        if acao[0] == "pedir":
            resposta = await client.pedir_emissao_documentos(niss_ee, ambito=ambito)
        elif acao[0] == "consultar":
            resposta = await client.consultar_pedido_emissao(acao[1], niss_ee=niss_ee)
        else:
            await asyncio.sleep(acao[1])
            resposta = None
