"""The correction windows of DR 1-A/2011 art. 26.º (ciclo.domain.correcao, figures in ciclo/data/prazos_correcao.yaml)."""

from datetime import date

import pytest

from ciclo.domain.correcao import EXPIRADO, FORA_DE_PRAZO, NO_PRAZO, PrazosEmFalta, janela, somar_meses


def test_in_time_through_the_last_day_of_the_second_month_after_the_reference_month():
    # n.º 1: "nos dois meses seguintes ao mês da declaração a que os mesmos respeitam" — July 2026 → until 30 Sep
    j = janela("202607", date(2026, 9, 30))
    assert (j.situacao, j.limite_no_prazo) == (NO_PRAZO, date(2026, 9, 30))
    assert "no prazo" in j.texto()


def test_late_is_counted_from_the_declaration_not_from_the_reference_month():
    # n.º 2: four months after the date the elements were (or should have been) declared — art. 21.º n.º 1: the
    # acceptance limit, day 20 of M+1 (2026-08-20) → 2026-12-20, a Sunday → Monday 2026-12-21 (CC art. 279.º e))
    j = janela("202607", date(2026, 10, 1))
    assert j.situacao == FORA_DE_PRAZO and j.fora_de_prazo
    assert (j.data_declaracao, j.limite_fora_de_prazo) == (date(2026, 8, 20), date(2026, 12, 21))
    assert janela("202607", date(2026, 12, 21)).situacao == FORA_DE_PRAZO   # beyond "4 months after M" (Nov 30)
    assert "FORA DE PRAZO" in j.texto() and "art. 26.º n.º 2" in j.texto()


def test_an_earlier_confirmation_is_the_declaration_date():
    j = janela("202607", date(2026, 12, 15), data_confirmacao=date(2026, 8, 12))
    assert j.data_declaracao == date(2026, 8, 12) and j.limite_fora_de_prazo == date(2026, 12, 14)  # 12-12 is a Saturday
    assert j.situacao == EXPIRADO


def test_refused_after_the_late_window():
    j = janela("202605", date(2026, 11, 22))
    assert j.situacao == EXPIRADO and "requerimento" in j.texto() and "n.º 3" in j.texto()


def test_a_month_before_the_new_model_has_no_recorded_rules():
    with pytest.raises(PrazosEmFalta, match="prazos_correcao.yaml"):
        janela("202509", date(2025, 12, 1))


def test_month_arithmetic_ends_on_the_corresponding_day_or_the_months_last():
    assert somar_meses(date(2026, 10, 31), 4) == date(2027, 2, 28)
    assert somar_meses(date(2026, 8, 20), 4) == date(2026, 12, 20)
