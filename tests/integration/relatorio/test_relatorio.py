"""The finance report as finance receives it: the email sent over real SMTP and parsed back (subject, MIME tree,
Portuguese formats, inline chart, counts equal to the workbook's), the workbook read with openpyxl, and the
payment documents rendered by poppler."""

import re
import shutil
import smtplib
import subprocess
from datetime import datetime
from decimal import Decimal as D

import openpyxl
import pytest

from ciclo_dev.smtp_catcher import SmtpCatcher
from ciclo.relatorio import construir_email, documento_pdf, recolher, render_documento, write_xlsx
from ciclo.relatorio.livro import SHEETS
from tests.integration.reconciliacao.test_reconciliacao import EE, MES
from tests.integration.relatorio.fixtures_mes import NOME, mes_completo

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enviar_e_receber(msg, tmp_path):
    with SmtpCatcher(tmp_path / "mail") as smtp:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as s:
            s.send_message(msg)
        smtp.wait_for(1)
        [got] = smtp.messages()
    return got


@pytest.fixture
def mes(ledger, tmp_path):
    mes_completo(ledger)
    dados = recolher(ledger, EE, MES, nome=NOME)
    xlsx = write_xlsx(dados, tmp_path / f"reconciliacao-{EE}-{MES}.xlsx")
    pdfs = []
    for doc in dados.documentos:
        p = tmp_path / f"documento-pagamento-{doc['numero']}.pdf"
        p.write_bytes(documento_pdf(dados, doc))
        pdfs.append(p)
    return dados, xlsx, pdfs


def test_email_over_real_smtp_reads_as_finance_expects(mes, tmp_path):
    dados, xlsx, pdfs = mes
    msg = construir_email([dados], "ciclo@exemplo.pt", ["financas@exemplo.pt"], [xlsx, *pdfs])
    got = _enviar_e_receber(msg, tmp_path)

    assert got["To"] == "financas@exemplo.pt"
    assert got["Subject"] == ("Segurança Social setembro de 2025: Exemplo, Lda. (20000003116) — a pagar 121 668,01 € "
                              "até 27/10/2025")
    # MIME tree: mixed[alternative[text/plain, related[text/html, image/png]], xlsx, pdf...]
    assert got.get_content_type() == "multipart/mixed"
    alt = got.get_payload()[0]
    assert alt.get_content_type() == "multipart/alternative"
    texto, rel = alt.get_payload()
    assert texto.get_content_type() == "text/plain" and rel.get_content_type() == "multipart/related"
    html_part, png = rel.get_payload()
    assert html_part.get_content_type() == "text/html" and png.get_content_type() == "image/png"
    assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    cid = str(png["Content-ID"]).strip().strip("<>")
    html = html_part.get_content()
    assert f'src="cid:{cid}"' in html

    anexos = [(p.get_filename(), p.get_content_type()) for p in got.iter_attachments()]
    assert anexos == [(xlsx.name, XLSX_MIME)] + [(p.name, "application/pdf") for p in pdfs]

    plain = texto.get_content()
    for corpo in (html, plain):
        assert "121 668,01 €" in corpo and "27/10/2025" in corpo
        assert "2025-10-25" not in corpo  # no ISO date reaches finance
        assert "Aprovada por Ana Sousa em " in corpo and "diferença explicada pelo aumento" in corpo
        assert "{'id'" not in corpo and "operadora.ana" not in corpo
        assert "TRABALHADOR_" not in corpo and "REMUNERACAO_PERMANENTE_DIFERENTE" not in corpo
        assert "Remuneração permanente diferente" in corpo
        # payment instructions: Multibanco, IBAN above the Multibanco limit, direct debit not to be paid
        assert "entidade 20638, referência 123 456 789" in corpo
        assert "IBAN PT50 0000 0000 0000 0000 0000 1," in corpo and "Multibanco indisponível acima de 99 999,99 €" in corpo
        assert "Não pagar — débito automático (autorização n.º 998877)" in corpo
        assert "Face a agosto de 2025: +668,01 € (+66,8 %)" in corpo
    assert re.search(r"Aprovada por Ana Sousa em \d{2}/\d{2}/\d{4} \d{2}:\d{2}", plain)
    assert "Atenção: o prazo de pagamento (25/10/2025) calha em sábado" in plain

    # the counts the email states are the workbook's
    assert "4 diferença(s): <b>2 exigem decisão</b>" in html and "1 informativa(s), 1 dentro da tolerância" in html
    back = tmp_path / "back.xlsx"
    back.write_bytes(next(got.iter_attachments()).get_content())
    wb = openpyxl.load_workbook(back)
    grupos = [r[1] for r in wb["Diferenças"].iter_rows(min_row=2, values_only=True)]
    assert len(grupos) == 4
    assert grupos.count("exige decisão") == 2 and grupos.count("informativa") == 1
    assert grupos.count("dentro da tolerância") == 1
    resumo = {r[0].strip(): r[1] for r in wb["Resumo"].iter_rows(min_row=2, values_only=True)}
    assert resumo["Diferenças (total)"] == 4
    assert resumo["Diferenças que exigem decisão (fora da tolerância)"] == 2
    assert resumo["Total a pagar"] == 121668.01


def test_one_email_per_run_covers_every_employer(mes, ledger, tmp_path):
    dados, xlsx, _ = mes
    outro = recolher(ledger, EE, MES, nome="Outra, S.A.")
    outro.niss_ee = "20000003117"  # a second employer of the same month (same figures, different NISS)
    msg = construir_email([dados, outro], "ciclo@exemplo.pt", ["financas@exemplo.pt"], [xlsx])
    got = _enviar_e_receber(msg, tmp_path)
    assert got["Subject"] == "Segurança Social setembro de 2025: 2 entidades — a pagar 243 336,02 € até 27/10/2025"
    rel = got.get_payload()[0].get_payload()[1]
    assert [p.get_content_type() for p in rel.get_payload()] == ["text/html", "image/png", "image/png"]


def test_bad_attachments_and_months_are_refused(mes, tmp_path):
    dados, _, _ = mes
    estranho = tmp_path / "x.bin"
    estranho.write_bytes(b"x")
    with pytest.raises(ValueError, match="no MIME type known for '.bin'"):
        construir_email([dados], "a@b", ["c@d"], [estranho])
    with pytest.raises(ValueError, match="without recipients"):
        construir_email([dados], "a@b", [], [])


def test_workbook_is_formatted_for_humans(mes):
    dados, xlsx, _ = mes
    wb = openpyxl.load_workbook(xlsx)
    assert tuple(wb.sheetnames) == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.column_dimensions["A"].width > 10, ws.title
        if ws.title != "Resumo":
            assert ws.auto_filter.ref, ws.title
    resumo = {r[0].value.strip(): r[1] for r in wb["Resumo"].iter_rows(min_row=2)}
    assert "€" in resumo["Total a pagar"].number_format and resumo["Total a pagar"].value == 121668.01
    limite = resumo["Data-limite de pagamento"]
    assert limite.is_date and limite.value == datetime(2025, 10, 27) and limite.number_format == "dd/mm/yyyy"
    assert resumo["Decisão"].value.startswith("Aprovada por Ana Sousa em ")
    nat = list(wb["Naturezas"].iter_rows(min_row=2, values_only=True))
    assert nat == [("P", "Remuneração permanente", 4850, 3, 4800, 3, -50)]
    assert "€" in wb["Naturezas"].cell(row=2, column=3).number_format
    trab = list(wb["Trabalhadores"].iter_rows(min_row=2))
    assert [r[0].value for r in trab] == ["10000000011", "10000000022", "10000000088"]
    assert trab[1][2].value == 1650 and "€" in trab[1][2].number_format
    docs = list(wb["Documentos de pagamento"].iter_rows(min_row=2))
    assert docs[0][3].is_date and docs[0][3].number_format == "dd/mm/yyyy"
    assert docs[2][7].value == "998877" and docs[2][8].value.startswith("Não pagar — débito automático")
    hist = list(wb["Histórico"].iter_rows(min_row=2, values_only=True))
    assert len(hist) == 12 and hist[-1] == ("setembro de 2025", 1668.01) and hist[0][0] == "outubro de 2024"
    aud = list(wb["Auditoria"].iter_rows(min_row=2))
    tipos = [r[1].value for r in aud]
    assert tipos.count("declaração de remunerações") == 1 and tipos.count("chamada à Segurança Social") == 2
    contrato = next(r for r in aud if r[1].value == "comunicação de contrato")
    assert contrato[2].value == "trabalhador 10000000022" and contrato[4].value == "ACKNOWLEDGED"
    envio = next(r for r in aud if r[1].value == "declaração de remunerações")
    assert envio[0].is_date and envio[4].value == "ACKNOWLEDGED" and envio[7].value == "CE-2025-0001"


def _poppler():
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) not installed: apt-get install -y poppler-utils "
                    "(scripts/run-tests.sh installs it)")


def test_payment_documents_render_as_pdf(mes, tmp_path):
    _poppler()
    dados, _, pdfs = mes
    textos = []
    for p in pdfs:
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(p), str(p.with_suffix(""))], check=True)
        png = p.with_suffix(".png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000  # a rendered page, not an empty one
        textos.append(subprocess.run(["pdftotext", "-layout", str(p), "-"], check=True, capture_output=True,
                                     text=True).stdout)
    mb, iban, dd = textos
    for t in textos:
        assert "Documento de Pagamento" in t and "Exemplo, Lda." in t and "20000003116" in t
        assert "setembro de 2025" in t and "27/10/2025" in t
    assert re.search(r"Entidade\s+20638", mb) and re.search(r"Referência\s+123 456 789", mb)
    assert re.search(r"Montante\s+1 112,00 €", mb) and "PT50 0000 0000 0000 0000 0000 0" in mb
    assert "120 000,00 €" in iban and re.search(r"IBAN\s+PT50 0000 0000 0000 0000 0000 1", iban)
    assert "Multibanco indisponível" in iban and "Pagamento por Multibanco" not in iban
    assert "NÃO PAGAR — débito automático" in dd and "998877" in dd and "IBAN" not in dd


def test_a_portuguese_document_uses_the_standard_font_and_another_script_embeds_dejavu(mes, tmp_path):
    import dataclasses

    _poppler()
    dados, _, pdfs = mes
    fontes = lambda p: subprocess.run(["pdffonts", str(p)], check=True, capture_output=True, text=True).stdout  # noqa: E731
    # Portuguese, €, dashes: the standard Helvetica, nothing embedded, the text intact
    assert "Helvetica" in fontes(pdfs[0]) and "DejaVu" not in fontes(pdfs[0]) and "TrueType" not in fontes(pdfs[0])
    for nome in ("Łódź Sp. z o.o.", "Жук Торговля"):   # which DejaVu file: tests/unit/relatorio/test_fontes_pdf.py
        outro = dataclasses.replace(dados, nome=nome)
        p = tmp_path / "outro.pdf"
        p.write_bytes(documento_pdf(outro, outro.documentos[0]))
        assert "DejaVuSans" in fontes(p) and "Helvetica" not in fontes(p)
        texto = subprocess.run(["pdftotext", "-layout", str(p), "-"], check=True, capture_output=True, text=True).stdout
        assert nome in texto and "NÃO PAGAR" not in texto and "1 112,00 €" in texto


def test_document_of_another_month_is_refused(mes):
    dados, _, _ = mes
    with pytest.raises(ValueError, match="is not one of"):
        documento_pdf(dados, {**dados.documentos[0], "numero": "999"})


def test_html_document_page_still_renders_for_the_current_adapter(mes):
    dados, _, _ = mes
    html = render_documento(dados, dados.documentos[0])
    assert "123 456 789" in html and "setembro de 2025" in html and D("1112.00") == dados.documentos[0]["valor"]


def test_a_worker_on_one_side_only_has_the_other_side_empty_and_is_counted_on_its_side(ledger, tmp_path):
    """Before reconciliation (no totals row): the per-worker rows come from one join in the ledger, a worker only in
    the payroll and one only at the SS each on their side, days exact, and the counts taken from those rows."""
    from datetime import date

    from ciclo.reconciliacao import TrabalhadorInterno
    from tests.integration.reconciliacao.test_reconciliacao import ss_doc
    from tests.ledger_fixtures import gravar_interno

    ledger.apurados.guardar(EE, MES, [ss_doc("10000000022", {"P": "1600.00"}),
                                      ss_doc("10000000099", {"P": "700.00"}, obrigacao="243.25")])
    gravar_interno(ledger, EE, MES, [
        TrabalhadorInterno("10000000011", "REGIME_GERAL", {"P": D("1600.00")}, dias_trabalho=D("22.5")),
        TrabalhadorInterno("10000000022", "REGIME_GERAL", {"P": D("1650.00")}, dias_trabalho=D(30)),
    ], date(2025, 9, 1))
    dados = recolher(ledger, EE, MES, nome=NOME)
    assert dados.totais["trabalhadores_folha"] == 2 and dados.totais["trabalhadores_ss"] == 2
    so_folha, ambos, so_ss = dados.trabalhadores
    assert [w.niss_trabalhador for w in dados.trabalhadores] == ["10000000011", "10000000022", "10000000099"]
    assert so_folha.euros("folha_remuneracao") == D("1600.00") and so_folha.dias("folha") == D("22.5")
    assert so_folha.euros("ss_remuneracao") is None and so_folha.dias("ss") is None
    assert ambos.euros("folha_remuneracao") == D("1650.00") and ambos.euros("ss_remuneracao") == D("1600.00")
    assert so_ss.enquadramento is None and so_ss.euros("folha_obrigacao") is None
    assert so_ss.euros("ss_obrigacao") == D("243.25")
    trab = list(openpyxl.load_workbook(write_xlsx(dados, tmp_path / "r.xlsx"))["Trabalhadores"].iter_rows(
        min_row=2, values_only=True))
    assert trab[0][:4] == ("10000000011", so_folha.enquadramento, 1600, None) and trab[0][6] == 22.5
    assert so_folha.enquadramento and trab[0][7] is None
    assert trab[2][:4] == ("10000000099", None, None, 700) and trab[2][5] == 243.25


def test_a_large_workbook_written_through_temporary_files_reads_as_a_small_one_in_memory(ledger, tmp_path, monkeypatch):
    """Above ``LINHAS_EM_MEMORIA`` rows the workbook is written row by row (constant_memory), below in memory: the
    cells finance reads are the same either way (the threshold lowered so that this month crosses it)."""
    import dataclasses

    import openpyxl

    from ciclo.relatorio import livro

    mes_completo(ledger)
    dados = recolher(ledger, EE, MES, nome=NOME)
    dados = dataclasses.replace(dados, chamadas=dados.chamadas * 3)
    linhas = len(dados.trabalhadores) + len(dados.chamadas) + len(dados.diferencas)
    modos = []
    original = livro._Livro.__init__

    def espiar(self, path, linhas=livro.LINHAS_EM_MEMORIA + 1):
        original(self, path, linhas)
        modos.append(self.wb.constant_memory)

    monkeypatch.setattr(livro._Livro, "__init__", espiar)
    ler = lambda p: {ws.title: list(ws.iter_rows(values_only=True)) for ws in openpyxl.load_workbook(p).worksheets}
    pequeno = ler(write_xlsx(dados, tmp_path / "pequeno.xlsx"))
    monkeypatch.setattr(livro, "LINHAS_EM_MEMORIA", linhas - 1)
    grande = ler(write_xlsx(dados, tmp_path / "grande.xlsx"))
    assert modos == [False, True]
    assert grande == pequeno and len(grande["Auditoria"]) > 1 and len(grande["Trabalhadores"]) > 1


def test_a_document_valid_until_before_the_moved_deadline_says_by_when_to_pay_it(mes):
    """The fixture's documents are valid until 25/10/2025, a Saturday: the legal deadline moves to Monday 27/10
    (Código Civil art. 279.º e)), the document does not. Its PDF says to pay it by Friday 24/10 or ask for a new
    one; a direct debit (collected by the SS) and a document valid to the deadline say nothing."""
    from ciclo.relatorio.pdf import aviso_validade

    _poppler()
    dados, _, pdfs = mes
    prazo = dados.prazos["pagamento"]
    assert prazo.data.isoformat() == "2025-10-27"
    texto = lambda p: " ".join(subprocess.run(["pdftotext", str(p), "-"], check=True, capture_output=True,  # noqa: E731
                                              text=True).stdout.split())
    assert ("este documento é válido até 25/10/2025, antes da data-limite legal de pagamento (27/10/2025). "
            "Pague-o até 24/10/2025; depois dessa data, peça um novo documento de pagamento.") in texto(pdfs[0])
    debito = next(d for d in dados.documentos if d.get("debito_direto"))
    assert aviso_validade(debito, prazo) is None
    assert "Pague-o até" not in texto(pdfs[dados.documentos.index(debito)])
    assert aviso_validade({**dados.documentos[0], "data_validade": "2025-10-27"}, prazo) is None
