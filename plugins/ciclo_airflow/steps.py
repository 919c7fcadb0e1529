"""The task bodies of ``contribution_cycle``: Airflow glue around the ``ciclo`` package.

Each function takes plain values (the employer dict, ``ano_mes``, flags) and returns a small JSON-able dict for
XCom. Money never travels through XCom: it lives in the ledger.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date
from pathlib import Path

from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

LOTE_PADRAO = int(os.environ.get("CICLO_FETCH_BATCH_SIZE", "500"))


# ------------------------------------------------------------------------------------------------ resources
def ciclo_home() -> Path:
    home = Path(os.environ.get("CICLO_HOME", "var")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def ledger():
    """The ledger: the ``ciclo_ledger`` Airflow connection if defined, else ``CICLO_LEDGER_URL``, else SQLite."""
    from ciclo.ledger import Ledger, ledger_url_default

    url = None
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(os.environ.get("CICLO_LEDGER_CONN_ID", "ciclo_ledger"))
        url = conn.get_uri()
        url = url.replace("postgres://", "postgresql+psycopg://", 1).replace("postgresql://", "postgresql+psycopg://", 1)
    except Exception:  # noqa: BLE001 - connection simply not configured: fall back to env/default
        url = None
    return Ledger(url or ledger_url_default())


def psi_hook(employer: dict):
    from psi_hook import PsiHook

    return PsiHook(employer["conn_id"])


def report_dir(niss_ee: str, ano_mes: str) -> Path:
    d = ciclo_home() / "reports" / niss_ee / ano_mes
    d.mkdir(parents=True, exist_ok=True)
    return d


def _truthy(v) -> bool:
    return v is True or str(v).strip().lower() in ("true", "1", "yes")


class falha_definitiva:
    """Errors no retry can fix (credentials, authorisation, the Segurança Social refusing a parameter) fail the
    task at once, with their own clear message, instead of being retried."""

    def __enter__(self):
        return self

    def __exit__(self, tipo, exc, tb):
        from ciclo.psi.errors import PsiAuthError, PsiForbiddenError, PsiValidationError

        if exc is not None and isinstance(exc, (PsiAuthError, PsiForbiddenError, PsiValidationError)):
            raise AirflowFailException(str(exc)) from None
        return False


# ------------------------------------------------------------------------------------------------ run set-up
def resolver_execucao(params: dict, run_after) -> list[dict]:
    """Month and employers of this run. Scheduled runs take the month before ``run_after``; manual runs the param."""
    from ciclo.domain.periodo import AnoMes, AnoMesInvalido
    from ciclo.pipeline.config import ConfigError, load_employers, select

    pedido = (params or {}).get("ano_mes")
    try:
        if pedido:
            ano_mes = str(AnoMes.parse(pedido))
        else:
            ref = run_after.date() if hasattr(run_after, "date") else date.today()
            ano_mes = str(AnoMes.de_data(ref).anterior())
    except AnoMesInvalido as exc:
        raise AirflowFailException(f"param ano_mes={pedido!r}: {exc}") from None
    try:
        employers = select(load_employers(), [str(e) for e in (params or {}).get("employers") or []])
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from None
    log.info("contribution cycle for %s: %d employer(s)", ano_mes, len(employers))
    return [{**e.as_dict(), "ano_mes": ano_mes} for e in employers]


# ------------------------------------------------------------------------------------------------ payroll
def _load(employer: dict, ano_mes: str):
    from ciclo.payroll import load_payroll

    return load_payroll(employer["payroll_location"].format(niss_ee=employer["niss_ee"], ano_mes=ano_mes), ano_mes,
                        employer["niss_ee"], mapping=employer.get("mapping"))


def carregar_folha(employer: dict, ano_mes: str | None = None) -> dict:
    from ciclo.payroll import PayrollLoadError

    ano_mes = ano_mes or employer["ano_mes"]
    try:
        p = _load(employer, ano_mes)
    except PayrollLoadError as exc:
        raise AirflowFailException(f"EE {employer['niss_ee']} {ano_mes}: payroll export unreadable: {exc}") from None
    return {"niss_ee": employer["niss_ee"], "content_hash": p.content_hash, "trabalhadores": int(len(p.trabalhadores)),
            "linhas_remuneracao": int(len(p.remuneracoes))}


def verificar_qualidade(employer: dict, ano_mes: str | None = None) -> dict:
    from ciclo.quality import check_payroll, write_report

    ano_mes = ano_mes or employer["ano_mes"]
    p = _load(employer, ano_mes)
    res = check_payroll(p)
    paths = write_report(res, report_dir(employer["niss_ee"], ano_mes))
    erros = sum(1 for v in _violations(res) if v["severity"] == "error")
    avisos = sum(1 for v in _violations(res) if v["severity"] == "warning")
    lg = ledger()
    try:
        lg.record_snapshot(employer["niss_ee"], ano_mes, p.content_hash, int(len(p.trabalhadores)), bool(res.ok),
                           erros, avisos, str(paths.get("html", "")))
    finally:
        lg.dispose()
    log.info("%s", res.summary_text())
    if not res.ok:
        raise AirflowFailException(
            f"EE {employer['niss_ee']} {ano_mes}: {erros} data-quality error(s) block sending; nothing was sent. "
            f"Report: {paths.get('html')}"
        )
    return {"ok": True, "erros": erros, "avisos": avisos, "report": {k: str(v) for k, v in paths.items()}}


def _violations(res) -> list[dict]:
    v = res.violations
    if hasattr(v, "to_dict"):
        return v.to_dict("records")
    return [x if isinstance(x, dict) else x.__dict__ for x in v]


# ------------------------------------------------------------------------------------------------ SOAP contracts
def comunicar_contratos(employer: dict, ano_mes: str, dry_run) -> dict:
    from ciclo.pipeline.contratos import comunicar

    p = _load(employer, ano_mes)
    lg = ledger()
    try:
        if _truthy(dry_run):
            from ciclo.pipeline.contratos import alteracoes_a_comunicar

            pend = alteracoes_a_comunicar(p, ano_mes, lg)
            return {"dry_run": True, "a_comunicar": len(pend)}
        with falha_definitiva():
            soap = psi_hook(employer).get_soap_client()
            res = comunicar(p, ano_mes, lg, soap, auditar=_auditor(lg, employer["niss_ee"], ano_mes))
    finally:
        lg.dispose()
    if res["recusados"]:
        linhas = "; ".join(f"{r['niss_trabalhador']}: {r['mensagens']}" for r in res["recusados"][:20])
        raise AirflowFailException(
            f"EE {employer['niss_ee']} {ano_mes}: {len(res['recusados'])} contract change(s) refused by the Segurança "
            f"Social ({linhas}). Fix them in the payroll and re-run; values were not sent."
        )
    return {k: (len(v) if isinstance(v, list) else v) for k, v in res.items()}


def _auditor(lg, niss_ee, ano_mes):
    def auditar(servico, metodo, resultado, duracao_ms, status=None, erro_classe=None):
        lg.audit(servico, metodo, resultado, duracao_ms, status=status, niss_ee=niss_ee, ano_mes=ano_mes,
                 erro_classe=erro_classe)
    return auditar


# ------------------------------------------------------------------------------------------------ REST submission
def enviar_valores(employer: dict, ano_mes: str, dry_run, allow_correction) -> dict:
    from ciclo.payroll import to_valores_remuneracao
    from ciclo.pipeline.envio import CorrecaoNaoAutorizada, EnvioIncerto, EnvioRecusado, enviar_valores as enviar
    from ciclo.psi.errors import PsiAuthError, PsiForbiddenError

    payload = to_valores_remuneracao(_load(employer, ano_mes))
    lg = ledger()
    t0 = time.monotonic()
    try:
        with psi_hook(employer).get_client() as client:
            res = enviar(lg, client, employer["niss_ee"], ano_mes, payload,
                         permitir_correcao=_truthy(allow_correction), dry_run=_truthy(dry_run))
        lg.audit("valores-remuneracao", "POST", "ok", int((time.monotonic() - t0) * 1000), niss_ee=employer["niss_ee"],
                 ano_mes=ano_mes)
    except (CorrecaoNaoAutorizada, EnvioRecusado, PsiAuthError, PsiForbiddenError) as exc:
        lg.audit("valores-remuneracao", "POST", "erro", int((time.monotonic() - t0) * 1000), niss_ee=employer["niss_ee"],
                 ano_mes=ano_mes, erro_classe=type(exc).__name__)
        raise AirflowFailException(str(exc)) from None
    except EnvioIncerto as exc:
        lg.audit("valores-remuneracao", "POST", "desconhecido", int((time.monotonic() - t0) * 1000),
                 niss_ee=employer["niss_ee"], ano_mes=ano_mes, erro_classe=type(exc).__name__)
        raise  # retryable: the retry checks the SS before resending
    finally:
        lg.dispose()
    log.info("valores de remuneração %s %s: %s (%s workers, comprovativo %s)", employer["niss_ee"], ano_mes, res.estado,
             res.n_trabalhadores, res.comprovativo)
    return res.as_dict()


# ------------------------------------------------------------------------------------------------ fetch
def planear_obtencao(employer: dict, ano_mes: str | None = None, lote: int = LOTE_PADRAO) -> list[dict]:
    """Batches of workers whose valores apurados are not yet in the ledger (a re-run fetches only the rest)."""
    ano_mes = ano_mes or employer["ano_mes"]
    lg = ledger()
    try:
        with falha_definitiva(), psi_hook(employer).get_client() as client:
            mensal = client.valores_apurados_mensal(employer["niss_ee"], ano_mes)
            lista = client.obrigacao_trabalhadores(employer["niss_ee"], ano_mes)
        nisses = [str(_get(w, "nissTrabalhador", "niss_trabalhador")).zfill(11) for w in lista]
        lg.record_apuramento(employer["niss_ee"], ano_mes, str(_enum(_get(mensal, "estado"))),
                             n_trabalhadores=len(nisses), total_remuneracao=_get(mensal, "totalRemuneracao", "total_remuneracao"),
                             total_obrigacao=_get(mensal, "totalObrigacao", "total_obrigacao"),
                             data_limite_pagamento=_as_date(_get(mensal, "dataLimitePagamento", "data_limite_pagamento")))
        falta = lg.apurados_em_falta(employer["niss_ee"], ano_mes, nisses)
    finally:
        lg.dispose()
    log.info("EE %s %s: %d workers apurados, %d still to fetch", employer["niss_ee"], ano_mes, len(nisses), len(falta))
    return [{"employer": employer, "ano_mes": ano_mes, "nisses": falta[i:i + lote]} for i in range(0, len(falta), lote)]


def xcom_ou_nada(ti, task_id: str, map_index: int):
    """The XCom of one map index, or None when that employer's task did not run or failed."""
    try:
        return ti.xcom_pull(task_ids=task_id, map_indexes=map_index)
    except Exception:  # noqa: BLE001 - a failed upstream simply has no XCom
        return None


def juntar_lotes(planos) -> list[dict]:
    out = []
    for plano in planos or []:
        if plano:
            out.extend(plano)
    return out


def obter_lote(lote: dict) -> dict:
    """Fetch one batch of workers' valores apurados, streaming each into the ledger as it arrives."""
    from ciclo.psi.bulk import fetch_valores_apurados_sync

    employer, ano_mes, nisses = lote["employer"], lote["ano_mes"], lote["nisses"]
    lg = ledger()
    try:
        hook = psi_hook(employer)

        def sink(niss, doc):
            lg.store_apurados(employer["niss_ee"], ano_mes, [_doc_dict(doc)])

        res = fetch_valores_apurados_sync(hook.get_async_client, employer["niss_ee"], ano_mes, nisses, sink,
                                          concurrency=hook.concurrency, rate_per_second=hook.rate_per_second)
    finally:
        lg.dispose()
    if res.failed:
        amostra = ", ".join(f"{n} ({m})" for n, m in list(res.failed.items())[:10])
        raise RuntimeError(f"EE {employer['niss_ee']} {ano_mes}: {len(res.failed)} of {len(nisses)} workers could not be "
                           f"fetched after retries: {amostra}. Fetched ones are kept; a retry fetches only the rest.")
    return {"niss_ee": employer["niss_ee"], "obtidos": res.done}


def _doc_dict(doc) -> dict:
    if isinstance(doc, dict):
        return doc
    return doc.model_dump(by_alias=True, mode="python")


def _get(obj, *names):
    from ciclo.pipeline.campos import campo

    return campo(obj, *names)


def _enum(v):
    return getattr(v, "value", v)


def _as_date(v):
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


# ------------------------------------------------------------------------------------------------ summary
def resumo(execucao: list[dict], dry_run=False) -> dict:
    """Per employer: workers, submission, apurados fetched, decision, payment documents. Writes
    ``$CICLO_HOME/summary-<ano_mes>.json``; fails when any employer did not get through."""
    import json

    dry_run = _truthy(dry_run)
    ano_mes = execucao[0]["ano_mes"]
    lg = ledger()
    linhas, incompletos = [], []
    try:
        for emp in execucao:
            ee = emp["niss_ee"]
            snap = lg.latest_snapshot(ee, ano_mes)
            subs = lg.submissions(ee, ano_mes)
            apur = lg.apuramento(ee, ano_mes)
            obtidos = len(lg.apurados_obtidos(ee, ano_mes))
            from ciclo.pipeline.fecho import confirmacao, documentos

            conf = confirmacao(lg, ee, ano_mes)
            docs = documentos(lg, ee, ano_mes)
            linha = {
                "niss_ee": ee, "nome": emp.get("nome"),
                "trabalhadores": snap["n_trabalhadores"] if snap else None,
                "qualidade": None if not snap else ("ok" if snap["quality_ok"] else "bloqueado"),
                "erros_qualidade": snap["n_erros"] if snap else None,
                "avisos_qualidade": snap["n_avisos"] if snap else None,
                "relatorio_qualidade": snap["report_path"] if snap else None,
                "envio": subs[-1]["estado"] if subs else None,
                "comprovativo": subs[-1]["comprovativo_entrega"] if subs else None,
                "apuramento": apur["estado"] if apur else None,
                "apurados_esperados": apur["n_trabalhadores"] if apur else None,
                "apurados_obtidos": obtidos,
                "confirmacao": f"{conf['estado']} ({conf['modo']})" if conf else None,
                "documentos_pagamento": [d["numero"] for d in docs],
                "relatorio": str(report_dir(ee, ano_mes) / "relatorio.html")
                if (report_dir(ee, ano_mes) / "relatorio.html").exists() else None,
            }
            linha["estado"] = _estado_ee(linha, dry_run)
            if linha["estado"] not in ("CONCLUIDO", "VERIFICADO_DRY_RUN"):
                incompletos.append(linha)
            linhas.append(linha)
    finally:
        lg.dispose()
    email_execucao = email_da_execucao(execucao)
    out = ciclo_home() / f"summary-{ano_mes}.json"
    out.write_text(json.dumps({"ano_mes": ano_mes, "employers": linhas, "email_execucao": email_execucao},
                              ensure_ascii=False, indent=2), encoding="utf-8")
    for l in linhas:
        log.info("%s %s: %s (workers %s, envio %s, apurados %s/%s)", l["niss_ee"], ano_mes, l["estado"], l["trabalhadores"],
                 l["envio"], l["apurados_obtidos"], l["apurados_esperados"])
    if incompletos:
        raise AirflowFailException(
            f"{len(incompletos)} of {len(linhas)} employer(s) did not complete {ano_mes}: "
            + "; ".join(f"{l['niss_ee']} ({l['estado']})" for l in incompletos) + f". Summary: {out}"
        )
    return {"ano_mes": ano_mes, "summary": str(out), "employers": linhas}


def _estado_ee(l: dict, dry_run: bool = False) -> str:
    if l["qualidade"] is None:
        return "FOLHA_NAO_CARREGADA"
    if l["qualidade"] == "bloqueado":
        return "BLOQUEADO_QUALIDADE"
    if dry_run:
        return "VERIFICADO_DRY_RUN"
    if l["envio"] not in ("ACKNOWLEDGED",):
        return f"ENVIO_{l['envio'] or 'POR_FAZER'}"
    if l["apuramento"] not in ("APURADO", "CONFIRMADO"):
        return f"APURAMENTO_{l['apuramento'] or 'POR_VERIFICAR'}"
    if l["apurados_esperados"] is not None and l["apurados_obtidos"] < l["apurados_esperados"]:
        return "OBTENCAO_INCOMPLETA"
    if not l["confirmacao"] or not l["confirmacao"].startswith("CONFIRMADO"):
        return f"CONFIRMACAO_{(l['confirmacao'] or 'POR_FAZER').split(' ')[0]}"
    if not l["documentos_pagamento"]:
        return "DOCUMENTOS_POR_EMITIR"
    return "CONCLUIDO"


# ------------------------------------------------------------------------------------------------ part 2: closing
def tolerancia():
    from decimal import Decimal

    return Decimal(os.environ.get("CICLO_TOLERANCIA", "0.01"))


def reconciliar(employer: dict) -> dict:
    """Internal totals from the payroll vs the valores apurados in the ledger; every difference explained."""
    from ciclo.domain.periodo import AnoMes
    from ciclo.reconciliacao import gravar_interno, internos_da_folha, reconciliar as rec

    ano_mes = employer["ano_mes"]
    lg = ledger()
    try:
        apur = lg.apuramento(employer["niss_ee"], ano_mes)
        obtidos = len(lg.apurados_obtidos(employer["niss_ee"], ano_mes))
        if not apur or apur["estado"] not in ("APURADO", "CONFIRMADO"):
            # This employer stopped earlier (its failure is reported there and in the summary): skip its closing
            # steps. Skipping rather than failing keeps the other employers' closing steps running — Airflow
            # evaluates a not-yet-expanded mapped task's trigger rule over every employer's upstream.
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException(f"EE {employer['niss_ee']} {ano_mes}: no apuramento fetched; nothing to reconcile")
        if apur["n_trabalhadores"] is not None and obtidos < apur["n_trabalhadores"]:
            raise AirflowFailException(f"EE {employer['niss_ee']} {ano_mes}: only {obtidos} of {apur['n_trabalhadores']} "
                                       f"workers' valores apurados fetched; re-run to fetch the rest before reconciling")
        p = _load(employer, ano_mes)
        gravar_interno(lg, employer["niss_ee"], ano_mes, internos_da_folha(p), AnoMes.parse(ano_mes).primeiro_dia)
        r = rec(lg, employer["niss_ee"], ano_mes, tolerancia())
    finally:
        lg.dispose()
    log.info("%s", r.resumo_texto())
    return {"niss_ee": employer["niss_ee"], "dentro_tolerancia": r.dentro_tolerancia, "diferencas": len(r.diferencas),
            "fora_tolerancia": len(r.fora_tolerancia), "resumo": r.resumo_texto(top=15)}




def _confirmar(employer: dict, modo: str, decidido_por: str | None = None, nota: str | None = None) -> dict:
    from ciclo.pipeline.fecho import confirmar

    lg = ledger()
    try:
        with falha_definitiva(), psi_hook(employer).get_client() as client:
            r = confirmar(lg, client, employer["niss_ee"], employer["ano_mes"], modo, decidido_por, nota)
    finally:
        lg.dispose()
    return {k: (str(v) if not isinstance(v, (str, int, bool, type(None))) else v) for k, v in r.items()}


def confirmar_automaticamente(employer: dict, rec: dict | None, dry_run=False) -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    if _truthy(dry_run):
        raise AirflowSkipException("dry run: not confirming")
    if not (rec or {}).get("dentro_tolerancia"):
        raise AirflowSkipException("differences beyond tolerance: an operator decides (aprovacao_operador)")
    return _confirmar(employer, "automatica", None, "sem diferenças fora da tolerância")


def confirmar_aprovado(employer: dict, resposta: dict | None) -> dict:
    """After the operator's answer: Approve → confirm; no answer by day 20 → silence counts as acceptance."""
    from ciclo.pipeline.fecho import registar_decisao

    from airflow.sdk.exceptions import AirflowSkipException

    resposta = resposta or {}
    escolha = list(resposta.get("chosen_options") or [])
    if not resposta.get("silencio") and escolha != ["Approve"]:
        # Never confirm without an explicit approval: a rejection (or no approval step at all) is not one, whatever
        # scheduled this task.
        raise AirflowSkipException(f"EE {employer['niss_ee']} {employer['ano_mes']}: no approval "
                                   f"({escolha or 'no answer'}); not confirming")
    if resposta.get("silencio"):
        lg = ledger()
        try:
            registar_decisao(lg, employer["niss_ee"], employer["ano_mes"], "CONFIRMADO", "silencio", None,
                             "sem resposta do operador até ao dia 20: o silêncio vale como aceitação")
        finally:
            lg.dispose()
        log.warning("EE %s %s: no operator answer by day 20 — under the law, silence counts as acceptance of the "
                    "valores apurados; not confirming explicitly", employer["niss_ee"], employer["ano_mes"])
        return {"estado": "CONFIRMADO", "modo": "silencio"}
    return _confirmar(employer, "aprovada", str(resposta.get("responded_by_user") or "operador"),
                      "aprovado no Airflow apesar das diferenças")


def registar_rejeicao(employer: dict, resposta: dict | None) -> None:
    from ciclo.pipeline.fecho import registar_decisao

    lg = ledger()
    try:
        registar_decisao(lg, employer["niss_ee"], employer["ano_mes"], "REJEITADO", "rejeitada",
                         str((resposta or {}).get("responded_by_user") or "operador"),
                         "rejeitado no Airflow: corrigir e reenviar")
    finally:
        lg.dispose()


def documentos_pagamento(employer: dict) -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    from ciclo.pipeline.fecho import confirmacao, emitir_documentos

    lg = ledger()
    try:
        conf = confirmacao(lg, employer["niss_ee"], employer["ano_mes"])
        if not conf or conf["estado"] != "CONFIRMADO":
            # Never ask for payment documents of a month this pipeline has not confirmed (or recorded as accepted).
            raise AirflowSkipException(f"EE {employer['niss_ee']} {employer['ano_mes']}: not confirmed "
                                       f"({(conf or {}).get('estado', 'no decision')}); no payment documents requested")
        with falha_definitiva(), psi_hook(employer).get_client() as client:
            r = emitir_documentos(lg, client, employer["niss_ee"], employer["ano_mes"],
                                  poll_seconds=float(os.environ.get("CICLO_EMISSAO_POLL", "2")))
    finally:
        lg.dispose()
    return {"estado": r["estado"], "chave": r["chave"], "documentos": len(r["documentos"]), "ja_emitido": r["ja_emitido"]}


def modo_email() -> str:
    """``ee`` (default): one email per employer; ``execucao``: one email per run with every employer."""
    modo = os.environ.get("CICLO_EMAIL_POR", "ee").strip().lower()
    if modo not in ("ee", "execucao"):
        raise AirflowFailException(f"CICLO_EMAIL_POR={modo!r}: use 'ee' or 'execucao'")
    return modo


def email_da_execucao(execucao: list[dict]) -> dict | None:
    """With ``CICLO_EMAIL_POR=execucao``: one finance email for the whole run (every employer that got a report)."""
    if modo_email() != "execucao":
        return None
    from ciclo.relatorio import recolher, render_html

    ano_mes = execucao[0]["ano_mes"]
    lg = ledger()
    try:
        relatorios, anexos, destinatarios = [], [], []
        for emp in execucao:
            pasta = report_dir(emp["niss_ee"], ano_mes)
            if not (pasta / "relatorio.html").exists():
                continue
            relatorios.append(recolher(lg, emp["niss_ee"], ano_mes, nome=emp.get("nome") or emp["niss_ee"]))
            anexos += [str(p) for p in sorted(pasta.glob("reconciliacao-*.xlsx")) + sorted(pasta.glob("documento-pagamento-*.html"))]
            destinatarios += [d for d in emp.get("finance_recipients") or [] if d not in destinatarios]
    finally:
        lg.dispose()
    if not relatorios or not destinatarios:
        return None
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    html = render_html(relatorios)
    (ciclo_home() / f"relatorio-{ano_mes}.html").write_text(html, encoding="utf-8")
    with SmtpHook(smtp_conn_id=os.environ.get("CICLO_SMTP_CONN_ID", "smtp_default")) as smtp:
        smtp.send_email_smtp(to=destinatarios, subject=f"Segurança Social {ano_mes}: {len(relatorios)} entidade(s)",
                             html_content=html, files=anexos,
                             from_email=os.environ.get("CICLO_FROM_EMAIL", "ciclo-contributivo@localhost"))
    return {"destinatarios": destinatarios, "entidades": len(relatorios), "anexos": anexos}


def relatorio_financas(employer: dict) -> dict:
    """Render the finance report (HTML, XLSX, one HTML page per payment document) and email it."""
    from datetime import date as _date

    from ciclo.domain.calendario import alertas_atraso
    from ciclo.relatorio import recolher, render_documento, render_html, write_xlsx

    ee, ano_mes = employer["niss_ee"], employer["ano_mes"]
    pasta = report_dir(ee, ano_mes)
    lg = ledger()
    try:
        subs = lg.submissions(ee, ano_mes)
        dados = recolher(lg, ee, ano_mes, nome=employer.get("nome") or ee)
        dados.alertas = alertas_atraso(
            ano_mes, _date.today(), enviado=any(s["estado"] == "ACKNOWLEDGED" for s in subs),
            confirmado=bool(dados.confirmacao and dados.confirmacao["estado"] == "CONFIRMADO"),
            pago=False, data_limite_ss=dados.prazos["pagamento"].data)
    finally:
        lg.dispose()
    html = render_html([dados])
    (pasta / "relatorio.html").write_text(html, encoding="utf-8")
    xlsx = write_xlsx(dados, pasta / f"reconciliacao-{ee}-{ano_mes}.xlsx")
    anexos = [str(xlsx)]
    for doc in dados.documentos:
        p = pasta / f"documento-pagamento-{doc['numero']}.html"
        p.write_text(render_documento(dados, doc), encoding="utf-8")
        anexos.append(str(p))
    prazo_alertas = [a for a in dados.alertas if a.startswith(("ATRASADO", "PRAZO PRÓXIMO"))]
    if prazo_alertas:
        from ciclo_airflow.notifiers import notificar_operador

        log.warning("EE %s %s deadlines: %s", ee, ano_mes, "; ".join(prazo_alertas))
        notificar_operador({"tipo": "prazo", "niss_ee": ee, "ano_mes": ano_mes, "alertas": prazo_alertas},
                           f"Ciclo contributivo: prazos de {ee} {ano_mes}")
    destinatarios = list(employer.get("finance_recipients") or [])
    enviado = False
    if destinatarios and modo_email() == "ee":
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=os.environ.get("CICLO_SMTP_CONN_ID", "smtp_default")) as smtp:
            smtp.send_email_smtp(to=destinatarios, subject=f"Segurança Social {ano_mes}: {dados.nome} ({ee}) — "
                                 f"a pagar {dados.totais['a_pagar']} € até {dados.prazos['pagamento'].data.isoformat()}",
                                 html_content=html, files=anexos,
                                 from_email=os.environ.get("CICLO_FROM_EMAIL", "ciclo-contributivo@localhost"))
        enviado = True
    else:
        log.warning("EE %s has no finance recipients configured: report written to %s, not emailed", ee, pasta)
    return {"html": str(pasta / "relatorio.html"), "xlsx": str(xlsx), "anexos": anexos, "email": enviado,
            "destinatarios": destinatarios}
