"""The finance report of a month: data gathered from the ledger, an HTML email, an XLSX workbook and an
HTML page per payment document. No Airflow imports; sending is done by the Airflow SMTP hook in plugins/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa

from ciclo.domain.calendario import prazos
from ciclo.domain.dinheiro import formatar_eur
from ciclo.domain.periodo import AnoMes
from ciclo.ledger.db import from_cent

MULTIBANCO_MAX = Decimal("99999.99")


@dataclass
class DadosRelatorio:
    niss_ee: str
    nome: str
    ano_mes: str
    totais: dict
    trabalhadores: list[dict]
    diferencas: list[dict]
    documentos: list[dict]
    confirmacao: dict | None
    historico: list[dict]  # [{"ano_mes", "obrigacao"}] the previous months and this one
    prazos: dict
    alertas: list[str] = field(default_factory=list)

    @property
    def fora_tolerancia(self) -> list[dict]:
        from ciclo.reconciliacao import CLASSES_INFORMATIVAS

        return [d for d in self.diferencas if not d["dentro_tolerancia"] and d["classe"] not in CLASSES_INFORMATIVAS]


def recolher(ledger, niss_ee: str, ano_mes: str, nome: str = "", meses_historico: int = 6,
             alertas: list[str] | None = None) -> DadosRelatorio:
    """Everything the report shows, from the ledger (amounts as Decimal)."""
    t = ledger.t
    with ledger.begin() as c:
        rec = c.execute(sa.select(t["reconciliacao"]).where(t["reconciliacao"].c.niss_ee == niss_ee,
                                                            t["reconciliacao"].c.ano_mes == ano_mes)).mappings().first()
        i, v = t["interno_trabalhador"], t["valores_apurados"]
        internos = {r["niss_trabalhador"]: dict(r) for r in c.execute(
            sa.select(i).where(i.c.niss_ee == niss_ee, i.c.ano_mes == ano_mes)).mappings()}
        apurados = {r["niss_trabalhador"]: dict(r) for r in c.execute(
            sa.select(v).where(v.c.niss_ee == niss_ee, v.c.ano_mes == ano_mes)).mappings()}
        d = t["diferenca"]
        difs = [dict(r) for r in c.execute(sa.select(d).where(d.c.niss_ee == niss_ee, d.c.ano_mes == ano_mes)
                                           .order_by(d.c.id)).mappings()]
        dp = t["documento_pagamento"]
        docs = [dict(r) for r in c.execute(sa.select(dp).where(dp.c.niss_ee == niss_ee, dp.c.ano_mes == ano_mes)
                                           .order_by(dp.c.numero)).mappings()]
        cf = t["confirmacao"]
        conf = c.execute(sa.select(cf).where(cf.c.niss_ee == niss_ee, cf.c.ano_mes == ano_mes)).mappings().first()
        ap = t["apuramento"]
        meses = [str(m) for m in _meses_ate(ano_mes, meses_historico)]
        hist = {r["ano_mes"]: r["total_obrigacao_cent"] for r in c.execute(
            sa.select(ap.c.ano_mes, ap.c.total_obrigacao_cent).where(ap.c.niss_ee == niss_ee, ap.c.ano_mes.in_(meses))).mappings()}
        obr = {r["ano_mes"]: r["s"] for r in c.execute(
            sa.select(v.c.ano_mes, sa.func.sum(v.c.total_obrigacao_cent).label("s"))
            .where(v.c.niss_ee == niss_ee, v.c.ano_mes.in_(meses)).group_by(v.c.ano_mes)).mappings()}
        apur = c.execute(sa.select(ap).where(ap.c.niss_ee == niss_ee, ap.c.ano_mes == ano_mes)).mappings().first()

    trabalhadores = []
    for niss in sorted(set(internos) | set(apurados)):
        a, b = internos.get(niss, {}), apurados.get(niss, {})
        trabalhadores.append({
            "niss_trabalhador": niss,
            "enquadramento": a.get("enquadramento"),
            "folha_remuneracao": from_cent(a.get("total_remuneracao_cent")),
            "ss_remuneracao": from_cent(b.get("total_remuneracao_cent")),
            "folha_obrigacao": from_cent(a.get("obrigacao_cent")),
            "ss_obrigacao": from_cent(b.get("total_obrigacao_cent")),
            "folha_dias": a.get("dias_trabalho"), "ss_dias": b.get("dias_trabalho"),
        })
    for x in difs:
        for k in ("interno_cent", "ss_cent", "delta_cent"):
            x[k.replace("_cent", "")] = from_cent(x.get(k))
    for x in docs:
        x["valor"] = from_cent(x["valor_cent"])
    data_ss = apur["data_limite_pagamento"] if apur else None
    totais = {
        "trabalhadores_folha": rec["trabalhadores_folha"] if rec else len(internos),
        "trabalhadores_ss": rec["trabalhadores_ss"] if rec else len(apurados),
        "folha_remuneracao": from_cent(rec["interno_remuneracao_cent"]) if rec else None,
        "ss_remuneracao": from_cent(rec["ss_remuneracao_cent"]) if rec else None,
        "folha_obrigacao": from_cent(rec["interno_obrigacao_cent"]) if rec else None,
        "ss_obrigacao": from_cent(rec["ss_obrigacao_cent"]) if rec else None,
        "a_pagar": sum((x["valor"] for x in docs), Decimal("0.00")) if docs else (from_cent(rec["ss_obrigacao_cent"]) if rec else None),
        "tolerancia": from_cent(rec["tolerancia_cent"]) if rec else None,
    }
    historico = [{"ano_mes": m, "obrigacao": from_cent(obr.get(m) if obr.get(m) is not None else hist.get(m))} for m in meses]
    return DadosRelatorio(niss_ee, nome, ano_mes, totais, trabalhadores, difs, docs, dict(conf) if conf else None,
                          historico, prazos(ano_mes, _as_date(data_ss)), alertas or [])


def _as_date(v):
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _meses_ate(ano_mes: str, n: int) -> list[AnoMes]:
    m = AnoMes.parse(ano_mes)
    out = [m]
    for _ in range(n - 1):
        out.insert(0, out[0].anterior())
    return out


# ------------------------------------------------------------------------------------------------ HTML
def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("ciclo", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["eur"] = lambda v: "—" if v is None else formatar_eur(v)
    env.filters["d"] = lambda v: "—" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))
    return env


def render_html(relatorios: list[DadosRelatorio], top: int = 20) -> str:
    """One HTML email body for one or several employers (per run or per EE)."""
    secoes = []
    for dados in relatorios:
        maximo = max((h["obrigacao"] or 0 for h in dados.historico), default=0) or 1
        barras = [{**h, "pct": int((h["obrigacao"] or 0) * 100 / maximo)} for h in dados.historico]
        secoes.append({"d": dados, "top": dados.fora_tolerancia[:top], "barras": barras})
    return _env().get_template("relatorio_financas.html").render(
        secoes=secoes, ano_mes=relatorios[0].ano_mes, n_top=top, multibanco_max=MULTIBANCO_MAX)


def render_documento(dados: DadosRelatorio, doc: dict) -> str:
    return _env().get_template("documento_pagamento.html").render(d=dados, doc=doc, multibanco_max=MULTIBANCO_MAX)


# ------------------------------------------------------------------------------------------------ XLSX
def write_xlsx(dados: DadosRelatorio, path: Path) -> Path:
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    eur = wb.add_format({"num_format": '#,##0.00 "€"'})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})

    def folha(nome, colunas, linhas, larguras):
        ws = wb.add_worksheet(nome)
        for j, (c, w) in enumerate(zip(colunas, larguras)):
            ws.write(0, j, c, head)
            ws.set_column(j, j, w)
        for i, linha in enumerate(linhas, start=1):
            for j, v in enumerate(linha):
                if isinstance(v, Decimal):
                    ws.write_number(i, j, float(v), eur)  # the cell shows cents; the value was rounded half-up upstream
                elif v is None:
                    ws.write_blank(i, j, None)
                else:
                    ws.write(i, j, v if not hasattr(v, "isoformat") else v.isoformat())
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(linhas), 1), len(colunas) - 1)
        return ws

    t = dados.totais
    ws = wb.add_worksheet("Resumo")
    ws.set_column(0, 0, 42)
    ws.set_column(1, 1, 22)
    linhas = [("Entidade empregadora", f"{dados.nome} ({dados.niss_ee})"), ("Ano/mês", dados.ano_mes),
              ("Trabalhadores na folha", t["trabalhadores_folha"]), ("Trabalhadores na Segurança Social", t["trabalhadores_ss"]),
              ("Remuneração (folha)", t["folha_remuneracao"]), ("Remuneração (Segurança Social)", t["ss_remuneracao"]),
              ("Obrigação (folha)", t["folha_obrigacao"]), ("Obrigação (Segurança Social)", t["ss_obrigacao"]),
              ("Total a pagar", t["a_pagar"]), ("Data-limite de pagamento", dados.prazos["pagamento"].data.isoformat()),
              ("Diferenças fora da tolerância", len(dados.fora_tolerancia)),
              ("Decisão", (dados.confirmacao or {}).get("modo") or "—")]
    for i, (k, v) in enumerate(linhas):
        ws.write(i, 0, k, bold)
        if isinstance(v, Decimal):
            ws.write_number(i, 1, float(v), eur)
        else:
            ws.write(i, 1, v if v is not None else "—")
    folha("Trabalhadores", ["NISS", "Enquadramento", "Remuneração folha", "Remuneração SS", "Obrigação folha",
                            "Obrigação SS", "Dias folha", "Dias SS"],
          [[w["niss_trabalhador"], w["enquadramento"], w["folha_remuneracao"], w["ss_remuneracao"], w["folha_obrigacao"],
            w["ss_obrigacao"], _num(w["folha_dias"]), _num(w["ss_dias"])] for w in dados.trabalhadores],
          [14, 28, 18, 18, 18, 18, 10, 10])
    folha("Diferenças", ["NISS", "Classe", "Natureza", "Folha", "Segurança Social", "Diferença", "Dentro da tolerância", "Explicação"],
          [[x["niss_trabalhador"], x["classe"], x["natureza"], x["interno"], x["ss"], x["delta"],
            "sim" if x["dentro_tolerancia"] else "não", x["explicacao"]] for x in dados.diferencas],
          [14, 34, 9, 16, 16, 14, 12, 90])
    folha("Documentos de pagamento", ["Número", "Tipo", "Valor", "Validade", "Entidade MB", "Referência MB", "IBAN"],
          [[x["numero"], x.get("tipo"), x["valor"], x.get("data_validade"), x.get("entidade_mb"), x.get("referencia_mb"),
            x.get("iban")] for x in dados.documentos],
          [18, 14, 16, 12, 12, 18, 30])
    wb.close()
    return path


def _num(v):
    return None if v is None else float(v)


# ------------------------------------------------------------------------------------------------ email
def construir_email(relatorios: list[DadosRelatorio], remetente: str, destinatarios: list[str],
                    anexos: list[Path], html: str) -> EmailMessage:
    msg = EmailMessage()
    ees = ", ".join(r.niss_ee for r in relatorios)
    msg["Subject"] = f"Segurança Social {relatorios[0].ano_mes}: contribuições e reconciliação ({ees})"
    msg["From"] = remetente
    msg["To"] = ", ".join(destinatarios)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="ciclo.local")
    msg.set_content("Este relatório é HTML; abra-o num cliente de email que mostre HTML. O detalhe está no anexo XLSX.")
    msg.add_alternative(html, subtype="html")
    for p in anexos:
        p = Path(p)
        if p.suffix == ".xlsx":
            maintype, subtype = "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif p.suffix in (".html", ".htm"):
            maintype, subtype = "text", "html"
        else:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(p.read_bytes(), maintype=maintype, subtype=subtype, filename=p.name)
    return msg
