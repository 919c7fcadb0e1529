"""The portfolio of a month from the ledger (the SQL on SQLite and PostgreSQL) and its page."""

from ciclo.relatorio.carteira import estado_carteira, render_carteira
from tests.integration.reconciliacao.test_reconciliacao import EE, MES
from tests.integration.relatorio.fixtures_mes import NOME, mes_completo


def test_every_employer_with_its_state(ledger):
    mes_completo(ledger)
    ledger.folhas.registar(EE, MES, "c" * 64, n_trabalhadores=3, n_remuneracoes=3, quality_ok=True, n_erros=0, n_avisos=2,
                           report_path=None)
    linhas = estado_carteira(ledger, MES, [{"niss_ee": "20000000001", "nome": "Ainda Nada, S.A."},
                                           {"niss_ee": EE, "nome": NOME}])
    assert [l.niss_ee for l in linhas] == ["20000000001", EE]  # configured order; the empty one is still listed
    vazio, ee = linhas
    assert vazio.qualidade == ("pendente", "sem folha") and vazio.decisao == ("pendente", "—")
    assert ee.qualidade == ("aviso", "OK, 2 aviso(s)")
    assert ee.envio[0] == "ok" and ee.envio[1].startswith("entregue ") and "CE-2025-0001" in ee.envio[1]
    assert ee.apurado == ("ok", "1 668,01 € (+668,01 € face a ago/25)")
    assert ee.diferencas == ("erro", "2 exigem decisão (de 4)")
    assert ee.decisao[0] == "ok" and ee.decisao[1].startswith("Aprovada por Ana Sousa em ")
    assert ee.documentos == ("ok", "3 · 121 668,01 € até 27/10/2025")
    html = render_carteira(linhas, MES, utilizador="admin")
    assert html.count("<tr data-niss-ee=") == 2 and "Carteira do ciclo contributivo — setembro de 2025" in html
    assert "Ainda Nada, S.A." in html and NOME in html and "Sessão: admin" in html


def test_an_employer_only_the_ledger_knows_is_not_hidden(ledger):
    mes_completo(ledger)
    [linha] = estado_carteira(ledger, MES, [])
    assert linha.niss_ee == EE and linha.nome == EE
