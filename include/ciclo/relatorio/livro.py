"""The month's workbook (XlsxWriter): every sheet with euro amounts, real dates, frozen headers, filters and
widths, a summary whose counts are the email's, and the audit of what was sent to the Segurança Social and when."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ciclo.domain.naturezas import NATUREZAS
from ciclo.relatorio.correio import instrucoes_pagamento
from ciclo.relatorio.dados import DadosRelatorio
from ciclo.relatorio.decisao import decisao_texto
from ciclo.relatorio.formato import LISBOA, como_data, como_data_hora, mes_pt
from ciclo.relatorio.rotulos import GRUPOS

FMT_EUR = '#,##0.00 "€";-#,##0.00 "€"'
FMT_DATA = "dd/mm/yyyy"
FMT_DATA_HORA = "dd/mm/yyyy hh:mm:ss"
GRUPO_CURTO = {"bloqueante": "exige decisão", "informativa": "informativa", "tolerada": "dentro da tolerância"}

SHEETS = ("Resumo", "Naturezas", "Incidência", "Trabalhadores", "Diferenças", "Documentos de pagamento", "Histórico",
          "Auditoria")


# Above this many rows (all sheets), a workbook is written row by row through temporary files (constant_memory);
# below, in memory: a small employer's workbook took 33 ms through its eight temporary files, 14 ms in memory.
LINHAS_EM_MEMORIA = 2000


class _Livro:
    def __init__(self, path: Path, linhas: int = LINHAS_EM_MEMORIA + 1):
        import xlsxwriter

        # constant_memory: each row goes to a temporary file once the next is written (rows are written in order
        # here) instead of every cell of every sheet staying in memory until close: a 50,000-worker month's
        # workbook (the workers and the audit of every call) held ≈ 1 million cells. Strings are then written
        # inline, not as shared strings: Excel, LibreOffice and openpyxl read both. A small workbook is built in
        # memory (in_memory: no temporary files at all).
        modo = {"constant_memory": True} if linhas > LINHAS_EM_MEMORIA else {"in_memory": True}
        self.wb = xlsxwriter.Workbook(str(path), {"remove_timezone": True, **modo})
        f = self.wb.add_format
        self.eur, self.data, self.data_hora = f({"num_format": FMT_EUR}), f({"num_format": FMT_DATA}), f({"num_format": FMT_DATA_HORA})
        self.bold, self.wrap = f({"bold": True}), f({"text_wrap": True, "valign": "top"})
        self.head = f({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
        self.eur_bold = f({"num_format": FMT_EUR, "bold": True})
        self.pct = f({"num_format": '+0.0%;-0.0%;0.0%'})

    def celula(self, ws, i, j, v, *, bold=False):
        if isinstance(v, Decimal):
            # xlsx stores IEEE doubles; the Decimal was already rounded half-up to cents, so this is exact to the cent
            ws.write_number(i, j, float(v), self.eur_bold if bold else self.eur)
        elif isinstance(v, datetime):
            ws.write_datetime(i, j, v, self.data_hora)
        elif isinstance(v, date):
            ws.write_datetime(i, j, datetime(v.year, v.month, v.day), self.data)
        elif v is None:
            ws.write_blank(i, j, None)
        elif isinstance(v, bool):
            ws.write_string(i, j, "sim" if v else "não")
        elif isinstance(v, (int, float)):
            ws.write_number(i, j, v)
        else:
            ws.write_string(i, j, str(v), self.bold if bold else None)

    def folha(self, nome, colunas: list[tuple[str, int]], linhas, tipos: tuple[str | None, ...] | None = None):
        """``tipos``, per column: ``"cent"`` (integer cents, written as euros), ``"numero"`` (days as the ledger
        keeps them), ``"texto"`` (str) or None (any value, through ``celula``); no ``tipos``: every column None.
        A typed column skips ``celula``'s dispatch and the Decimal: the workers' sheet of a 10,000-worker month
        took 1.19 s through ``celula``, 0.86 s typed. A None value is no cell either way (a blank cell without a
        format is none, as ``write_blank`` does)."""
        ws = self.wb.add_worksheet(nome)
        for j, (c, w) in enumerate(colunas):
            ws.write(0, j, c, self.head)
            ws.set_column(j, j, w)
        ws.set_row(0, 30)
        tipos = tipos or (None,) * len(colunas)
        numero, texto, eur = ws.write_number, ws.write_string, self.eur
        n = 0   # ``linhas`` may be a generator: a large sheet's rows are converted one at a time, never all held
        for n, linha in enumerate(linhas, start=1):
            for j, (v, tipo) in enumerate(zip(linha, tipos)):
                if v is None:
                    continue
                if tipo == "cent":
                    # int ÷ 100 is the double nearest the exact amount, as float(Decimal) of it is
                    numero(n, j, int(v) / 100, eur)
                elif tipo == "texto":
                    texto(n, j, v if v.__class__ is str else str(v))
                elif tipo == "numero":
                    numero(n, j, float(v))   # days (not money), e.g. 22.5: float(Decimal(str(v))) is the same double
                else:
                    self.celula(ws, n, j, v)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(n, 1), len(colunas) - 1)
        return ws


def _lisboa(ts) -> datetime | None:
    """Ledger timestamps (UTC) as Lisbon wall-clock time, the time finance reads."""
    return None if ts is None else como_data_hora(ts).astimezone(LISBOA).replace(tzinfo=None)


def resumo_linhas(dados: DadosRelatorio) -> list[tuple[str, object]]:
    """The summary, in the email's words and counts (tested against the email)."""
    t, c = dados.totais, dados.contagens
    ma = dados.mes_anterior
    return [
        ("Entidade empregadora", f"{dados.nome} (NISS {dados.niss_ee})"),
        ("Mês de referência", mes_pt(dados.ano_mes)),
        ("Total a pagar", t["a_pagar"]),
        ("   por débito direto (não pagar)", t["debito_direto"]),
        ("   a pagar manualmente", t["a_pagar_manual"]),
        ("Data-limite de pagamento", dados.prazos["pagamento"].data),
        ("Data-limite para confirmar (o silêncio vale como aceitação)", dados.prazos["confirmacao"].data),
        ("Decisão", decisao_texto(dados.confirmacao, dados.prazos)),
        ("Trabalhadores na folha", t["trabalhadores_folha"]),
        ("Trabalhadores na Segurança Social", t["trabalhadores_ss"]),
        ("Remuneração (folha)", t["folha_remuneracao"]),
        ("Remuneração (Segurança Social)", t["ss_remuneracao"]),
        ("Obrigação (folha)", t["folha_obrigacao"]),
        ("Obrigação (Segurança Social)", t["ss_obrigacao"]),
        (f"Obrigação em {mes_pt(ma['ano_mes'])}" if ma else "Obrigação do mês anterior", ma["obrigacao"] if ma else None),
        ("Variação face ao mês anterior", ma["delta"] if ma else None),
        ("Diferenças (total)", c["total"]),
        ("   " + GRUPOS["bloqueante"], c["bloqueante"]),
        ("   " + GRUPOS["informativa"], c["informativa"]),
        ("   " + GRUPOS["tolerada"], c["tolerada"]),
        ("Tolerância por trabalhador", t["tolerancia"]),
        ("Documentos de pagamento", len(dados.documentos)),
    ]


def write_xlsx(dados: DadosRelatorio, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lv = _Livro(path, linhas=len(dados.trabalhadores) + len(dados.diferencas) + len(dados.chamadas)
                + len(dados.contratos) + len(dados.submissoes) + len(dados.documentos) + len(dados.historico))

    ws = lv.wb.add_worksheet("Resumo")
    ws.write(0, 0, "Indicador", lv.head)
    ws.write(0, 1, "Valor", lv.head)
    ws.set_column(0, 0, 58)
    ws.set_column(1, 1, 70, lv.wrap)
    for i, (k, v) in enumerate(resumo_linhas(dados), start=1):
        ws.write_string(i, 0, k, lv.bold)
        lv.celula(ws, i, 1, v, bold=k == "Total a pagar")
    ws.freeze_panes(1, 0)

    lv.folha("Naturezas", [("Natureza", 11), ("Descrição", 48), ("Remuneração folha", 18), ("Trabalhadores folha", 12),
                           ("Remuneração SS", 18), ("Trabalhadores SS", 12), ("Diferença (SS − folha)", 18)],
             [[x["natureza"], x["descricao"], x["folha"], x["folha_trabalhadores"], x["ss"], x["ss_trabalhadores"],
               x["delta"]] for x in dados.naturezas])
    lv.folha("Incidência", [("Natureza", 11), ("Descrição", 48), ("Bruto (folha)", 18), ("Isento", 18),
                            ("Sujeito a contribuições (declarado)", 22)],
             [[x["natureza"], NATUREZAS.get(x["natureza"], "natureza desconhecida"), x["bruto"], x["isento"],
               x["sujeito"]] for x in dados.incidencia])
    lv.folha("Trabalhadores", [("NISS", 14), ("Enquadramento", 30), ("Remuneração folha", 18), ("Remuneração SS", 18),
                               ("Obrigação folha", 18), ("Obrigação SS", 18), ("Dias folha", 10), ("Dias SS", 10)],
             ((w.niss_trabalhador, w.enquadramento, w.folha_remuneracao_cent, w.ss_remuneracao_cent,
               w.folha_obrigacao_cent, w.ss_obrigacao_cent, w.folha_dias, w.ss_dias) for w in dados.trabalhadores),
             tipos=("texto", "texto", "cent", "cent", "cent", "cent", "numero", "numero"))
    ordem = {"bloqueante": 0, "informativa": 1, "tolerada": 2}
    difs = sorted(dados.diferencas, key=lambda x: ordem[x["grupo"]])
    lv.folha("Diferenças", [("NISS", 14), ("Grupo", 20), ("Diferença", 40), ("Natureza", 9), ("Folha", 16),
                            ("Segurança Social", 16), ("Diferença (€)", 14), ("Explicação", 90)],
             [[x["niss_trabalhador"], GRUPO_CURTO[x["grupo"]], x["rotulo"], x["natureza"], x["interno"], x["ss"],
               x["delta"], x["explicacao"]] for x in difs])
    lv.folha("Documentos de pagamento", [("Número", 18), ("Tipo", 22), ("Valor", 16), ("Válido até", 12),
                                         ("Entidade MB", 12), ("Referência MB", 16), ("IBAN", 30),
                                         ("Débito direto (autorização)", 18), ("Como pagar", 90)],
             [[x["numero"], " ".join(filter(None, (x.get("tipo"), x.get("subtipo")))) or None, x["valor"],
               como_data(x["data_validade"]) if x.get("data_validade") else None, x.get("entidade_mb"),
               x.get("referencia_mb"), x.get("iban"), x.get("debito_direto"), " · ".join(instrucoes_pagamento(x))]
              for x in dados.documentos])
    lv.folha("Histórico", [("Mês", 16), ("Obrigação (Segurança Social)", 22)],
             [[mes_pt(h["ano_mes"]), h["obrigacao"]] for h in dados.historico])
    eventos = []
    for s in dados.submissoes:
        eventos.append((_lisboa(s["created_at"]), "declaração de remunerações", "envio" + (" (correção)" if s["correcao"] else ""),
                        None, s["estado"], None, None, s.get("comprovativo_entrega"), s["n_trabalhadores"],
                        s["tentativas"], s.get("erro"), _lisboa(s["updated_at"])))
    for ct in dados.contratos:
        eventos.append((_lisboa(ct["created_at"]), "comunicação de contrato", f"trabalhador {ct['niss_trabalhador']}",
                        "SOAP", ct["estado"], None, None, None, None, None,
                        " ".join(filter(None, (f"código {ct['codigo_resultado']}" if ct.get("codigo_resultado") is not None
                                               else None, ct.get("mensagens")))) or None, _lisboa(ct["updated_at"])))
    for ch in dados.chamadas:
        eventos.append((_lisboa(ch["created_at"]), "chamada à Segurança Social", ch["servico"], ch["metodo"],
                        ch["resultado"], ch["status"], ch["duracao_ms"], None, None, None, ch.get("erro_classe"), None))
    eventos.sort(key=lambda e: (e[0] is None, e[0] or datetime.min))
    lv.folha("Auditoria", [("Data/hora (Lisboa)", 20), ("Tipo", 26), ("Serviço", 34), ("Método", 8), ("Resultado", 14),
                           ("HTTP", 7), ("Duração (ms)", 11), ("Comprovativo de entrega", 24), ("Trabalhadores", 12),
                           ("Tentativas", 10), ("Erro", 30), ("Última atualização", 20)], [list(e) for e in eventos])
    lv.wb.close()
    return path
