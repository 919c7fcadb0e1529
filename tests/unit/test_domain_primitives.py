from datetime import date
from decimal import Decimal

import pytest

from ciclo.domain import dinheiro, niss, periodo, taxas


@pytest.mark.parametrize("valor,ok", [("12345678910", True), ("20000003116", False), ("10000000001", False), ("1234567891", False), ("32345678910", False)])
def test_niss_check_digit(valor, ok):
    assert niss.niss_valido(valor) is ok


def test_niss_format_is_what_the_service_checks():
    assert niss.formato_valido("20000003116") and niss.formato_valido(10000000001)
    assert not niss.formato_valido("2000000311") and not niss.formato_valido("2000000311a")


def test_niss_reason_names_the_expected_digit():
    assert niss.motivo_invalido("12345678912") == "NISS 12345678912 com dígito de controlo errado (esperado 0)"
    assert niss.motivo_invalido("1234") == "NISS '1234' não tem 11 dígitos"
    assert niss.completar("1234567891") == "12345678910"


@pytest.mark.parametrize("texto,esperado", [("1.234,56", "1234.56"), ("1234,56", "1234.56"), ("1234.56", "1234.56"), ("1,234.56", "1234.56"), ("0", "0"), ("1 600,00 €", "1600.00")])
def test_parse_montante(texto, esperado):
    assert dinheiro.parse_montante(texto) == Decimal(esperado)


@pytest.mark.parametrize("texto", ["", "abc", "1,2,3", "12.34.56,7.8", "1e5"])
def test_parse_montante_rejects(texto):
    with pytest.raises(dinheiro.MontanteInvalido):
        dinheiro.parse_montante(texto)


def test_cent_is_half_up_and_refuses_floats():
    assert dinheiro.cent("0.005") == Decimal("0.01")
    assert dinheiro.cent("2.675") == Decimal("2.68")
    with pytest.raises(TypeError):
        dinheiro.cent(2.675)


def test_worked_example_rates():
    t = taxas.taxa("Regime geral", date(2025, 9, 1))
    assert t.valores(Decimal("1600.00")) == (Decimal("176.00"), Decimal("380.00"))
    assert taxas.taxa("MUITO_CURTA_DURACAO", date(2025, 9, 1)).contribuicao == Decimal("26.1")
    with pytest.raises(taxas.EnquadramentoDesconhecido):
        taxas.taxa("Regime inventado", date(2025, 9, 1))


def test_ano_mes_and_deadlines():
    assert str(periodo.AnoMes.parse("202509")) == "202509"
    for bad in ["2025", "202513", "2025-09", "20250", "2024111"]:
        with pytest.raises(periodo.AnoMesInvalido):
            periodo.AnoMes.parse(bad)
    assert periodo.data_limite_pagamento(periodo.AnoMes.parse("202509")) == date(2025, 10, 25)
    assert periodo.data_limite_pagamento(periodo.AnoMes.parse("202507")) == date(2025, 8, 31)
    assert periodo.data_limite_confirmacao(periodo.AnoMes.parse("202512")) == date(2026, 1, 20)
    assert periodo.dias_no_periodo(date(2025, 2, 1), date(2025, 2, 28)) == 30
    assert periodo.dias_no_periodo(date(2025, 1, 10), date(2025, 1, 19)) == 10
