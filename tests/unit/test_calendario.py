from datetime import date

from ciclo.domain.calendario import alertas_atraso, dia_util_anterior, prazos


def test_regular_month():
    p = prazos("202509")
    assert (p["contratos"].data, p["confirmacao"].data, p["pagamento"].data) == (date(2025, 10, 10), date(2025, 10, 20), date(2025, 10, 25))
    assert p["pagamento"].nao_util == "sábado"  # 2025-10-25 is a Saturday
    assert "agir até 2025-10-24" in p["pagamento"].aviso
    assert p["confirmacao"].nao_util is None  # Monday


def test_august_pays_to_its_last_day():
    assert prazos("202607")["pagamento"].data == date(2026, 8, 31)
    assert prazos("202608")["pagamento"].data == date(2026, 9, 25)


def test_ss_deadline_takes_precedence():
    p = prazos("202509", data_limite_ss=date(2025, 11, 25))
    assert p["pagamento"].data == date(2025, 11, 25) and "Segurança Social" in p["pagamento"].fonte


def test_holiday_is_flagged():
    # 2026-11 → confirmation day 2026-12-20 (Sunday); 2026-09 → contracts by 2026-10-10 (Saturday);
    # a payment deadline on 2026-12-25 (Christmas) for month 202611.
    assert prazos("202611")["pagamento"].nao_util == "Dia de Natal"
    assert prazos("202611")["confirmacao"].nao_util == "domingo"
    assert dia_util_anterior(date(2026, 12, 25)) == date(2026, 12, 24)


def test_late_and_near_deadline_alerts():
    a = alertas_atraso("202509", date(2025, 10, 22), enviado=True, confirmado=False, pago=False)
    assert any(x.startswith("ATRASADO: confirmar") for x in a)
    assert any(x.startswith("PRAZO PRÓXIMO: pagar") for x in a)
    assert alertas_atraso("202509", date(2025, 10, 1), enviado=True, confirmado=True, pago=True) == []
