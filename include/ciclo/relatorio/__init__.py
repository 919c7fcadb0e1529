"""The finance report of a month, and what the operator reads. No Airflow imports: the adapters in plugins/ send
the email this package builds and show the approval text and the portfolio it computes.

- ``dados``: everything a report shows, from the ledger (``recolher`` → ``DadosRelatorio``);
- ``correio``: the finance email as a complete ``EmailMessage`` (HTML + plain text + inline chart + attachments);
- ``livro``: the XLSX workbook; ``pdf``: the payment documents as PDF; ``grafico``: the history chart (PNG);
- ``aprovacao``: the operator's approval text (Markdown); ``carteira``: the portfolio of a month;
- ``formato``/``rotulos``/``decisao``: Portuguese formats, labels of the difference classes, the decision in words.
"""

from __future__ import annotations

from ciclo.relatorio.correio import assunto, construir_email, instrucoes_pagamento, render_html, render_texto
from ciclo.relatorio.dados import MULTIBANCO_MAX, DadosRelatorio, recolher
from ciclo.relatorio.livro import write_xlsx
from ciclo.relatorio.aprovacao import assunto_aprovacao, texto_aprovacao
from ciclo.relatorio.pdf import documento_pdf, escrever_documentos_pdf

__all__ = ["MULTIBANCO_MAX", "DadosRelatorio", "assunto", "assunto_aprovacao", "texto_aprovacao", "construir_email", "documento_pdf",
           "escrever_documentos_pdf", "instrucoes_pagamento", "recolher", "render_documento", "render_html",
           "render_texto", "write_xlsx"]


def render_documento(dados: DadosRelatorio, doc: dict) -> str:
    """A payment document as an HTML page (kept for the current adapter; finance gets ``documento_pdf``)."""
    from ciclo.relatorio.correio import _env

    return _env().get_template("documento_pagamento.html").render(
        d=dados, doc=doc, multibanco_max=MULTIBANCO_MAX, instrucoes=instrucoes_pagamento(doc))
