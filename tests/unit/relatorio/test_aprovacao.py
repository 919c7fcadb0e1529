"""The approval text is readable Markdown: a table of what blocks, totals, deadlines, report, consequences."""

from datetime import date
from decimal import Decimal as D

from ciclo.domain.calendario import prazos
from ciclo.relatorio.aprovacao import assunto_aprovacao, texto_aprovacao
from ciclo.relatorio.dados import DadosRelatorio
from ciclo.relatorio.rotulos import grupo, rotulo


def _dif(niss, classe, interno, ss, dentro=False, natureza=None, explicacao="explicação | com barra"):
    d = {"niss_trabalhador": niss, "classe": classe, "natureza": natureza, "interno": D(interno), "ss": D(ss),
         "delta": D(ss) - D(interno), "dentro_tolerancia": dentro, "explicacao": explicacao}
    return {**d, "rotulo": rotulo(classe), "grupo": grupo(d)}


def _dados(n_bloqueantes=2):
    difs = [_dif(f"100000000{i:02d}", "REMUNERACAO_PERMANENTE_DIFERENTE", "1650.00", "1600.00", natureza="P")
            for i in range(n_bloqueantes)]
    difs += [_dif("10000000099", "FOLHA_CONTRIBUICAO_DIFERENTE", "566.00", "556.00"),
             _dif("10000000098", "ARREDONDAMENTO", "556.00", "556.01", dentro=True)]
    totais = {"trabalhadores_folha": 3, "trabalhadores_ss": 3, "folha_remuneracao": D("4850.00"),
              "ss_remuneracao": D("4800.00"), "folha_obrigacao": D("1685.38"), "ss_obrigacao": D("115870.08"),
              "a_pagar": D("115870.08"), "debito_direto": D("0.00"), "a_pagar_manual": D("115870.08"),
              "tolerancia": D("0.01")}
    return DadosRelatorio("20000003116", "Exemplo, Lda.", "202509", totais, [], difs, [], None,
                          [{"ano_mes": "202508", "obrigacao": D("1000.00")}, {"ano_mes": "202509", "obrigacao": D("1668.01")}],
                          prazos("202509", date(2025, 10, 27)))


def test_markdown_lists_the_blocking_differences_totals_deadlines_and_consequences():
    md = texto_aprovacao(_dados(), relatorio="https://airflow.exemplo.pt/ciclo/carteira?ano_mes=202509")
    assert md.startswith("## Exemplo, Lda. — NISS 20000003116 — setembro de 2025")
    assert "**2 diferença(s) exigem decisão**" in md and "1 informativa(s) e 1 dentro da tolerância" in md
    linhas = md.splitlines()
    header = linhas.index("| Trabalhador (NISS) | Diferença | Folha | Segurança Social | Diferença (€) | Explicação |")
    tabela = [l for l in linhas[header + 2:header + 10] if l.startswith("| 1")]
    assert len(tabela) == 2  # blocking only: the informational and the tolerated ones are not in the table
    assert tabela[0] == ("| 10000000000 | Remuneração permanente diferente (P) | 1 650,00 € | 1 600,00 € | -50,00 € "
                         "| explicação \\| com barra |")
    assert "| Obrigação contributiva | 1 685,38 € | 115 870,08 € |" in md
    assert "Confirmar até **20/10/2025**" in md and "Pagar até **27/10/2025**" in md
    assert "[https://airflow.exemplo.pt/ciclo/carteira?ano_mes=202509](https://" in md
    assert "- **Approve** — confirma na Segurança Social os valores apurados por ela (115 870,08 €)" in md
    assert "- **Reject** — não confirma" in md and "não são pedidos documentos de pagamento" in md
    assert "- **Sem resposta até 20/10/2025** — o silêncio vale como aceitação" in md
    assert "Obrigação em agosto de 2025: 1 000,00 € (+668,01 € este mês)." in md
    assert "```" not in md and "REMUNERACAO_PERMANENTE" not in md


def test_long_lists_are_cut_with_a_pointer_to_the_report():
    md = texto_aprovacao(_dados(20), relatorio="/var/ciclo/reports/20000003116/202509/relatorio.html", top=5)
    assert md.count("| Remuneração permanente diferente (P) |") == 5
    assert "… e mais 15 no relatório." in md
    assert "`/var/ciclo/reports/20000003116/202509/relatorio.html`" in md
    assert assunto_aprovacao(_dados(20)).endswith("20 diferença(s) exigem decisão")


def test_without_blocking_differences_there_is_no_empty_table():
    md = texto_aprovacao(_dados(0))
    assert "**0 diferença(s) exigem decisão**" in md and "| Trabalhador (NISS) |" not in md
