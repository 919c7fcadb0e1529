"""The finance report: HTML, XLSX (read back with openpyxl) and the email through a real SMTP server."""

import smtplib
from datetime import date
from decimal import Decimal as D

import openpyxl

from ciclo_dev.smtp_catcher import SmtpCatcher

from ciclo.reconciliacao import reconciliar
from tests.ledger_fixtures import gravar_interno
from ciclo.relatorio import construir_email, recolher, render_documento, render_html, write_xlsx
from tests.integration.reconciliacao.test_reconciliacao import EE, MES, interno, ss_doc


def _mes_com_diferenca(ledger):
    ledger.apurados.guardar(EE, MES, [ss_doc("10000000011", {"P": "1600.00"}), ss_doc("10000000022", {"P": "1600.00"})])
    gravar_interno(ledger, EE, MES, [interno("10000000011", {"P": "1600.00"}), interno("10000000022", {"P": "1650.00"})],
                   date(2025, 9, 1))
    reconciliar(ledger, EE, MES)
    ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=2, total_obrigacao=D("1112.00"),
                             data_limite_pagamento=date(2025, 10, 25))
    ledger.apuramentos.registar(EE, "202508", "CONFIRMADO", total_obrigacao=D("1000.00"))
    ledger.decisoes.registar(EE, MES, "CONFIRMADO", "aprovada", "operadora.ana", "diferença explicada pelo aumento")
    ledger.documentos.gravar(EE, MES, [
        {"tipo": "DP", "subtipo": "CONTRIB", "numeroDocumentoPagamento": "400012345678", "dataValidade": "2025-10-25",
         "valor": D("1112.00"), "referenciaDocumentoPagamento": {"pagamentoMultibanco": {"entidadeMultibanco": "20638",
         "referenciaMultibanco": "123456789"}, "pagamentoTransferenciaBancaria": {"iban": "PT50000000000000000000000"}}},
        {"tipo": "DP", "subtipo": "CONTRIB", "numeroDocumentoPagamento": "400012345679", "dataValidade": "2025-10-25",
         "valor": D("120000.00"), "referenciaDocumentoPagamento": {"pagamentoMultibanco": None,
         "pagamentoTransferenciaBancaria": {"iban": "PT50000000000000000000001"}}},
    ])


def test_report_html_xlsx_and_email_over_real_smtp(ledger, tmp_path):
    _mes_com_diferenca(ledger)
    dados = recolher(ledger, EE, MES, nome="Exemplo, Lda.")
    assert dados.totais["a_pagar"] == D("121112.00")
    html = render_html([dados])
    assert "Exemplo, Lda." in html and "121 112,00 €" in html
    assert "contrato não atualizado" in html  # the difference is explained
    assert "sem referência Multibanco" in html and "PT50000000000000000000001" in html  # > 99,999.99 → IBAN
    assert "operadora.ana" in html
    assert "2025-10-25" in html and "sábado" in html  # deadline flagged: 2025-10-25 is a Saturday
    assert "202508" in html  # the chart covers the previous months

    xlsx = write_xlsx(dados, tmp_path / "relatorio.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Resumo", "Trabalhadores", "Diferenças", "Documentos de pagamento"]
    ws = wb["Trabalhadores"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["10000000011", "10000000022"]
    assert rows[1][2] == 1650 and rows[1][3] == 1600
    assert "€" in ws.cell(row=2, column=3).number_format
    dif = list(wb["Diferenças"].iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in dif} == {"REMUNERACAO_PERMANENTE_DIFERENTE", "OBRIGACAO_DIFERENTE"}

    doc_html = tmp_path / "documento-400012345678.html"
    doc_html.write_text(render_documento(dados, dados.documentos[0]), encoding="utf-8")
    assert "20638" in doc_html.read_text() and "123456789" in doc_html.read_text()

    msg = construir_email([dados], "ciclo@exemplo.pt", ["financas@exemplo.pt"], [xlsx, doc_html], html)
    with SmtpCatcher(tmp_path / "mail") as smtp:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as s:
            s.send_message(msg)
        smtp.wait_for(1)
        [got] = smtp.messages()
    assert got["To"] == "financas@exemplo.pt" and MES in got["Subject"]
    names = [p.get_filename() for p in got.iter_attachments()]
    assert names == ["relatorio.xlsx", "documento-400012345678.html"]
    anexo = next(got.iter_attachments()).get_content()
    (tmp_path / "back.xlsx").write_bytes(anexo)
    assert openpyxl.load_workbook(tmp_path / "back.xlsx")["Resumo"]["A1"].value == "Entidade empregadora"
