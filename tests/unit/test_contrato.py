"""ciclo.domain.contrato — every codigo-2 and codigo-3 message of specs/alterar-contrato-soap.txt from a crafted input."""

from datetime import date
from decimal import Decimal

import pytest

from ciclo.domain import contrato as C

HOJE = date(2025, 10, 5)
TRAB, SUB = "10000000001", "10000000002"


def base(**over):
    c = {"niss_trabalhador": TRAB, "modalidade_contrato": "A", "inicio_contrato": "2025-10-01", "profissao": "41101",
         "remuneracao_base": "1700.00"}
    c.update(over)
    return c


PARCIAL = {"modalidade_contrato": "B", "percentagem_trabalho": "50", "horas_trabalho": "20", "dias_trabalho": "15"}
CERTO = {"modalidade_contrato": "E", "fim_contrato": "2026-03-31", "motivo_contrato": "AEAT"}


def test_catalogue_matches_the_spec():
    assert len(C.MODALIDADES) == 26
    assert C.MODALIDADES_TERMO_CERTO == {"E", "EA", "EB", "O", "F", "FA", "FB", "N"}
    assert C.MODALIDADES_TERMO_INCERTO == {"G", "GA", "GB", "Q", "H", "HA", "HB", "P"}
    assert C.MODALIDADES_TEMPO_PARCIAL == {"B", "D", "BA", "BB", "R", "F", "FA", "FB", "N", "H", "HA", "HB", "P"}
    assert C.MODALIDADES_TELETRABALHO == {c for c, m in C.MODALIDADES.items() if m.teletrabalho}
    assert C.MODALIDADES["C"].descricao == "Sem termo, tempo completo, trabalho intermitente"
    assert C.MODALIDADES["P"].descricao == "A termo incerto, tempo parcial, trabalho temporário"
    assert C.MODALIDADES["FA"].comissao_servico and C.MODALIDADES["FA"].termo == "certo"
    assert len(C.MOTIVOS_TERMO_CERTO) == 20 and len(C.MOTIVOS_TERMO_INCERTO) == 18
    assert "STTC" in C.MOTIVOS_TERMO_CERTO and "STTC" not in C.MOTIVOS_TERMO_INCERTO
    assert "OMAP" in C.MOTIVOS_TERMO_INCERTO and "OMAP" not in C.MOTIVOS_TERMO_CERTO
    assert C.MOTIVOS_SUBSTITUICAO == {"STAJ", "STAT", "STLR", "STTC"}
    assert C.PRESTACOES == {"P", "T", "A"}
    assert len(C.MENSAGENS_CODIGO_2) == 11 and len(C.MENSAGENS_CODIGO_3) == 24
    assert C.ERRO_INTERNO == "Erro interno do servidor"


@pytest.mark.parametrize("campos", [
    base(),
    base(diuturnidades="35.50", prestacao_trabalho="P"),
    base(**PARCIAL),
    base(**CERTO),
    base(modalidade_contrato="FB", prestacao_trabalho="A", fim_contrato=date(2026, 3, 31), motivo_contrato="STTC",
         niss_trabalhador_substituir=SUB, percentagem_trabalho=Decimal("100.00"), horas_trabalho=Decimal("40"),
         dias_trabalho=Decimal("22")),
    base(modalidade_contrato="C", horas_trabalho="1200"),
    base(modalidade_contrato="G", motivo_contrato="OMEL"),
    base(niss_trabalhador=10000000001, remuneracao_base=Decimal("1600.00"), inicio_contrato=date(2025, 11, 4)),
    base(niss_trabalhador="20000003116"),  # fails the check digit: the service only checks the format
])
def test_valid_changes_pass(campos):
    r = C.validar_campos(campos, HOJE)
    assert (r.codigo, r.mensagens, r.campos) == (1, [], [])
    assert r.ok


@pytest.mark.parametrize("campos,campo,mensagem", [
    (base(niss_trabalhador=None), "niss_trabalhador", "NISS do trabalhador não identificado"),
    (base(modalidade_contrato=""), "modalidade_contrato", "Modalidade contrato não identificada"),
    (base(inicio_contrato=None), "inicio_contrato", "Data início contrato não identificada"),
    (base(**{**CERTO, "fim_contrato": " "}), "fim_contrato", "Data fim contrato não identificada"),
    (base(profissao=None), "profissao", "Profissão não identificada"),
    (base(remuneracao_base=None), "remuneracao_base", "Remuneração base não identificada"),
    (base(**{**PARCIAL, "percentagem_trabalho": None}), "percentagem_trabalho", "Percentagem trabalho não identificada"),
    (base(**{**PARCIAL, "horas_trabalho": ""}), "horas_trabalho", "Horas trabalho não identificada"),
    (base(**{**PARCIAL, "dias_trabalho": None}), "dias_trabalho", "Dias trabalho não identificado"),
    (base(modalidade_contrato="G"), "motivo_contrato", "Motivo de contrato não identificado"),
    (base(**{**CERTO, "motivo_contrato": None}), "motivo_contrato", "Motivo de contrato não identificado"),
    (base(**{**CERTO, "motivo_contrato": "STAT"}), "niss_trabalhador_substituir",
     "NISS trabalhador a substituir não identificado"),
])
def test_codigo_2_each_message(campos, campo, mensagem):
    r = C.validar_campos(campos, HOJE)
    assert (r.codigo, r.mensagens, r.campos) == (2, [mensagem], [campo])
    assert mensagem in C.MENSAGENS_CODIGO_2


def test_codigo_2_spec_example_and_precedence_over_codigo_3():
    # The spec's "Pedido insucesso (codigo-resultado = 2)": a 10-digit NISS (a codigo-3 problem) and an empty motivo.
    ex = {"niss_trabalhador": "1999999999", "modalidade_contrato": "G", "prestacao_trabalho": "T",
          "inicio_contrato": "2022-04-07", "fim_contrato": "2022-04-30", "profissao": "73231",
          "remuneracao_base": "123.44", "diuturnidades": "22.78", "motivo_contrato": ""}
    r = C.validar_campos(ex, date(2022, 4, 7))
    assert (r.codigo, r.mensagens) == (2, ["Motivo de contrato não identificado"])
    # several missing: all reported, in the spec's order
    r = C.validar_campos({"modalidade_contrato": "F"}, HOJE)
    assert r.codigo == 2
    assert r.mensagens == [C.NISS_TRABALHADOR_NAO_IDENTIFICADO, C.INICIO_NAO_IDENTIFICADO, C.FIM_NAO_IDENTIFICADO,
                           C.PROFISSAO_NAO_IDENTIFICADA, C.REMUNERACAO_BASE_NAO_IDENTIFICADA,
                           C.PERCENTAGEM_NAO_IDENTIFICADA, C.HORAS_NAO_IDENTIFICADA, C.DIAS_NAO_IDENTIFICADO,
                           C.MOTIVO_NAO_IDENTIFICADO]


@pytest.mark.parametrize("campos,campo,mensagem", [
    (base(niss_trabalhador="1999999999"), "niss_trabalhador", "NISS do trabalhador não é válido"),
    (base(niss_trabalhador="1000000000a"), "niss_trabalhador", "NISS do trabalhador não é válido"),
    (base(modalidade_contrato="Z"), "modalidade_contrato", "Modalidade contrato inválida"),
    (base(modalidade_contrato="a"), "modalidade_contrato", "Modalidade contrato inválida"),
    (base(prestacao_trabalho="X"), "prestacao_trabalho", "Prestação trabalho inválida"),
    (base(prestacao_trabalho="T"), "prestacao_trabalho",
     "Prestação trabalho inválida para a modalidade de contrato identificada"),
    (base(modalidade_contrato="AB", prestacao_trabalho="P"), "prestacao_trabalho",
     "Prestação trabalho inválida para a modalidade de contrato identificada"),
    (base(inicio_contrato="1939-12-31"), "inicio_contrato",
     "A data início contrato tem de ser igual ou posterior a 1940-01-01"),
    (base(inicio_contrato="2025-11-05"), "inicio_contrato",
     "A data início contrato não pode exceder em 30 dias a data atual"),
    (base(fim_contrato="2025-09-30"), "fim_contrato",
     "A data fim contrato tem de ser igual ou posterior à data início contrato"),
    (base(fim_contrato="3000-01-01"), "fim_contrato", "A data fim contrato tem de ser igual ou anterior a 2999-12-31"),
    (base(profissao="3511"), "profissao", "Profissão inválida"),
    (base(profissao="35.11"), "profissao", "Profissão inválida"),
    (base(remuneracao_base="0"), "remuneracao_base", "O valor da remuneração base tem de ser superior a zero"),
    (base(remuneracao_base="-1.00"), "remuneracao_base", "O valor da remuneração base tem de ser superior a zero"),
    (base(diuturnidades="0.00"), "diuturnidades", "O valor das diuturnidades tem de ser superior a zero"),
    (base(**{**PARCIAL, "percentagem_trabalho": "0"}), "percentagem_trabalho",
     "O valor da percentagem de trabalho tem de ser superior a zero e inferior ou igual a 100"),
    (base(**{**PARCIAL, "percentagem_trabalho": "100.01"}), "percentagem_trabalho",
     "O valor da percentagem de trabalho tem de ser superior a zero e inferior ou igual a 100"),
    (base(**{**PARCIAL, "horas_trabalho": "0"}), "horas_trabalho",
     "O valor das horas de trabalho tem de ser superior a zero"),
    (base(**{**PARCIAL, "dias_trabalho": "-2"}), "dias_trabalho", "O valor dos dias de trabalho tem de ser superior a zero"),
    (base(**{**CERTO, "motivo_contrato": "OMAP"}), "motivo_contrato", "Motivo de contrato inválido"),  # incerto only
    (base(modalidade_contrato="G", motivo_contrato="STTC", niss_trabalhador_substituir=SUB), "motivo_contrato",
     "Motivo de contrato inválido"),  # STTC is termo certo only
    (base(motivo_contrato="AEAT"), "motivo_contrato", "Motivo de contrato inválido"),  # sem termo: no motivo
    (base(**{**CERTO, "motivo_contrato": "STAT", "niss_trabalhador_substituir": TRAB}), "niss_trabalhador_substituir",
     "NISS identificado tem de ser diferente do NISS do trabalhador do contrato de trabalho"),
    (base(modalidade_contrato="C"), "horas_trabalho",
     "Para a modalidade de contrato sem termo, tempo completo, intermitente ou atividade descontínua é necessário "
     "indicar as horas de trabalho ou os dias de trabalho anuais"),
])
def test_codigo_3_each_context_free_message(campos, campo, mensagem):
    r = C.validar_campos(campos, HOJE)
    assert (r.codigo, r.mensagens, r.campos) == (3, [mensagem], [campo])
    assert mensagem in C.MENSAGENS_CODIGO_3


def test_intermittent_full_time_accepts_days_only_and_part_time_intermittent_needs_all_three():
    assert C.validar_campos(base(modalidade_contrato="C", dias_trabalho="200"), HOJE).ok
    r = C.validar_campos(base(modalidade_contrato="D"), HOJE)
    assert r.codigo == 2 and r.campos == ["percentagem_trabalho", "horas_trabalho", "dias_trabalho"]


def test_limits_are_inclusive():
    assert C.validar_campos(base(inicio_contrato="2025-11-04"), HOJE).ok  # hoje + 30
    assert C.validar_campos(base(inicio_contrato="1940-01-01"), HOJE).ok
    assert C.validar_campos(base(fim_contrato="2999-12-31"), HOJE).ok
    assert C.validar_campos(base(fim_contrato="2025-10-01"), HOJE).ok  # end == start


@pytest.mark.parametrize("campo,valor", [
    ("inicio_contrato", "01/10/2025"), ("inicio_contrato", "2025-02-30"), ("remuneracao_base", "1.234,56"),
    ("remuneracao_base", "12.345"), ("remuneracao_base", "12345678901.00"), ("diuturnidades", "abc"),
])
def test_values_not_of_their_xsd_type_are_codigo_3_formato(campo, valor):
    r = C.validar_campos(base(**{campo: valor}), HOJE)
    assert (r.codigo, r.campos) == (3, [campo])
    assert r.mensagens == [C.FORMATO_INVALIDO.format(campo=campo.replace("_", "-"))]


def test_trailing_zeros_and_max_digits_are_within_the_type():
    assert C.validar_campos(base(remuneracao_base="1700.000", diuturnidades="9999999999.99"), HOJE).ok


def test_several_codigo_3_messages_are_all_reported_with_their_fields():
    r = C.validar_campos(base(modalidade_contrato="AB", prestacao_trabalho="T", remuneracao_base="0",
                              profissao="1", inicio_contrato="1900-01-01"), HOJE)
    assert r.codigo == 3
    assert r.pares() == [("inicio_contrato", C.INICIO_ANTES_1940), ("profissao", C.PROFISSAO_INVALIDA),
                         ("remuneracao_base", C.REMUNERACAO_BASE_NAO_POSITIVA)]


# ------------------------------------------------------------------------------------------------ context

VINC = [(date(2022, 6, 6), None)]
ANT = [{"inicio_contrato": date(2022, 6, 6), "fim_contrato": None, "muito_curta_duracao": False}]


def ctx(campos, vinculos=VINC, contratos=ANT, foi=True, **kw):
    return C.validar_contexto(campos, vinculos, contratos, foi, HOJE, **kw)


def test_context_valid_change_passes_and_validar_combines():
    assert ctx(base()).ok
    assert ctx(base(), contratos=[]).ok  # vínculo before 2022-04-01 without a registered contract
    assert C.validar(base(), HOJE, VINC, ANT, True).ok
    assert C.validar(base(profissao=None), HOJE, [], ANT, True).codigo == 2  # context not reached


@pytest.mark.parametrize("campos,kw,campo,mensagem", [
    (base(), {"vinculos": [(date(2022, 6, 6), date(2025, 6, 30))]}, "inicio_contrato",
     "Para o período do contrato indicado, o trabalhador não possui vínculo com a entidade empregadora"),
    (base(), {"vinculos": []}, "inicio_contrato",
     "Para o período do contrato indicado, o trabalhador não possui vínculo com a entidade empregadora"),
    (base(inicio_contrato="2022-06-06"), {}, "inicio_contrato",
     "A data início contrato tem de ser posterior à data início do último contrato"),
    (base(), {"contratos": [{"inicio_contrato": "2024-01-01", "fim_contrato": "2025-09-29"}]}, "inicio_contrato",
     "A data início contrato tem de ser igual ao dia seguinte da data fim do último contrato ou anterior à data fim "
     "do último contrato"),
    (base(**CERTO), {"vinculos": [(date(2022, 6, 6), date(2025, 12, 31))]}, "fim_contrato",
     "A data fim contrato tem de ser igual ou anterior à data fim do vínculo"),
    (base(**{**CERTO, "motivo_contrato": "STAT", "niss_trabalhador_substituir": SUB}), {"foi": False},
     "niss_trabalhador_substituir", "O trabalhador a substituir nunca foi trabalhador da entidade empregadora"),
    (base(**{**CERTO, "motivo_contrato": "STAT", "niss_trabalhador_substituir": SUB}),
     {"foi": lambda n: n == SUB, "vinculos_substituir": [(date(2020, 1, 1), date(2021, 1, 1))]},
     "niss_trabalhador_substituir",
     "Para o período do contrato indicado, o trabalhador a substituir não possui vínculo com a entidade empregadora"),
    (base(), {"contratos": [{"inicio_contrato": date(2025, 9, 1), "fim_contrato": date(2025, 9, 30),
                             "muito_curta_duracao": True}]}, "modalidade_contrato",
     "Não é possível efetuar alterações a contratos de trabalho de muito curta duração"),
])
def test_codigo_3_each_context_message(campos, kw, campo, mensagem):
    assert C.validar_campos(campos, HOJE).ok
    r = ctx(campos, **kw)
    assert (r.codigo, r.mensagens, r.campos) == (3, [mensagem], [campo])
    assert mensagem in C.MENSAGENS_CODIGO_3


def test_context_boundaries():
    # start the day after the last contract's end: accepted
    assert ctx(base(), contratos=[{"inicio_contrato": "2024-01-01", "fim_contrato": "2025-09-30"}]).ok
    # end on the vínculo's end: accepted; replaced worker with a vínculo covering the start: accepted
    assert ctx(base(**{**CERTO, "fim_contrato": "2025-12-31"}), vinculos=[(date(2022, 6, 6), date(2025, 12, 31))]).ok
    assert ctx(base(**{**CERTO, "motivo_contrato": "STAT", "niss_trabalhador_substituir": SUB}),
               vinculos_substituir=[(date(2020, 1, 1), None)]).ok


def test_normalizar_contrato_types_and_defaults():
    c = C.normalizar_contrato(base(diuturnidades="10.5", modalidade_contrato=" E "))
    assert c["inicio_contrato"] == date(2025, 10, 1) and c["remuneracao_base"] == Decimal("1700.00")
    assert c["diuturnidades"] == Decimal("10.5") and c["modalidade_contrato"] == "E"
    assert c["prestacao_trabalho"] == "P" and c["muito_curta_duracao"] is False and c["fim_contrato"] is None
