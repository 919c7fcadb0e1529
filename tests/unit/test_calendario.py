"""Issue 13, item 10: a deadline on a weekend or holiday moves to the next working day (Código Civil art. 279.º e));
the safe date is shown separately; an unconfirmed month after day 20 is accepted by silence."""

from datetime import date

from ciclo.domain.calendario import alertas_atraso, dia_util_anterior, dia_util_seguinte, prazos


def test_regular_month():
    p = prazos("202509")
    assert (p["contratos"].data, p["confirmacao"].data) == (date(2025, 10, 10), date(2025, 10, 20))
    # 2025-10-25 is a Saturday: the legal date moves to Monday 27, the safe date is Friday 24
    assert p["pagamento"].nominal == date(2025, 10, 25) and p["pagamento"].nao_util == "sábado"
    assert p["pagamento"].data == date(2025, 10, 27) and p["pagamento"].data_segura == date(2025, 10, 24)
    assert "2025-10-27" in p["pagamento"].aviso and "data segura: 2025-10-24" in p["pagamento"].aviso
    assert p["confirmacao"].nao_util is None and p["confirmacao"].data_segura == p["confirmacao"].data  # Monday
    assert "Art. 8.º" in p["contratos"].fonte and "127/2025" in p["confirmacao"].fonte and "127/2025" in p["pagamento"].fonte


def test_august_pays_to_its_last_day():
    assert prazos("202607")["pagamento"].nominal == date(2026, 8, 31)  # a Monday
    assert prazos("202607")["pagamento"].data == date(2026, 8, 31)
    assert prazos("202608")["pagamento"].data == date(2026, 9, 25)


def test_ss_deadline_takes_precedence():
    p = prazos("202509", data_limite_ss=date(2025, 11, 25))
    assert p["pagamento"].data == date(2025, 11, 25) and "Segurança Social" in p["pagamento"].fonte


def test_holiday_moves_to_next_working_day():
    # month 202611: confirmation day 2026-12-20 (Sunday) → Monday 21; payment 2026-12-25 (Christmas, Friday) → Monday 28
    p = prazos("202611")
    assert p["pagamento"].nao_util == "Dia de Natal" and p["pagamento"].data == date(2026, 12, 28)
    assert p["pagamento"].data_segura == date(2026, 12, 24)
    assert p["confirmacao"].nao_util == "domingo" and p["confirmacao"].data == date(2026, 12, 21)
    assert dia_util_anterior(date(2026, 12, 25)) == date(2026, 12, 24)
    assert dia_util_seguinte(date(2026, 12, 25)) == date(2026, 12, 28)


def test_late_near_and_accepted_by_silence():
    a = alertas_atraso("202509", date(2025, 10, 22), enviado=True, confirmado=False, pago=False)
    assert any(x.startswith("ACEITE POR SILÊNCIO") and "art. 21.º" in x for x in a)
    assert not any(x.startswith("ATRASADO") for x in a)
    assert any(x.startswith("PRAZO PRÓXIMO: pagar") and "2025-10-24" in x for x in a)
    late = alertas_atraso("202509", date(2025, 10, 28), enviado=True, confirmado=True, pago=False)
    assert any(x.startswith("ATRASADO: pagar") and "2025-10-27" in x for x in late)
    # Monday 27 is still in time: the legal date, not the nominal Saturday
    assert not any(x.startswith("ATRASADO") for x in
                   alertas_atraso("202509", date(2025, 10, 27), enviado=True, confirmado=True, pago=False))
    assert alertas_atraso("202509", date(2025, 10, 1), enviado=True, confirmado=True, pago=True) == []
