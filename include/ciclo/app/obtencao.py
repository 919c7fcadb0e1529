"""Step 6: the valores apurados per worker, fetched into the ledger.

One task per employer: the bulk async client fetches with a bounded concurrency (the employer's connection's
budget, whatever else runs), and a batching writer thread commits the documents (one transaction per few hundred,
never on the event loop). A re-run fetches only the workers not yet in the ledger.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from ciclo.app.contexto import Execucao
from ciclo.app.erros import NadaAFazer, Repetivel
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultadoObtencao:
    niss_ee: str
    obtidos: int

    def as_dict(self) -> dict:
        return asdict(self)


def obter_todos(ex: Execucao, p: Portas) -> ResultadoObtencao:
    """Record the month's apuramento, then fetch every worker not yet in the ledger in one bulk pass (bounded
    concurrency per employer); fetched documents are kept even when others fail (a retry fetches only the rest)."""
    from ciclo.psi.bulk import BatchingSink, fetch_valores_apurados_sync

    ligacao = p.psi(ex.employer)
    with p.cliente(ex) as client:
        mensal = client.valores_apurados_mensal(ex.niss_ee, ex.mes)
        lista = client.obrigacao_trabalhadores(ex.niss_ee, ex.mes)
    estado = str(mensal.estado) if mensal.estado is not None else None
    nisses = [str(w.nissTrabalhador).zfill(11) for w in lista]
    p.ledger.apuramentos.registar(ex.niss_ee, ex.mes, estado or "DESCONHECIDO", n_trabalhadores=len(nisses),
                                  total_remuneracao=mensal.totalRemuneracao, total_obrigacao=mensal.totalObrigacao,
                                  data_limite_pagamento=mensal.dataLimitePagamento)
    if estado not in ("APURADO", "CONFIRMADO"):
        raise NadaAFazer(f"{ex.rotulo}: apuramento is {estado}; nothing to fetch")
    apurados = p.ledger.apurados
    falta = apurados.em_falta(ex.niss_ee, ex.mes, nisses)
    log.info("%s: %d workers apurados, %d still to fetch", ex.rotulo, len(nisses), len(falta))
    if not falta:
        return ResultadoObtencao(ex.niss_ee, 0)

    def gravar(docs: list[tuple[str, dict]]) -> None:
        apurados.guardar(ex.niss_ee, ex.mes, [d for _, d in docs])

    with BatchingSink(gravar, max_batch=250) as sink:
        res = fetch_valores_apurados_sync(ligacao.get_async_client, ex.niss_ee, ex.mes, falta, sink,
                                          concurrency=ligacao.concurrency, rate_per_second=ligacao.rate_per_second)
    # one audit row for the bulk fetch (a row per worker's GET would cost the fetch its speed)
    p.ledger.auditoria.registar("consultarValoresApuradosTrabalhador", "GET", "ok" if not res.failed else "erro",
                                int(res.seconds * 1000), niss_ee=ex.niss_ee, ano_mes=ex.mes,
                                referencia=f"{res.done}/{len(falta)} workers")
    if res.failed:
        amostra = ", ".join(f"{n} ({m})" for n, m in list(res.failed.items())[:10])
        raise Repetivel(f"{ex.rotulo}: {len(res.failed)} of {len(falta)} workers could not be fetched after "
                        f"retries: {amostra}. Fetched ones are kept; a retry fetches only the rest.")
    return ResultadoObtencao(ex.niss_ee, res.done)
