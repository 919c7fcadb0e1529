"""A payment document as a PDF laid out like the Segurança Social's own "Documento de Pagamento": who pays, for
which month, the document number, the amount, validity, and the payment references (Multibanco entity and
reference, IBAN for a bank transfer, or the direct-debit notice). Made with fpdf2. The font is the PDF standard
Helvetica (every reader has it; nothing embedded) in the Windows-1252 encoding, which covers Portuguese, €, dashes and
quotes; a document with any other character (a name in another script, a letter outside that code page) is drawn
with the DejaVu Sans that matplotlib ships, embedded: no system font is needed either way. The embedded font is
subset for every document (≈ 0.04 s of CPU each, the largest part of a small employer's report); the standard one
costs nothing.

Field set: the document shape of DOMAIN.md §3 (PUBLIC-CLIENT diegobarbosa88/atualizacao-app-magnetic-place,
api/seguranca-social/index.js). The visual arrangement (header band, identification block, the Multibanco box
with Entidade / Referência / Montante) is ASSUMED after the documents the Segurança Social Direta prints.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from ciclo.domain.calendario import dia_util_anterior
from ciclo.relatorio.correio import _ref_mb, instrucoes_pagamento
from ciclo.relatorio.dados import MULTIBANCO_MAX, DadosRelatorio
from ciclo.relatorio.formato import LISBOA, como_data, data_pt, eur, iban_impresso, mes_pt

AZUL = (31, 78, 121)
CINZA = (235, 240, 246)


def _fonte_dir() -> Path:
    # matplotlib's data folder (what ``matplotlib.get_data_path()`` returns: ``mpl-data`` beside its
    # ``__init__.py``), found without importing matplotlib: that import (≈0.14 s, rcParams and all) was for a path
    from importlib.util import find_spec

    spec = find_spec("matplotlib")
    if spec is None or not spec.origin:
        raise RuntimeError("matplotlib (which ships the DejaVu Sans font of the documents) is not installed")
    return Path(spec.origin).with_name("mpl-data") / "fonts" / "ttf"


# Latin script (Basic Latin to Latin Extended-B), general punctuation, €: every fixed text of the document and the
# names of Portuguese employers. A text with any other character is drawn with the whole font.
_LATIM = [*range(0x20, 0x250), *range(0x2000, 0x2070), 0x20AC, 0x2122]


@functools.lru_cache(maxsize=4)
def _fonte_latina(nome: str) -> Path:
    """DejaVu ``nome`` cut to the Latin glyphs, written once per font version under the temp directory.

    fpdf2 parses the whole TTF for every document (DejaVu Sans: ≈6,000 glyphs, ≈0.07 s per document and style);
    the Latin cut (≈600 glyphs) is parsed in a fraction of that. Written atomically: several processes may race."""
    import hashlib
    import os
    import tempfile

    from fontTools import subset

    origem = _fonte_dir() / nome
    chave = hashlib.sha256(origem.read_bytes()).hexdigest()[:16]
    destino = Path(tempfile.gettempdir()) / "ciclo-fontes" / f"{origem.stem}-latim-{chave}.ttf"
    if not destino.is_file():
        destino.parent.mkdir(parents=True, exist_ok=True)
        opcoes = subset.Options()
        opcoes.layout_features = ["*"]
        opcoes.name_IDs = ["*"]
        fonte = subset.load_font(str(origem), opcoes)
        sub = subset.Subsetter(opcoes)
        sub.populate(unicodes=_LATIM)
        sub.subset(fonte)
        tmp = destino.with_name(f"{destino.name}.{os.getpid()}.tmp")
        subset.save_font(fonte, str(tmp), opcoes)
        os.replace(tmp, destino)
    return destino


def _fontes(*textos: str) -> tuple[Path, Path]:
    """(regular, bold) font files for a document whose variable texts are ``textos``."""
    if all(ord(c) in _CONJUNTO_LATIM for t in textos for c in t if c not in "\n\r\t"):
        return _fonte_latina("DejaVuSans.ttf"), _fonte_latina("DejaVuSans-Bold.ttf")
    return _fonte_dir() / "DejaVuSans.ttf", _fonte_dir() / "DejaVuSans-Bold.ttf"


_CONJUNTO_LATIM = frozenset(_LATIM)
FAMILIA_PADRAO = "helvetica"      # one of the PDF's 14 standard fonts: not embedded
FAMILIA_EMBUTIDA = "DejaVu"


def documento_pdf(dados: DadosRelatorio, doc: dict, *, gerado_em: datetime | None = None) -> bytes:
    """The PDF bytes of one payment document of ``dados`` (a row of ``dados.documentos``): with the standard
    Helvetica when every text of it is in Windows-1252, else with DejaVu Sans embedded (see the module's text)."""
    from fpdf.errors import FPDFUnicodeEncodingException

    if doc not in dados.documentos:
        raise ValueError(f"document {doc.get('numero')} is not one of {dados.niss_ee} {dados.ano_mes}'s documents")
    gerado_em = gerado_em or datetime.now(LISBOA)
    try:
        return _desenhar(dados, doc, gerado_em, embutida=False)
    except FPDFUnicodeEncodingException:
        return _desenhar(dados, doc, gerado_em, embutida=True)


def _desenhar(dados: DadosRelatorio, doc: dict, gerado_em: datetime, *, embutida: bool) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"Documento de pagamento {doc['numero']}")
    pdf.set_author("Ciclo contributivo")
    pdf.set_creation_date(gerado_em)
    if embutida:
        regular, negrito = _fontes(dados.nome or "", dados.niss_ee, str(doc.get("numero", "")))
        pdf.add_font(FAMILIA_EMBUTIDA, "", str(regular))
        pdf.add_font(FAMILIA_EMBUTIDA, "B", str(negrito))
        familia = FAMILIA_EMBUTIDA
    else:
        pdf.core_fonts_encoding = "windows-1252"   # WinAnsiEncoding, as fpdf2 declares the standard fonts
        familia = FAMILIA_PADRAO
    pdf.set_auto_page_break(False)
    pdf.add_page()
    w = pdf.w - pdf.l_margin - pdf.r_margin

    # header band
    pdf.set_fill_color(*AZUL)
    pdf.rect(pdf.l_margin, 12, w, 18, style="F")
    pdf.set_xy(pdf.l_margin + 4, 14)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(familia, "B", 15)
    pdf.cell(w - 8, 7, "Segurança Social — Documento de Pagamento")
    pdf.set_xy(pdf.l_margin + 4, 22)
    pdf.set_font(familia, "", 9)
    pdf.cell(w - 8, 5, f"Contribuições e quotizações — {mes_pt(dados.ano_mes)}")
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(36)

    def bloco(titulo: str, linhas: list[tuple[str, str]], destaque: bool = False):
        pdf.set_font(familia, "B", 10)
        pdf.set_fill_color(*CINZA)
        pdf.cell(w, 7, "  " + titulo, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")
        for k, v in linhas:
            pdf.set_font(familia, "", 9)
            pdf.cell(60, 8, "  " + k, border="LB")
            pdf.set_font(familia, "B", 12 if destaque else 10)
            pdf.cell(w - 60, 8, v, border="RB", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    bloco("Entidade empregadora", [("Nome", dados.nome), ("NISS", dados.niss_ee)])
    bloco("Documento", [
        ("Número do documento", str(doc["numero"])),
        ("Referente a", f"Contribuições de {mes_pt(dados.ano_mes)}"),
        ("Tipo", " ".join(filter(None, (doc.get("tipo"), doc.get("subtipo")))) or "—"),
        ("Montante", eur(doc["valor"])),
        ("Válido até", data_pt(doc.get("data_validade"))),
        ("Data-limite de pagamento", data_pt(dados.prazos["pagamento"].data)),
    ])
    aviso = aviso_validade(doc, dados.prazos["pagamento"])
    if aviso:
        pdf.set_font(familia, "B", 9)
        pdf.set_text_color(156, 43, 0)
        pdf.multi_cell(w, 5, align="L", text=aviso, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
    if doc.get("debito_direto"):
        bloco("Débito direto", [("Autorização n.º", str(doc["debito_direto"])), ("Montante", eur(doc["valor"]))])
        pdf.set_font(familia, "B", 12)
        pdf.set_text_color(156, 43, 0)
        pdf.multi_cell(w, 7, align="L", text="NÃO PAGAR — débito automático: a Segurança Social cobra este valor diretamente na "
                             "conta autorizada.", border=1, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)
    else:
        if doc.get("referencia_mb"):
            bloco("Pagamento por Multibanco", [("Entidade", str(doc["entidade_mb"])),
                                                ("Referência", _ref_mb(doc["referencia_mb"])),
                                                ("Montante", eur(doc["valor"]))], destaque=True)
        elif doc["valor"] > MULTIBANCO_MAX:
            pdf.set_font(familia, "", 9)
            pdf.multi_cell(w, 5, align="L", text=f"Multibanco indisponível: o montante excede {eur(MULTIBANCO_MAX)}. "
                                 "Pagar por transferência bancária.", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        if doc.get("iban"):
            bloco("Pagamento por transferência bancária", [("IBAN", iban_impresso(doc["iban"])),
                                                            ("Descritivo", f"Documento {doc['numero']}"),
                                                            ("Montante", eur(doc["valor"]))])
    pdf.set_font(familia, "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(w, 4.5, align="L", text="Como pagar: " + " · ".join(instrucoes_pagamento(doc)) + "\n"
                   f"Documento emitido pela Segurança Social e obtido em {data_pt(doc.get('obtido_em'))}; "
                   f"reproduzido pelo ciclo contributivo em {data_pt(gerado_em)}.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def aviso_validade(doc: dict, prazo) -> str | None:
    """When a document to be paid by hand stops being valid before the legal deadline (the SS's day fell on a
    holiday or weekend and moved, Código Civil art. 279.º e), while the document keeps the SS's day): pay by the
    last working day of its validity, or ask for a new document. None otherwise (and for a direct debit: the SS
    collects it)."""
    if doc.get("debito_direto") or not doc.get("data_validade"):
        return None
    validade = como_data(doc["data_validade"])
    if validade >= prazo.data:
        return None
    return (f"Atenção: este documento é válido até {data_pt(validade)}, antes da data-limite legal de pagamento "
            f"({data_pt(prazo.data)}). Pague-o até {data_pt(dia_util_anterior(validade))}; depois dessa data, peça "
            f"um novo documento de pagamento.")


def escrever_documentos_pdf(dados: DadosRelatorio, pasta: Path) -> list[Path]:
    """One ``documento-pagamento-<número>.pdf`` per document of the month, in ``pasta``."""
    pasta = Path(pasta)
    pasta.mkdir(parents=True, exist_ok=True)
    out = []
    for doc in dados.documentos:
        p = pasta / f"documento-pagamento-{doc['numero']}.pdf"
        p.write_bytes(documento_pdf(dados, doc))
        out.append(p)
    return out
