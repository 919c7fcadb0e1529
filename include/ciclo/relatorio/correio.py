"""The finance email as a complete ``email.message.EmailMessage`` (a pure function of the report data).

Structure (RFC 2046/2387): multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html,
image/png (one chart per employer, referenced by Content-ID) ] ], attachments with their real MIME types ].
"""

from __future__ import annotations

import base64
import functools
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ciclo.relatorio.dados import MULTIBANCO_MAX, DadosRelatorio
from ciclo.relatorio.decisao import decisao_texto
from ciclo.relatorio.formato import data_pt, datas_iso_para_pt, eur, iban_impresso, mes_pt, percentagem_pt
from ciclo.relatorio.grafico import grafico_historico
from ciclo.relatorio.rotulos import GRUPOS

# Attachment types the report produces; anything else is refused rather than sent as application/octet-stream.
MIME = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".html": ("text", "html"),
    ".png": ("image", "png"),
    ".csv": ("text", "csv"),
}
TOP_DIFERENCAS = 20


def assunto(relatorios: list[DadosRelatorio]) -> str:
    """``Segurança Social outubro de 2025: Exemplo, Lda. (20000003116) — a pagar 115 870,08 € até 27/10/2025``."""
    _verificar(relatorios)
    mes = mes_pt(relatorios[0].ano_mes)
    if len(relatorios) == 1:
        d = relatorios[0]
        return (f"Segurança Social {mes}: {d.nome} ({d.niss_ee}) — a pagar {eur(d.totais['a_pagar'])} "
                f"até {data_pt(d.prazos['pagamento'].data)}")
    total = _total(relatorios)
    limites = {d.prazos["pagamento"].data for d in relatorios}
    quando = (f"até {data_pt(min(limites))}" if len(limites) == 1
              else f"a primeira data-limite em {data_pt(min(limites))}")
    return f"Segurança Social {mes}: {len(relatorios)} entidades — a pagar {eur(total)} {quando}"


def instrucoes_pagamento(doc: dict) -> list[str]:
    """How finance pays one document, in words. A direct debit first and loudly: it must not be paid again."""
    if doc.get("debito_direto"):
        return [f"Não pagar — débito automático (autorização n.º {doc['debito_direto']}): a Segurança Social cobra "
                "este valor diretamente na conta."]
    linhas = []
    if doc.get("referencia_mb"):
        linhas.append(f"Multibanco: entidade {doc['entidade_mb']}, referência {_ref_mb(doc['referencia_mb'])}, "
                      f"montante {eur(doc['valor'])}")
    if doc.get("iban"):
        linhas.append(f"Transferência bancária para o IBAN {iban_impresso(doc['iban'])}, indicando o documento n.º "
                      f"{doc['numero']}")
    if doc["valor"] > MULTIBANCO_MAX and not doc.get("referencia_mb"):
        linhas.append(f"Multibanco indisponível acima de {eur(MULTIBANCO_MAX)}")
    if not linhas:
        linhas.append("Sem referência de pagamento no documento: consultar a Segurança Social Direta")
    return linhas


def fonte_prazo(prazo) -> str:
    """Where the payment deadline comes from, in words (the calendar names the API field). A date moved from a day
    that is not a working day says so: the Segurança Social indicated the nominal day, not the one shown."""
    fonte = "data-limite indicada pela Segurança Social" if prazo.fonte.startswith("dataLimitePagamento") else prazo.fonte
    if prazo.nao_util:
        return f"{fonte}: {data_pt(prazo.nominal)}, {prazo.nao_util}, passa para o dia útil seguinte"
    return fonte


def _ref_mb(ref: str) -> str:
    """Multibanco references are read in groups of three digits, as ATMs show them."""
    s = str(ref)
    return " ".join(s[i:i + 3] for i in range(0, len(s), 3)) if s.isdigit() else s


def _secoes(relatorios, imagens: dict[str, str] | None, top: int):
    out = []
    for d in relatorios:
        grupos = []
        for nome in ("bloqueante", "informativa"):
            linhas = d.por_grupo(nome)
            grupos.append({"titulo": GRUPOS[nome], "linhas": linhas[:top], "total": len(linhas)})
        out.append({"d": d, "decisao": decisao_texto(d.confirmacao, d.prazos), "grupos": grupos,
                    "instrucoes": [instrucoes_pagamento(doc) for doc in d.documentos],
                    "alertas": [datas_iso_para_pt(a) for a in d.alertas],
                    "imagem": (imagens or {}).get(d.niss_ee)})
    return out


@functools.cache
def _env():
    """One Jinja environment per process: it keeps its compiled templates (compiling one is ≈0.1 s)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("ciclo", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined)
    env.filters["eur"] = eur
    env.filters["eur_sinal"] = lambda v: ("+" if v is not None and v > 0 else "") + eur(v)
    env.filters["d"] = data_pt
    env.filters["mes"] = mes_pt
    env.filters["pct"] = percentagem_pt
    env.filters["iso_pt"] = datas_iso_para_pt
    env.filters["fonte"] = fonte_prazo
    return env


def render_html(relatorios: list[DadosRelatorio], top: int = TOP_DIFERENCAS, imagens: dict[str, str] | None = None,
                anexos: list[str] | None = None) -> str:
    """The HTML body. ``imagens``: niss_ee → image ``src`` (``cid:...`` in the email); by default the chart is
    embedded as a data URI so the file written next to the workbook shows it too."""
    _verificar(relatorios)
    if imagens is None:
        imagens = {d.niss_ee: "data:image/png;base64," + base64.b64encode(grafico_historico(d.historico)).decode()
                   for d in relatorios}
    return _env().get_template("relatorio_financas.html").render(
        secoes=_secoes(relatorios, imagens, top), mes=mes_pt(relatorios[0].ano_mes), assunto=assunto(relatorios),
        total_a_pagar=_total(relatorios), anexos=anexos or [])


def render_texto(relatorios: list[DadosRelatorio], top: int = TOP_DIFERENCAS) -> str:
    """The plain-text alternative: the same facts, for clients (and filters) that do not read HTML."""
    _verificar(relatorios)
    linhas = [f"Contribuições para a Segurança Social — {mes_pt(relatorios[0].ano_mes)}", ""]
    for s in _secoes(relatorios, None, top):
        d, t = s["d"], s["d"].totais
        linhas += [f"{d.nome} — NISS {d.niss_ee}", "=" * 60,
                   f"A pagar: {eur(t['a_pagar'])} até {data_pt(d.prazos['pagamento'].data)} ({fonte_prazo(d.prazos['pagamento'])})"]
        if t["debito_direto"]:
            linhas.append(f"  dos quais {eur(t['debito_direto'])} por débito direto (não pagar); "
                          f"a pagar manualmente {eur(t['a_pagar_manual'])}")
        if d.prazos["pagamento"].aviso:
            linhas.append(f"  Atenção: {datas_iso_para_pt(d.prazos['pagamento'].aviso)}.")
        linhas += s["alertas"]
        linhas += [f"Decisão: {s['decisao']}", "", "Como pagar:"]
        if not d.documentos:
            linhas.append("  Documentos de pagamento ainda não emitidos.")
        for doc, instr in zip(d.documentos, s["instrucoes"]):
            linhas.append(f"  Documento {doc['numero']}: {eur(doc['valor'])}, válido até {data_pt(doc['data_validade'])}")
            linhas += [f"    {i}" for i in instr]
        linhas += ["", "Resumo (folha / Segurança Social):",
                   f"  Trabalhadores: {t['trabalhadores_folha']} / {t['trabalhadores_ss']}",
                   f"  Remuneração declarada: {eur(t['folha_remuneracao'])} / {eur(t['ss_remuneracao'])}",
                   f"  Obrigação contributiva: {eur(t['folha_obrigacao'])} / {eur(t['ss_obrigacao'])}"]
        ma = d.mes_anterior
        if ma:
            linhas.append(f"  Face a {mes_pt(ma['ano_mes'])}: {'+' if ma['delta'] > 0 else ''}{eur(ma['delta'])}"
                          + (f" ({percentagem_pt(ma['pct'])})" if ma["pct"] is not None else ""))
        c = d.contagens
        linhas += ["", f"Diferenças: {c['total']} — {c['bloqueante']} exigem decisão, {c['informativa']} informativa(s), "
                       f"{c['tolerada']} dentro da tolerância (as mesmas da folha «Diferenças» do anexo XLSX)."]
        for g in s["grupos"]:
            if g["linhas"]:
                linhas.append(f"  {g['titulo']}:")
                linhas += [f"  - {x['niss_trabalhador']}: {x['explicacao']}" for x in g["linhas"]]
        linhas.append("")
    linhas.append("Detalhe por trabalhador no anexo XLSX. Gerado automaticamente pelo ciclo contributivo.")
    return "\n".join(linhas) + "\n"


def construir_email(relatorios: list[DadosRelatorio], remetente: str, destinatarios: list[str],
                    anexos: list[Path | str] = (), *, dominio: str = "ciclo.local") -> EmailMessage:
    """The complete finance email (one employer, or every employer of a run). ``anexos`` are files (xlsx, pdf...)
    attached with their MIME type. Nothing is sent here: the caller hands the message to SMTP."""
    _verificar(relatorios)
    if not destinatarios:
        raise ValueError("finance email without recipients")
    anexos = [Path(p) for p in anexos]
    for p in anexos:
        if p.suffix.lower() not in MIME:
            raise ValueError(f"attachment {p.name}: no MIME type known for {p.suffix!r} (known: {sorted(MIME)})")
        if not p.is_file():
            raise FileNotFoundError(f"attachment not found: {p}")
    cids = {d.niss_ee: make_msgid(idstring=f"grafico-{d.niss_ee}", domain=dominio) for d in relatorios}
    msg = EmailMessage()
    msg["Subject"] = assunto(relatorios)
    msg["From"] = remetente
    msg["To"] = ", ".join(destinatarios)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=dominio)
    msg["Content-Language"] = "pt-PT"
    msg.set_content(render_texto(relatorios))
    html = render_html(relatorios, imagens={ee: f"cid:{cid[1:-1]}" for ee, cid in cids.items()},
                       anexos=[p.name for p in anexos])
    msg.add_alternative(html, subtype="html")
    parte_html = msg.get_payload()[1]
    for d in relatorios:
        parte_html.add_related(grafico_historico(d.historico), maintype="image", subtype="png", cid=cids[d.niss_ee],
                               filename=f"obrigacao-{d.niss_ee}.png", disposition="inline")
    for p in anexos:
        maintype, subtype = MIME[p.suffix.lower()]
        if maintype == "text":
            msg.add_attachment(p.read_text(encoding="utf-8"), subtype=subtype, filename=p.name)
        else:
            msg.add_attachment(p.read_bytes(), maintype=maintype, subtype=subtype, filename=p.name)
    return msg


def _total(relatorios) -> Decimal | None:
    valores = [d.totais["a_pagar"] for d in relatorios]
    return None if any(v is None for v in valores) else sum(valores, Decimal("0.00"))


def _verificar(relatorios):
    if not relatorios:
        raise ValueError("finance report without any employer")
    meses = {d.ano_mes for d in relatorios}
    if len(meses) > 1:
        raise ValueError(f"one finance email covers one month; got {sorted(meses)}")
