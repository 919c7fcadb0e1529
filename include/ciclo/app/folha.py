"""Step 1–2: the payroll snapshot and the data-quality gate.

The export is read once per employer and month from its location, kept byte for byte in the ledger under its
content hash (so every later step, on any worker, reads the same payroll), checked against the rules, and — when it
passes — turned into the payload that sending will accept and the internal totals the reconciliation compares.
"""

from __future__ import annotations

import contextvars
import logging
import tempfile
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ciclo.app.contexto import Execucao
from ciclo.app.erros import BloqueadoQualidade, Definitivo, Repetivel
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultadoFolha:
    content_hash: str
    trabalhadores: int
    linhas_remuneracao: int
    erros: int
    avisos: int
    relatorio: str | None
    payload_hash: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def _carregar(ex: Execucao, ficheiros: dict[str, bytes], tipos: tuple[str, ...] | None = None):
    from ciclo.payroll import load_payroll

    with tempfile.TemporaryDirectory(prefix="ciclo-folha-") as tmp:
        for nome, dados in ficheiros.items():
            (Path(tmp) / nome).write_bytes(dados)
        return load_payroll(tmp, ex.mes, ex.niss_ee, mapping=ex.employer.mapping, tipos=tipos)


def preparar_folha(ex: Execucao, p: Portas) -> ResultadoFolha:
    """Read the export, snapshot it, run the quality rules; on success store the payload and the internal totals.
    Raises ``BloqueadoQualidade`` (nothing is sent) with the report's path when errors remain."""
    r = preparar_folhas([ex], p)[0]
    if isinstance(r, Exception):
        raise r
    return r


def preparar_folhas(execucoes: list[Execucao], p: Portas) -> list[ResultadoFolha | Exception]:
    """``preparar_folha`` for a lote's employers: one outcome per employer, in order (a result, or the exception
    that stops only that employer). Each export is read and snapshotted on its own; the quality rules run for all
    of them together (``check_payrolls``: the Great Expectations suites once, not once per employer)."""
    from ciclo.payroll import PayrollLoadError
    from ciclo.quality import check_payrolls

    saidas: list[ResultadoFolha | Exception | None] = [None] * len(execucoes)
    lidos: list[tuple[int, object]] = []
    for i, ex in enumerate(execucoes):
        local = ex.employer.payroll_url(ex.mes)
        try:
            ficheiros = p.fonte.ler(local)
            payroll = _carregar(ex, ficheiros)
            payroll.localizacao = local
            usados = {nome: tipo for tipo, nome in payroll.ficheiros.items() if nome}
            guardados = {n: (usados[n], ficheiros[n]) for n in usados}
            p.ledger.folhas.guardar_ficheiros(payroll.content_hash, guardados)
            # the later steps of this process read the snapshot from here, not by parsing it again
            _lembrar(ex, payroll.content_hash, payroll, sum(len(b) for _, b in guardados.values()))
            ficheiros = guardados = None  # the export's bytes are in the ledger: not kept through the checks
        except PayrollLoadError as exc:
            saidas[i] = Definitivo(f"{ex.rotulo}: payroll export unreadable: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - this employer's outcome (classified by the lote), not the lote's
            saidas[i] = exc
            continue
        lidos.append((i, payroll))
    if lidos:
        resultados = check_payrolls([payroll for _, payroll in lidos])
        for (i, payroll), res in zip(lidos, resultados):
            try:
                saidas[i] = _concluir(execucoes[i], p, payroll, res)
            except Exception as exc:  # noqa: BLE001 - as above
                saidas[i] = exc
    return saidas


def _concluir(ex: Execucao, p: Portas, payroll, res) -> ResultadoFolha:
    """The quality verdict of one employer: report, payload and internal totals, snapshot; errors stop it."""
    from ciclo.app.envio import corpo_validado
    from ciclo.quality import write_report

    paths = write_report(res, p.definicoes.pasta_relatorio(ex.niss_ee, ex.mes))
    viol = res.violations.to_dict("records") if hasattr(res.violations, "to_dict") else [
        v if isinstance(v, dict) else v.__dict__ for v in res.violations]
    erros = sum(1 for v in viol if v["severity"] == "error")
    avisos = sum(1 for v in viol if v["severity"] == "warning")
    relatorio = str(paths.get("html")) if paths.get("html") else None
    log.info("%s", res.summary_text())

    payload_json = p_hash = None
    if res.ok:
        # The one payload sending will accept: built from exactly these bytes, validated against the wire model.
        payload_json, p_hash = corpo_validado(payroll)
        _gravar_internos(ex, p, payroll)
    p.ledger.folhas.registar(ex.niss_ee, ex.mes, payroll.content_hash, n_trabalhadores=int(len(payroll.trabalhadores)),
                             n_remuneracoes=int(len(payroll.remuneracoes)), quality_ok=bool(res.ok), n_erros=erros,
                             n_avisos=avisos, report_path=relatorio, payload_hash=p_hash, payload_json=payload_json)
    if not res.ok:
        raise BloqueadoQualidade(f"{ex.rotulo}: {erros} data-quality error(s) block sending; nothing was sent. "
                                 f"Report: {relatorio}")
    return ResultadoFolha(payroll.content_hash, int(len(payroll.trabalhadores)), int(len(payroll.remuneracoes)),
                          erros, avisos, relatorio, p_hash)


def _gravar_internos(ex: Execucao, p: Portas, payroll) -> None:
    """The payroll side of the reconciliation, computed now so that reconciling never reloads the payroll."""
    from ciclo.domain.dinheiro import to_cent
    from ciclo.payroll.incidencia import por_natureza
    from ciclo.reconciliacao import internos_da_folha, linhas_internas

    trab, rem = linhas_internas(internos_da_folha(payroll), ex.ano_mes.primeiro_dia)
    # and the incidence per natureza for the finance workbook, so that the report does not parse the payroll again
    incidencia = [{"natureza": t["natureza"], **{f"{k}_cent": to_cent(t[k]) for k in ("bruto", "isento", "sujeito")}}
                  for t in por_natureza(payroll)]
    p.ledger.reconciliacoes.gravar_internos(ex.niss_ee, ex.mes, trab, rem, incidencia)


def snapshot_verificado(ex: Execucao, p: Portas, content_hash: str | None = None) -> dict:
    """The snapshot that passed quality for this month (the latest, or the one named). A later step never works
    from a payroll that was not checked."""
    snap = (p.ledger.folhas.por_hash(ex.niss_ee, ex.mes, content_hash) if content_hash
            else p.ledger.folhas.ultima(ex.niss_ee, ex.mes))
    if snap is None:
        raise Repetivel(f"{ex.rotulo}: no payroll snapshot in the ledger (the quality step has not run for it)")
    if not snap["quality_ok"]:
        raise BloqueadoQualidade(f"{ex.rotulo}: the payroll snapshot {snap['content_hash'][:12]} did not pass the "
                                 f"quality gate; nothing is sent. Report: {snap['report_path']}")
    return snap


# the kinds of file the contract steps read (the review's providers, contract changes, cessations): the workers
# and their contracts, not the remuneration lines — the largest file, more than half of a large payroll's frames
TIPOS_CONTRATOS = ("trabalhadores", "contratos")


def carregar_snapshot(ex: Execucao, p: Portas, content_hash: str, ficheiros: dict[str, bytes] | None = None, *,
                      tipos: tuple[str, ...] | None = None):
    """The payroll of a snapshot, parsed from the bytes kept in the ledger (never re-read from its location);
    ``ficheiros``: those bytes when the caller already read them; ``tipos``: only these kinds of file parsed
    (``load_payroll(tipos=)``: the others are ``None``), the whole export still hashed and checked.

    Several steps read the same snapshot (the review's providers, contract changes, cessations, the report): a
    small one is parsed once per process and shared (``_MEMO``; the snapshot is content-addressed, so a hit is the
    same payroll byte for byte); a whole payroll kept serves a caller that asks for some kinds. Callers only read
    it."""
    chaves = [_chave_memo(ex, content_hash)] + ([_chave_memo(ex, content_hash, tipos)] if tipos is not None else [])
    partilhadas = _PARTILHADAS.get()
    for chave in chaves:
        if partilhadas is not None and chave in partilhadas:
            return partilhadas[chave]
    with _MEMO_TRAVA:
        for chave in chaves:
            if chave in _MEMO:
                _MEMO.move_to_end(chave)
                return _MEMO[chave][0]
    ficheiros = p.ledger.folhas.ficheiros(content_hash) if ficheiros is None else ficheiros
    if not ficheiros:
        raise Definitivo(f"{ex.rotulo}: snapshot {content_hash[:12]} has no files in the ledger")
    payroll = _carregar(ex, ficheiros, tipos)
    if payroll.content_hash != content_hash:
        raise Definitivo(f"{ex.rotulo}: snapshot {content_hash[:12]} does not reproduce its hash "
                         f"({payroll.content_hash[:12]}); the ledger's copy is damaged")
    _lembrar(ex, content_hash, payroll, sum(len(b) for b in ficheiros.values()), tipos)
    return payroll


def _chave_memo(ex: Execucao, content_hash: str, tipos: tuple[str, ...] | None = None) -> tuple:
    return (content_hash, ex.niss_ee, ex.mes, repr(ex.employer.mapping), None if tipos is None else tuple(sorted(tipos)))


def _lembrar(ex: Execucao, content_hash: str, payroll, tamanho: int, tipos: tuple[str, ...] | None = None) -> None:
    """Keep a small parsed snapshot for the later steps of this process (``_MEMO``); a large one only until the
    end of the step that asked for it to be shared (``folhas_partilhadas``). ``tipos``: the kinds it was parsed
    with (``None``: all)."""
    chave = _chave_memo(ex, content_hash, tipos)
    if tamanho > MEMO_MAX_BYTES_FOLHA:
        partilhadas = _PARTILHADAS.get()
        if partilhadas is not None:
            partilhadas[chave] = payroll
        return
    with _MEMO_TRAVA:
        _MEMO[chave] = (payroll, tamanho)
        while len(_MEMO) > MEMO_MAX_FOLHAS or sum(t for _, t in _MEMO.values()) > MEMO_MAX_BYTES:
            _MEMO.popitem(last=False)


@contextmanager
def folhas_partilhadas():
    """Within this block (one step, on the thread that runs it), a payroll parsed once is shared by every reader,
    whatever its size, and let go when the block ends. The review's providers each read the snapshot: a
    50,000-worker payroll was parsed twice in that one step (≈ 3 s each), and the process memo keeps only small
    ones, so as not to hold large frames for the rest of the process."""
    token = _PARTILHADAS.set({})
    try:
        yield
    finally:
        _PARTILHADAS.reset(token)


_PARTILHADAS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("folhas_partilhadas", default=None)

# parsed snapshots kept per process: small exports only (a large one is parsed where needed and let go: its frames
# are many times its bytes), at most MEMO_MAX_FOLHAS of them and MEMO_MAX_BYTES of exports, least recent out first
MEMO_MAX_BYTES_FOLHA = 1_000_000
MEMO_MAX_FOLHAS = 512
MEMO_MAX_BYTES = 16_000_000
_MEMO: OrderedDict = OrderedDict()
_MEMO_TRAVA = threading.Lock()
