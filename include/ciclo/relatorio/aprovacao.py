"""The operator's approval text (Markdown, shown by Airflow's Required Actions): what blocks, the totals, the
deadlines, where the report is, and what each answer does."""

from __future__ import annotations

from ciclo.relatorio.dados import DadosRelatorio
from ciclo.relatorio.formato import data_pt, eur, mes_pt

TOP = 15


def _md(texto: object) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened."""
    return str(texto).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def assunto_aprovacao(dados: DadosRelatorio) -> str:
    return (f"Confirmar os valores apurados de {dados.nome} ({dados.niss_ee}), {mes_pt(dados.ano_mes)}? "
            f"{len(dados.bloqueantes)} diferença(s) exigem decisão")


def texto_aprovacao(dados: DadosRelatorio, *, relatorio: str | None = None, top: int = TOP) -> str:
    """Markdown body. ``relatorio``: the path or URL of the month's report/workbook, shown as a link when a URL."""
    t, c, p = dados.totais, dados.contagens, dados.prazos
    out = [f"## {dados.nome} — NISS {dados.niss_ee} — {mes_pt(dados.ano_mes)}", ""]
    out.append(f"**{c['bloqueante']} diferença(s) exigem decisão** (fora da tolerância de {eur(t['tolerancia'])} por "
               f"trabalhador); {c['informativa']} informativa(s) e {c['tolerada']} dentro da tolerância não bloqueiam.")
    if dados.bloqueantes:
        out += ["", "| Trabalhador (NISS) | Diferença | Folha | Segurança Social | Diferença (€) | Explicação |",
                "|---|---|--:|--:|--:|---|"]
    for x in dados.bloqueantes[:top]:
        rot = x["rotulo"] + (f" ({x['natureza']})" if x.get("natureza") else "")
        out.append(f"| {x['niss_trabalhador']} | {_md(rot)} | {eur(x['interno'])} | {eur(x['ss'])} | {eur(x['delta'])} "
                   f"| {_md(x['explicacao'])} |")
    if len(dados.bloqueantes) > top:
        out.append(f"\n… e mais {len(dados.bloqueantes) - top} no relatório.")
    out += ["", "### Totais", "", "| | Folha de salários | Segurança Social |", "|---|--:|--:|",
            f"| Trabalhadores | {t['trabalhadores_folha']} | {t['trabalhadores_ss']} |",
            f"| Remuneração declarada | {eur(t['folha_remuneracao'])} | {eur(t['ss_remuneracao'])} |",
            f"| Obrigação contributiva | {eur(t['folha_obrigacao'])} | {eur(t['ss_obrigacao'])} |", ""]
    ma = dados.mes_anterior
    if ma:
        out += [f"Obrigação em {mes_pt(ma['ano_mes'])}: {eur(ma['obrigacao'])} "
                f"({'+' if ma['delta'] > 0 else ''}{eur(ma['delta'])} este mês).", ""]
    out += ["### Prazos", "",
            f"- Confirmar até **{data_pt(p['confirmacao'].data)}** ({p['confirmacao'].fonte}).",
            f"- Pagar até **{data_pt(p['pagamento'].data)}**."]
    if relatorio:
        link = f"[{relatorio}]({relatorio})" if str(relatorio).startswith(("http://", "https://")) else f"`{relatorio}`"
        out += ["", f"Relatório completo (diferenças por trabalhador): {link}"]
    ss = eur(t["ss_obrigacao"])
    out += ["", "### O que cada resposta faz", "",
            f"- **Approve** — confirma na Segurança Social os valores apurados por ela ({ss}), tal como estão, e pede os "
            "documentos de pagamento (a declaração conta como entregue na data da confirmação: decreto regulamentar "
            "do ciclo contributivo, validade da declaração, n.º 1); as diferenças acima ficam por corrigir.",
            "- **Reject** — não confirma: esta entidade pára neste mês, não são pedidos documentos de pagamento e as "
            "finanças são avisadas. Corrija a folha ou os dados na Segurança Social e volte a correr o ciclo.",
            f"- **Sem resposta até {data_pt(p['confirmacao'].data)}** — o silêncio vale como aceitação: o ciclo "
            "continua como se tivesse aprovado (a declaração conta como entregue na data-limite para aceitação: "
            "mesmo preceito)."]
    return "\n".join(out) + "\n"
