"""Pure parts of cessations and admissions: the deadline (day 10 of M+1, moved off weekends), which payroll rows
are cessations and what is missing, the wire bodies built from them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd

from ciclo.app.configuracao import Employer
from ciclo.app.contexto import Execucao
from ciclo.app.vinculos import cessacoes_do_mes, prazo_cessacoes
from ciclo.domain.periodo import AnoMes
from ciclo.psi.models.vinculos import CessacaoVinculo, PedidoAdmissao
from ciclo.psi.vinculos import envelope_dados, envelope_pesquisa


def _ex(mes):
    return Execucao(Employer("20000003116", "x", "psi_x", "file:///nada"), AnoMes.parse(mes))


def test_the_deadline_is_day_10_of_the_next_month_moved_off_a_weekend():
    assert prazo_cessacoes(_ex("202610")).data == date(2026, 11, 10)          # a Tuesday
    p = prazo_cessacoes(_ex("202609"))                                          # 10 October 2026 is a Saturday
    assert p.nominal == date(2026, 10, 10) and p.data == date(2026, 10, 12) and "Art. 8.º" in p.fonte


def test_cessations_of_the_month_take_the_latest_row_and_report_missing_data():
    df = pd.DataFrame([
        {"niss_trabalhador": "11111111111", "inicio_contrato": date(2020, 1, 1), "fim_vinculo": date(2026, 10, 14),
         "motivo_fim_vinculo": "ccct", "comunicacao_desemprego": "S", "fundamentacao_fim_vinculo": None},
        {"niss_trabalhador": "22222222222", "inicio_contrato": date(2020, 1, 1), "fim_vinculo": date(2026, 10, 20),
         "motivo_fim_vinculo": None, "comunicacao_desemprego": "talvez", "fundamentacao_fim_vinculo": None},
        {"niss_trabalhador": "33333333333", "inicio_contrato": date(2020, 1, 1), "fim_vinculo": date(2026, 11, 2),
         "motivo_fim_vinculo": "CCCT", "comunicacao_desemprego": "N", "fundamentacao_fim_vinculo": None},
        {"niss_trabalhador": "44444444444", "inicio_contrato": date(2020, 1, 1), "fim_vinculo": None,
         "motivo_fim_vinculo": None, "comunicacao_desemprego": None, "fundamentacao_fim_vinculo": None},
    ])
    [c], [inc] = cessacoes_do_mes(SimpleNamespace(contratos=df), _ex("202610"))
    assert c == CessacaoVinculo("11111111111", date(2026, 10, 14), "CCCT", True, None)
    assert c.parametros() == {"niss-trabalhador": "11111111111", "data-fim-vinculo": date(2026, 10, 14),
                              "motivo-fim-vinculo": "CCCT", "comunicacao-desemprego": 1}
    assert inc["niss_trabalhador"] == "22222222222" and inc["falta"] == ["motivo_fim_vinculo", "comunicacao_desemprego (S/N)"]
    assert CessacaoVinculo.de_dict(c.as_dict()) == c


def test_admission_body_uses_the_public_clients_keys():
    p = PedidoAdmissao.model_validate({"niss-entidade-empregadora": 20000003116, "niss-trabalhador": 12345678910,
                                       "data-nascimento": "1990-03-04", "modalidade-contrato": "A",
                                       "inicio-contrato": "2026-10-05", "profissao": "41101", "remuneracao-base": "900.00"})
    assert p.corpo() == {"niss-entidade-empregadora": 20000003116, "niss-trabalhador": 12345678910,
                         "data-nascimento": date(1990, 3, 4), "modalidade-contrato": "A", "prestacao-trabalho": "P",
                         "inicio-contrato": date(2026, 10, 5), "profissao": "41101",
                         "remuneracao-base": Decimal("900.00"), "enquadramento": "REGE", "local-trabalho": 1}


def test_worker_query_envelopes_are_the_public_clients():
    e = envelope_pesquisa(date(2026, 10, 1), date(2026, 10, 31))
    assert 'xmlns:vo="http://vo.webservice.wsidq.segsocial.pt"' in e and '<nissPS xsi:nil="true"/>' in e
    assert "<dataInicioPesquisa>2026-10-01T00:00:00Z</dataInicioPesquisa>" in e
    assert "<dataFimPesquisa>2026-10-31T23:59:59Z</dataFimPesquisa>" in e
    assert "<vo:getDados>" in envelope_dados("k&1") and "<chave>k&amp;1</chave>" in envelope_dados("k&1")
