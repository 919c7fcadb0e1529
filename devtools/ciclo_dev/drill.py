"""``make drill``: the fault drill. Runs one employer's month through the application layer (``ciclo.app``, the
same steps the DAG runs) against the PSI sandbox while faults are injected, processes are killed and executions
race, then checks what a user would check: at the Segurança Social (the sandbox's request log and submissions),
in the ledger and in the mailbox. One line per case, then a JSON line:

    {"cases": N, "held": N, "duplicate_posts": 0, "lost": 0, "seconds": S, "ledger": "sqlite"}

``--fast`` runs the subset CI runs; ``--pg URL`` (or ``CICLO_TEST_PG_URL``) runs it again with the ledger on
PostgreSQL (a fresh database per case). The month runs in this process, except where a case kills it: there it
runs in a child process (``python -m ciclo_dev.drill --child ...``) that is SIGKILLed at the chosen moment.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

MES = "202610"
# The day the correction case judges the art. 26.º window on, at the app and at the sandbox: MES's window in time
# (until 2026-12-31; late until 2027-03-22, then closed). With the real date the case would stop holding from
# 2027-03-23 for the calendar's sake, not for what the drill checks (nothing sent twice or lost).
DIA_CORRECAO = date(2026, 12, 1)
POSTS = ("valores-remuneracao", "/confirmar", "pedido-emissao")


# ------------------------------------------------------------------------------------------------ the month
@dataclass
class Ambiente:
    """Where one case runs: the sandbox, the scenario's employer, a ledger URL, an SMTP catcher, a home."""

    sandbox: object
    smtp: object
    pasta: Path
    ledger_url: str
    employer: dict
    password: str = "sandbox"
    timeout: float = 3.0
    login: str | None = None  # the credential's NISS (default: the employer's own)

    def portas(self):
        from ciclo.app.configuracao import Definicoes
        from ciclo.app.portas import FontePastaLocal, LigacaoDireta, Portas, SmtpMailer
        from ciclo.ledger import Ledger
        from ciclo.psi.rest import RetryPolicy

        d = Definicoes(home=self.pasta / "home", ledger_url=self.ledger_url, emissao_poll_s=0.2)
        lig = LigacaoDireta.sandbox(self.sandbox.url, self.login or self.employer["niss_ee"], self.password,
                                    timeout=self.timeout,
                                    concurrency=8, retry=RetryPolicy(attempts=4, wait_initial=0.05, wait_max=0.3))
        return Portas(definicoes=d, abrir_ledger=lambda: Ledger(self.ledger_url), psi=lambda e: lig,
                      fonte=FontePastaLocal(), mailer=SmtpMailer("127.0.0.1", self.smtp.port))

    def execucao(self, permitir_correcao: bool = False):
        from ciclo.app.configuracao import Employer
        from ciclo.app.contexto import Execucao
        from ciclo.domain.periodo import AnoMes

        return Execucao(Employer.from_dict(self.employer), AnoMes.parse(MES), permitir_correcao=permitir_correcao)


def esperar_apurado(ex, p, limite: float = 30.0) -> None:
    """Until the SS's apuramento of ``ex``'s month is available (tests that drive the steps themselves)."""
    from ciclo.app.apuramento import estado_sync

    fim = time.monotonic() + limite
    with p.psi(ex.employer).get_client() as c:
        while not estado_sync(c, ex.niss_ee, ex.mes).pronto:
            assert time.monotonic() < fim, f"apuramento of {ex.rotulo} not ready within {limite:.0f} s"
            time.sleep(0.1)


def executar_mes(amb: Ambiente, *, permitir_correcao: bool = False, tentativas: int = 4, espera_max: float = 60.0) -> dict:
    """The month, step by step as the DAG runs it: each step retried like an Airflow task (``Repetivel`` and
    transient PSI errors), a ``Definitivo`` stops the employer, ``NadaAFazer`` skips. The operator approves."""
    from ciclo.app import contratos, decisao, documentos, envio, folha, obtencao, relatorio
    from ciclo.app.apuramento import estado_sync
    from ciclo.app.configuracao import ConfigError
    from ciclo.app.erros import Definitivo, NadaAFazer
    from ciclo.app.resumo import linha_do_employer
    from ciclo.psi.errors import PsiAuthError, PsiForbiddenError, PsiValidationError

    ex = amb.execucao(permitir_correcao)
    p = amb.portas()
    falhas: list[str] = []

    def passo(nome, fn, *args):
        for i in range(tentativas):
            try:
                return fn(ex, p, *args)
            except NadaAFazer:
                return None
            except (Definitivo, ConfigError, PsiAuthError, PsiForbiddenError, PsiValidationError) as exc:
                falhas.append(f"{nome}: {type(exc).__name__}: {exc}")
                raise _Parar() from None
            except Exception as exc:  # noqa: BLE001 - a task failure: Airflow would retry it, so does the drill
                if i == tentativas - 1:
                    falhas.append(f"{nome}: {type(exc).__name__}: {exc}")
                    raise _Parar() from None
                time.sleep(0.3 * (i + 1))

    try:
        try:
            passo("preparar_folha", folha.preparar_folha)
            passo("comunicar_contratos", contratos.comunicar_contratos)
            passo("enviar_valores", envio.enviar_valores)
            fim = time.monotonic() + espera_max
            while True:
                try:
                    with p.psi(ex.employer).get_client() as c:
                        if estado_sync(c, ex.niss_ee, ex.mes).pronto:
                            break
                except (PsiAuthError, PsiForbiddenError) as exc:
                    falhas.append(f"esperar_apuramento: {exc}")
                    raise _Parar() from None
                except Exception:  # noqa: BLE001 - the trigger keeps waiting through transient errors
                    pass
                if time.monotonic() > fim:
                    falhas.append("esperar_apuramento: not ready in time")
                    raise _Parar()
                time.sleep(0.3)
            passo("obter_apurados", obtencao.obter_todos)
            rec = passo("reconciliar", decisao.reconciliar)
            rec = rec.as_dict() if rec else None
            auto = passo("confirmar_automaticamente", decisao.confirmar_automaticamente, rec)
            if auto is None and rec is not None:
                try:
                    decisao.pedido_aprovacao(ex, p, rec)
                    passo("aplicar_decisao", decisao.aplicar_resposta,
                          {"chosen_options": ["Approve"], "responded_by_user": {"id": "drill", "name": "Operador do drill"}})
                except NadaAFazer:
                    pass
            passo("documentos_pagamento", documentos.emitir_documentos)
            passo("relatorio_financas", relatorio.relatorio_financas)
        except _Parar:
            pass
        return {**linha_do_employer(ex, p), "falhas": falhas}
    finally:
        p.fechar()


class _Parar(Exception):
    pass


# ------------------------------------------------------------------------------------------------ observing
def posts(amb: Ambiente, caminho: str) -> int:
    """POSTs the SS processed (answered 2xx, or processed and the answer lost): a 5xx/429 refused before
    processing wrote nothing there, and retrying it is not a duplicate."""
    pedidos = amb.sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": caminho, "limit": 100000})
    return len([r for r in pedidos if 200 <= (r.get("status") or 0) < 300])  # lost_ack logs the processed status


def submissoes_ss(amb: Ambiente) -> list[dict]:
    return amb.sandbox.admin("GET", "submissions", params={"niss_ee": amb.employer["niss_ee"], "ano_mes": MES})


def gets_trabalhador(amb: Ambiente) -> int:
    return len(amb.sandbox.admin("GET", "requests", params={"method": "GET", "path_contains": "/trabalhador/",
                                                           "limit": 100000}))


def emails(amb: Ambiente) -> int:
    return len(amb.smtp.files())


@dataclass
class Resultado:
    caso: str
    held: bool
    detalhe: str
    duplicados: int = 0
    perdidos: int = 0


def _verificar_uma_vez(amb: Ambiente, caso: str, linha: dict, *, esperado="CONCLUIDO", extra: str = "") -> Resultado:
    """The month got through, and the SS saw each write exactly once."""
    contagens = {c: posts(amb, c) for c in POSTS}
    subs = len(submissoes_ss(amb))
    duplicados = max(0, subs - 1) + sum(max(0, n - 1) for c, n in contagens.items() if c != "valores-remuneracao")
    obtidos, esperados = linha["apurados_obtidos"], linha["apurados_esperados"] or 0
    perdidos = max(0, esperados - obtidos) if esperado == "CONCLUIDO" else 0
    held = linha["estado"] == esperado and duplicados == 0 and perdidos == 0 and subs == 1
    det = (f"estado {linha['estado']}, submissions at the SS {subs}, POSTs "
           + ", ".join(f"{c.strip('/')} {n}" for c, n in contagens.items())
           + f", apurados {obtidos}/{esperados}" + (f"; {extra}" if extra else "")
           + ("" if held else f"; failures: {linha['falhas'][:2]}"))
    return Resultado(caso, held, det, duplicados, perdidos)


# ------------------------------------------------------------------------------------------------ child process
def _filho(amb: Ambiente, **kw) -> subprocess.Popen:
    estado = {"sandbox": amb.sandbox.url, "smtp": amb.smtp.port, "pasta": str(amb.pasta), "ledger": amb.ledger_url,
              "employer": amb.employer, "password": amb.password, "login": amb.login, "kw": kw}
    return subprocess.Popen([sys.executable, "-m", "ciclo_dev.drill", "--child", json.dumps(estado)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _correr_filho(texto: str) -> int:
    e = json.loads(texto)

    class _Url:  # just enough of SandboxProcess / SmtpCatcher for the ports
        def __init__(self, url=None, port=None):
            self.url, self.port = url, port

    amb = Ambiente(_Url(url=e["sandbox"]), _Url(port=e["smtp"]), Path(e["pasta"]), e["ledger"], e["employer"],
                   e["password"], login=e["login"])
    executar_mes(amb, **e["kw"])
    return 0


def _matar_quando(proc: subprocess.Popen, condicao, limite: float = 60.0) -> bool:
    fim = time.monotonic() + limite
    while time.monotonic() < fim:
        if proc.poll() is not None:
            return False
        if condicao():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            return True
        time.sleep(0.05)
    proc.kill()
    proc.wait(10)
    return False


# ------------------------------------------------------------------------------------------------ the cases
def _editar_folha(amb: Ambiente, mais: str = "10.00") -> None:
    """Raise one variable remuneration line of the payroll (what an accountant's correction looks like)."""
    f = Path(amb.employer["payroll_location"].replace("file://", "").format(niss_ee=amb.employer["niss_ee"],
                                                                          ano_mes=MES)) / "remuneracoes.csv"
    linhas = list(csv.DictReader(io.StringIO(f.read_text(encoding="utf-8"))))
    alvo = next(l for l in linhas if l["natureza"] in ("B", "M", "S", "T", "C"))
    alvo["valor"] = str(Decimal(alvo["valor"]) + Decimal(mais))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(linhas[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(linhas)
    f.write_text(out.getvalue(), encoding="utf-8")


def caso_base(amb):
    return _verificar_uma_vez(amb, "happy path", executar_mes(amb))


def caso_lost_ack(amb):
    amb.sandbox.admin("PUT", "faults", json=[{"method": "POST", "path": c, "mode": "lost_ack", "times": 1} for c in POSTS])
    return _verificar_uma_vez(amb, "lost acknowledgement on every POST", executar_mes(amb))


def _caso_5xx(taxa):
    def caso(amb):
        amb.sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/ptss/rest/", "mode": "error",
                                                  "status": 503, "rate": taxa},
                                                 {"method": "POST", "path": "/ptss/rest/", "mode": "error",
                                                  "status": 503, "rate": taxa}])
        return _verificar_uma_vez(amb, f"{int(taxa * 100)} % 5xx on every call", executar_mes(amb, tentativas=8))
    return caso


def caso_429(amb):
    amb.sandbox.admin("PUT", "faults", json=[{"method": "POST", "path": c, "mode": "error", "status": 429,
                                              "retry_after": 1, "times": 1} for c in POSTS])
    return _verificar_uma_vez(amb, "429 with Retry-After on every POST", executar_mes(amb))


def caso_hang(amb):
    amb.sandbox.admin("PUT", "faults", json=[{"method": "POST", "path": "valores-remuneracao", "mode": "hang",
                                              "hang_seconds": 6, "times": 1},
                                             {"method": "GET", "path": "/mensal/", "mode": "hang", "hang_seconds": 6,
                                              "times": 1}])
    return _verificar_uma_vez(amb, "hangs (a POST and a GET) past the client's timeout", executar_mes(amb))


def caso_kill_apos_post(amb):
    # the answer to the POST is lost and the look-up after it hangs: the process dies with the outcome unknown
    amb.sandbox.admin("PUT", "faults", json=[{"method": "POST", "path": "valores-remuneracao", "mode": "lost_ack", "times": 1},
                                             {"method": "GET", "path": "/comprovativo", "mode": "hang", "hang_seconds": 30,
                                              "times": 1}])
    proc = _filho(amb)
    morto = _matar_quando(proc, lambda: posts(amb, "valores-remuneracao") >= 1 and len(submissoes_ss(amb)) >= 1)
    time.sleep(0.3)
    amb.sandbox.admin("DELETE", "faults")
    return _verificar_uma_vez(amb, "kill -9 right after the POST, then re-run", executar_mes(amb),
                              extra=f"killed {morto}")


def caso_kill_obtencao(amb):
    from ciclo.ledger import Ledger

    amb.sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/trabalhador/", "mode": "latency",
                                              "latency_ms": 250}])
    proc = _filho(amb)
    morto = _matar_quando(proc, lambda: gets_trabalhador(amb) >= 12, limite=120)
    time.sleep(1.0)  # requests the dead process had in flight still complete (and are logged) at the sandbox
    antes = gets_trabalhador(amb)
    lg = Ledger(amb.ledger_url)
    guardados = len(lg.apurados.obtidos(amb.employer["niss_ee"], MES))
    lg.dispose()
    amb.sandbox.admin("DELETE", "faults")
    linha = executar_mes(amb)
    depois = gets_trabalhador(amb) - antes
    r = _verificar_uma_vez(amb, "kill -9 mid-fetch, then re-run", linha,
                           extra=f"killed {morto}; per-worker GETs before the kill {antes}, in the ledger {guardados}, "
                                 f"fetched by the re-run {depois}")
    # the re-run fetched exactly the workers the ledger did not hold (nothing twice that was kept)
    if linha["apurados_esperados"] is not None and depois != linha["apurados_esperados"] - guardados:
        r.held = False
        r.detalhe += "; the re-run did not fetch exactly the missing workers"
    return r


def caso_reinicio_sandbox(amb):
    amb.sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 3})
    proc = _filho(amb)
    fim = time.monotonic() + 60
    while time.monotonic() < fim and not submissoes_ss(amb):
        time.sleep(0.1)
    amb.sandbox.stop()
    time.sleep(1.0)
    amb.sandbox.start()
    proc.wait(120)
    return _verificar_uma_vez(amb, "sandbox restarted while the month waits", executar_mes(amb))


def _caso_recusado(amb, nome: str, marca: str):
    """Refused credentials: nothing recorded at the SS, the employer stops at the first refusal (no retries)."""
    linha = executar_mes(amb)
    tentativas = sum(posts(amb, c) for c in POSTS)
    subs = len(submissoes_ss(amb))
    held = (subs == 0 and tentativas <= 1 and linha["estado"] != "CONCLUIDO"
            and any(marca in f for f in linha["falhas"]) and bool(linha["falhas"]))
    return Resultado(nome, held, f"estado {linha['estado']}, submissions at the SS {subs}, refused POST attempts "
                                 f"{tentativas}, {linha['falhas'][:1]}", duplicados=subs)


def caso_401(amb):
    amb.password = "errada"
    return _caso_recusado(amb, "401 bad credentials: stops at once, nothing recorded", "credentials rejected")


def caso_403(amb):
    amb.login = "20000003116"  # a valid credential of another employer, which does not represent this one
    # stopped before any call when contract changes need the employer's own credential, else refused with 403
    return _caso_recusado(amb, "403 an employer this credential may not act for", "")


def caso_concorrentes(amb):
    procs = [_filho(amb) for _ in range(2)]
    for pr in procs:
        pr.wait(240)
    return _verificar_uma_vez(amb, "two executions of the month at once", executar_mes(amb))


def caso_sem_ledger(amb):
    from ciclo.app.configuracao import ConfigError, Definicoes

    try:
        Definicoes.do_ambiente({"CICLO_HOME": str(amb.pasta / "home")}).url_do_ledger()
        held = False
    except ConfigError:
        held = True
    n = len(amb.sandbox.admin("GET", "requests", params={"limit": 100000}))
    return Resultado("ledger location missing: refused before any call", held and n == 0, f"requests {n}")


def _pedido_aprovado(amb: Ambiente, espera_max: float = 30.0) -> bool:
    """The review's PEDIDO proposal approved by the operator, created once, and followed until the SS accepts it
    (the month then refreshed as a correction)."""
    from ciclo.app import pedidos
    from ciclo.app.erros import Repetivel

    ex, p = amb.execucao(), amb.portas()
    amb.sandbox.admin("PUT", "pedidos/config", json={"hoje": DIA_CORRECAO.isoformat()})
    try:
        [prop] = pedidos.propostas(ex, p, dia=DIA_CORRECAO)
        pedidos.aplicar(ex, p, prop, aprovado_por="drill", dia=DIA_CORRECAO)
        fim = time.monotonic() + espera_max
        while True:
            try:
                return pedidos.acompanhar_pedido(ex, p).refrescado
            except Repetivel:
                if time.monotonic() > fim:
                    return False
                time.sleep(0.3)
    finally:
        p.fechar()


def caso_correcao(amb):
    """A confirmed month is closed (DR 1-A/2011 art. 21.º n.º 1): its correction is never a re-send, not even with
    allow_correction, but a Pedido (art. 26.º) the operator approves; once the SS accepts it, the month is refreshed."""
    primeiro = executar_mes(amb)
    g1 = gets_trabalhador(amb)
    _editar_folha(amb)
    recusada = executar_mes(amb, permitir_correcao=True)  # a re-send of a closed month: refused, nothing sent
    subs_recusada = len(submissoes_ss(amb))
    aceite = _pedido_aprovado(amb)
    segunda = executar_mes(amb, permitir_correcao=True)
    subs = len(submissoes_ss(amb))  # the accepted Pedido is the month's second communication at the SS
    refetch = gets_trabalhador(amb) - g1
    n_pedidos, n_valores = posts(amb, "/eeaoc/pedido/"), posts(amb, "valores-remuneracao")
    held = (primeiro["estado"] == "CONCLUIDO" and recusada["estado"].startswith("ENVIO_") and subs_recusada == 1
            and aceite and segunda["estado"] == "CONCLUIDO" and segunda["correcao"] and subs == 2
            and n_pedidos == 1 and n_valores == 1
            and refetch >= (segunda["apurados_esperados"] or 0) and emails(amb) == 2)
    return Resultado("correction of a confirmed month: not re-sent, a Pedido approved, the month refreshed", held,
                     f"states {primeiro['estado']} → {recusada['estado']} → {segunda['estado']}, Pedido POSTs "
                     f"{n_pedidos}, valores POSTs {n_valores}, communications {subs_recusada} → {subs}, workers "
                     f"re-fetched {refetch}, emails {emails(amb)}",
                     duplicados=max(0, n_pedidos - 1) + max(0, n_valores - 1))


def caso_correcao_apos_crash(amb):
    amb.sandbox.admin("PUT", "faults", json=[{"method": "POST", "path": "valores-remuneracao", "mode": "lost_ack", "times": 1},
                                             {"method": "GET", "path": "/comprovativo", "mode": "hang", "hang_seconds": 30,
                                              "times": 1}])
    proc = _filho(amb)
    _matar_quando(proc, lambda: len(submissoes_ss(amb)) >= 1)
    amb.sandbox.admin("DELETE", "faults")
    _editar_folha(amb)
    linha = executar_mes(amb)  # an edited payroll, no allow_correction
    subs = len(submissoes_ss(amb))
    held = subs == 1 and linha["estado"].startswith("ENVIO_") and any("allow_correction" in f for f in linha["falhas"])
    return Resultado("crash after the POST + edited payroll without allow_correction: refused", held,
                     f"estado {linha['estado']}, submissions {subs}", duplicados=max(0, subs - 1))


def caso_bloqueado(amb):
    from ciclo_dev.cenario import preparar

    cen = preparar(amb.pasta / "cen-bloqueado", amb.sandbox.url, ano_mes=MES, employers=1, workers=12, seed=31,
                   smtp_port=amb.smtp.port, anomalias="DQ-NISS-02:1")
    amb.employer = cen.employers[0]
    linha = executar_mes(amb)
    n = len(amb.sandbox.admin("GET", "requests", params={"limit": 100000, "method": "POST"}))
    held = linha["estado"] == "BLOQUEADO_QUALIDADE" and n == 0 and emails(amb) == 0
    return Resultado("payroll blocked by data quality: nothing sent, no finance email", held,
                     f"estado {linha['estado']}, POSTs {n}, emails {emails(amb)}", duplicados=n)


def caso_rerun(amb):
    a = executar_mes(amb)
    b = executar_mes(amb)
    r = _verificar_uma_vez(amb, "re-run of a finished month: nothing sent, no second email", b,
                           extra=f"emails {emails(amb)}")
    r.held = r.held and a["estado"] == "CONCLUIDO" and emails(amb) == 1
    return r


CASOS = [caso_base, caso_lost_ack, _caso_5xx(0.10), _caso_5xx(0.30), caso_429, caso_hang, caso_kill_apos_post,
         caso_kill_obtencao, caso_reinicio_sandbox, caso_401, caso_403, caso_concorrentes, caso_sem_ledger,
         caso_correcao, caso_correcao_apos_crash, caso_bloqueado, caso_rerun]
RAPIDOS = [caso_base, caso_lost_ack, _caso_5xx(0.10), caso_kill_apos_post, caso_401, caso_concorrentes,
           caso_correcao_apos_crash, caso_bloqueado]


# ------------------------------------------------------------------------------------------------ driver
def _ledger_url(pg: str | None, pasta: Path) -> str:
    if not pg:
        return f"sqlite:///{pasta / 'ledger.sqlite3'}"
    from ciclo_dev.pg import nova_base

    return nova_base(pg, prefixo="drill_")


def correr(casos, pg: str | None = None, raiz: Path | None = None) -> dict:
    from ciclo_dev.cenario import preparar
    from ciclo_dev.processo import SandboxProcess
    from ciclo_dev.smtp_catcher import SmtpCatcher

    raiz = Path(raiz or tempfile.mkdtemp(prefix="ciclo-drill-"))
    t0 = time.monotonic()
    sb = SandboxProcess(raiz / "sandbox.sqlite3").start()
    resultados: list[Resultado] = []
    try:
        for i, caso in enumerate(casos):
            pasta = raiz / f"caso-{i:02d}"
            smtp = SmtpCatcher(pasta / "mail").start()
            try:
                sb.reset()
                sb.admin("PUT", "config", json={"apuramento_delay_seconds": 0.5, "emissao_delay_seconds": 0.2})
                cen = preparar(pasta / "cen", sb.url, ano_mes=MES, employers=1, workers=30, seed=100 + i,
                               smtp_port=smtp.port)
                amb = Ambiente(sb, smtp, pasta, _ledger_url(pg, pasta), cen.employers[0])
                try:
                    r = caso(amb)
                except Exception as exc:  # noqa: BLE001 - a case that crashes the harness is reported as broken
                    r = Resultado(caso.__name__, False, f"harness error {type(exc).__name__}: {exc}")
            finally:
                smtp.stop()
                sb.admin("DELETE", "faults") if sb.proc else None
            resultados.append(r)
            print(f"{'HELD  ' if r.held else 'BROKEN'} {r.caso}: {r.detalhe}", flush=True)
    finally:
        sb.stop()
        shutil.rmtree(raiz, ignore_errors=True)
    resumo = {"cases": len(resultados), "held": sum(r.held for r in resultados),
              "duplicate_posts": sum(r.duplicados for r in resultados), "lost": sum(r.perdidos for r in resultados),
              "seconds": round(time.monotonic() - t0, 1), "ledger": "postgresql" if pg else "sqlite"}
    print(json.dumps(resumo), flush=True)
    return resumo


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fast", action="store_true", help="the subset CI runs")
    ap.add_argument("--pg", default=os.environ.get("CICLO_TEST_PG_URL"), help="also run with the ledger on PostgreSQL")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return _correr_filho(a.child)
    casos = RAPIDOS if a.fast else CASOS
    resumos = [correr(casos)]
    if a.pg:
        resumos.append(correr(casos, pg=a.pg))
    ok = all(r["held"] == r["cases"] and r["duplicate_posts"] == 0 and r["lost"] == 0 for r in resumos)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
