"""Portuguese formats, decision sentences and difference labels (pure functions)."""

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from ciclo.domain.calendario import prazos
from ciclo.reconciliacao import EXPLICACOES
from ciclo.relatorio.decisao import decisao_texto
from ciclo.relatorio.formato import (data_hora_pt, data_pt, datas_iso_para_pt, eur, iban_impresso, mes_pt, nome_decisor,
                                     percentagem_pt)
from ciclo.relatorio.rotulos import ROTULOS, grupo, rotulo


def test_money_and_dates_in_portuguese():
    assert eur(D("115870.08")) == "115 870,08 €"
    assert eur(D("-50")) == "-50,00 €" and eur(None) == "—"
    with pytest.raises(TypeError):
        eur(1.5)
    assert data_pt(date(2025, 10, 27)) == "27/10/2025" == data_pt("2025-10-27") == data_pt("2025-10-27 10:00:00")
    with pytest.raises(ValueError, match="not a date: 'amanhã'"):
        data_pt("amanhã")
    # ledger timestamps are UTC; finance reads Lisbon time (summer: UTC+1)
    assert data_hora_pt(datetime(2025, 7, 1, 12, 30, tzinfo=timezone.utc)) == "01/07/2025 13:30"
    assert data_hora_pt("2025-01-10 12:30:00") == "10/01/2025 12:30"
    assert mes_pt("202510") == "outubro de 2025" and mes_pt("202503", curto=True) == "mar/25"
    assert percentagem_pt(D("66.80")) == "+66,8 %" and percentagem_pt(D("-2.04")) == "-2,0 %"
    assert iban_impresso("pt50078101120000000120376") == "PT50 0781 0112 0000 0001 2037 6"
    assert datas_iso_para_pt("prazo 2025-10-25: agir até 2025-10-24") == "prazo 25/10/2025: agir até 24/10/2025"


@pytest.mark.parametrize("guardado, nome", [
    ("{'id': 'operador-demo', 'name': 'operador-demo'}", "operador-demo"),
    ('{"id": "u1", "name": "Ana Sousa"}', "Ana Sousa"),
    ({"id": "u2"}, "u2"),
    ("Rui Lopes", "Rui Lopes"),
    (None, None),
])
def test_who_decided_is_a_name_never_a_dict(guardado, nome):
    assert nome_decisor(guardado) == nome


def test_an_unreadable_user_record_is_an_error():
    with pytest.raises(ValueError, match="neither a name nor a user record"):
        nome_decisor("{'id': ")
    with pytest.raises(ValueError, match="no name or id"):
        nome_decisor("{'email': 'x@y'}")


def test_decision_in_words():
    p = prazos("202509", date(2025, 10, 25))
    quando = datetime(2025, 10, 14, 9, 5, tzinfo=timezone.utc)
    base = {"estado": "CONFIRMADO", "decidido_por": None, "nota": None, "data_confirmacao": None, "updated_at": quando}
    assert decisao_texto({**base, "modo": "aprovada", "decidido_por": "{'id': 'a', 'name': 'Ana'}", "nota": "ok"}, p) == \
        "Aprovada por Ana em 14/10/2025 10:05, apesar das diferenças. Motivo: «ok»."
    assert decisao_texto({**base, "modo": "automatica"}, p).startswith("Confirmada automaticamente em 14/10/2025 10:05")
    assert "até 20/10/2025" in decisao_texto({**base, "modo": "silencio"}, p)
    assert decisao_texto({**base, "estado": "REJEITADO", "modo": "aprovada", "decidido_por": "Rui"}, p).startswith(
        "Rejeitada por Rui em 14/10/2025 10:05.")
    assert "o silêncio vale como aceitação" in decisao_texto(None, p)
    with pytest.raises(ValueError, match="unknown confirmation mode"):
        decisao_texto({**base, "modo": "magia"}, p)


def test_every_difference_class_has_a_label_and_a_group():
    assert set(EXPLICACOES) <= set(ROTULOS)
    assert all(not r.isupper() for r in ROTULOS.values())
    assert grupo({"classe": "FOLHA_CONTRIBUICAO_DIFERENTE", "dentro_tolerancia": False}) == "informativa"
    assert grupo({"classe": "ARREDONDAMENTO", "dentro_tolerancia": True}) == "tolerada"
    assert grupo({"classe": "TRABALHADOR_SEM_VALORES_SS", "dentro_tolerancia": False}) == "bloqueante"
    assert rotulo("TRABALHADOR_SEM_VALORES_SS") == "Trabalhador sem valores na Segurança Social"
    with pytest.raises(KeyError, match="has no human label"):
        rotulo("NOVA_CLASSE")


def test_the_deadlines_source_says_when_the_date_shown_was_moved():
    """The email's "até <date> (<source>)": a Segurança Social date on a working day is named as the SS's; one on a
    holiday or weekend is shown moved (Código Civil art. 279.º e)), and its source says from which day and why."""
    from ciclo.relatorio.correio import fonte_prazo

    assert fonte_prazo(prazos("202510", date(2025, 11, 25))["pagamento"]) == "data-limite indicada pela Segurança Social"
    natal = prazos("202611", date(2026, 12, 25))["pagamento"]
    assert data_pt(natal.data) == "28/12/2026"
    assert fonte_prazo(natal) == ("data-limite indicada pela Segurança Social: 25/12/2026, Dia de Natal, passa para o "
                                  "dia útil seguinte")
    # no date from the SS: the statute, and the move when there is one (25 October 2025 is a Saturday)
    assert fonte_prazo(prazos("202509")["pagamento"]).startswith("dia 25 de M+1 (agosto: último dia) — Código")
    assert fonte_prazo(prazos("202509")["pagamento"]).endswith(": 25/10/2025, sábado, passa para o dia útil seguinte")
