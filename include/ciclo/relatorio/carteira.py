"""The portfolio of a month: where each employer stands (quality, sent, apurado, differences, decision, documents,
paid), from the ledger (``include/sql/relatorio/carteira.sql``), and its HTML page. The Airflow plugin
(plugins/ciclo_airflow/carteira.py) adds the links to task instances and serves it inside the Airflow UI."""

from __future__ import annotations

from dataclasses import dataclass, field

from ciclo.domain.periodo import AnoMes
from ciclo.domain.dinheiro import from_cent
from ciclo.relatorio.decisao import decisao_texto
from ciclo.relatorio.formato import data_hora_pt, data_pt, eur, mes_pt


@dataclass
class LinhaCarteira:
    niss_ee: str
    nome: str
    qualidade: tuple[str, str]  # (css state: ok/aviso/erro/pendente, text)
    envio: tuple[str, str]
    apurado: tuple[str, str]
    diferencas: tuple[str, str]
    decisao: tuple[str, str]
    documentos: tuple[str, str]
    pago: tuple[str, str]
    ligacoes: list[tuple[str, str]] = field(default_factory=list)  # (text, href)
    tarefas: list[tuple[str, str, str]] = field(default_factory=list)  # (task, state, href)


def estado_carteira(ledger, ano_mes: str, employers: list[dict] | None = None) -> list[LinhaCarteira]:
    """One line per employer: every configured employer (``employers``: dicts with niss_ee and nome), plus any
    other the ledger has for the month, so nothing the pipeline touched is hidden."""
    ref = AnoMes.parse(ano_mes)
    linhas = {r["niss_ee"]: r for r in ledger.relatorios.carteira(str(ref), str(ref.anterior()))}
    nomes = {e["niss_ee"]: e.get("nome") or e["niss_ee"] for e in employers or []}
    ordem = list(nomes) + sorted(set(linhas) - set(nomes))
    return [_linha(ee, nomes.get(ee, ee), linhas.get(ee), str(ref)) for ee in ordem]


def _linha(ee: str, nome: str, r: dict | None, ano_mes: str) -> LinhaCarteira:
    pend = ("pendente", "—")
    if r is None:
        return LinhaCarteira(ee, nome, ("pendente", "sem folha"), pend, pend, pend, pend, pend, pend)
    if r["qualidade_ok"] is None:
        qual = ("pendente", "sem folha")
    elif not r["qualidade_ok"]:
        qual = ("erro", f"{r['qualidade_erros']} erro(s)")
    else:
        qual = ("aviso" if r["qualidade_avisos"] else "ok",
                f"OK, {r['qualidade_avisos']} aviso(s)" if r["qualidade_avisos"] else "OK")
    estado = r["envio_estado"]
    if estado is None:
        envio = pend
    else:
        css = {"ACKNOWLEDGED": "ok", "FAILED": "erro", "UNKNOWN": "erro"}.get(estado, "pendente")
        texto = {"ACKNOWLEDGED": "entregue", "FAILED": "falhou", "UNKNOWN": "resultado desconhecido",
                 "PENDING": "por enviar", "SENT": "enviado, sem resposta"}.get(estado, estado)
        envio = (css, f"{texto} {data_hora_pt(r['enviado_em'])}" + (f" · {r['comprovativo']}" if r["comprovativo"] else "")
                 + (f" · {r['correcoes']} correção(ões)" if r["correcoes"] else ""))
    obrig = from_cent(r["ss_obrigacao_cent"] if r["ss_obrigacao_cent"] is not None else r["apuramento_obrigacao_cent"])
    if r["apuramento_estado"] is None:
        apurado = pend
    else:
        ant = from_cent(r["obrigacao_anterior_cent"])
        comp = ""
        if ant is not None and obrig is not None:
            delta = obrig - ant
            comp = f" ({'+' if delta > 0 else ''}{eur(delta)} face a {mes_pt(str(AnoMes.parse(ano_mes).anterior()), curto=True)})"
        apurado = ("ok", f"{eur(obrig)}{comp}" if obrig is not None else r["apuramento_estado"])
    if r["diferencas"] is None:
        difs = pend
    elif r["diferencas_bloqueantes"]:
        difs = ("erro", f"{r['diferencas_bloqueantes']} exigem decisão (de {r['diferencas']})")
    else:
        difs = ("ok", f"nenhuma a decidir ({r['diferencas']} no total)")
    conf = None if r["confirmacao_estado"] is None else {
        "estado": r["confirmacao_estado"], "modo": r["confirmacao_modo"], "decidido_por": r["decidido_por"],
        "nota": r["nota"], "data_confirmacao": r["data_confirmacao"], "updated_at": r["decidido_em"]}
    if conf is None:
        decisao = ("pendente", "por decidir")
    else:
        decisao = ({"CONFIRMADO": "ok", "REJEITADO": "erro"}.get(conf["estado"], "pendente"), decisao_texto(conf))
    if r["documentos"]:
        from ciclo.domain.calendario import prazos

        # the legal date (the SS's day moved to the next working day, Código Civil art. 279.º e)), as everywhere
        limite = prazos(ano_mes, _data(r["data_limite_pagamento"]))["pagamento"].data
        docs = ("ok", f"{r['documentos']} · {eur(from_cent(r['documentos_cent']))} até {data_pt(limite)}")
    else:
        docs = pend
    # from the SS's payment receipts, checked when the next month's report is made (ciclo.app.pagamentos)
    estado_pg = r.get("pagamento_estado")
    if estado_pg == "PAGO":
        pago = ("ok", f"pago ({eur(from_cent(r['pagamento_pago_cent']))})")
    elif estado_pg == "PARCIALMENTE_PAGO":
        pago = ("aviso", f"em parte: {eur(from_cent(r['pagamento_pago_cent']))} de "
                         f"{eur(from_cent(r['pagamento_devido_cent']))}")
    elif estado_pg == "NAO_PAGO":
        pago = ("erro", "por pagar")
    else:
        pago = ("pendente", "sem registo")
    return LinhaCarteira(ee, nome, qual, envio, apurado, difs, decisao, docs, pago)


def render_carteira(linhas: list[LinhaCarteira], ano_mes: str, *, meses: list[str] | None = None,
                    utilizador: str | None = None, aviso: str | None = None) -> str:
    """The page (self-contained HTML; all links relative so it works behind a proxy and inside the UI's iframe)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("ciclo", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined)
    return env.get_template("carteira.html").render(
        linhas=linhas, ano_mes=ano_mes, mes=mes_pt(ano_mes), meses=[(m, mes_pt(m)) for m in (meses or [ano_mes])],
        utilizador=utilizador, aviso=aviso)


def _data(v):
    from datetime import date

    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])
