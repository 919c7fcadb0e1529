"""Default seed data (restored by ``POST /_sandbox/reset``), in the same JSON format as ``POST /_sandbox/seed``.

* EE ``20000003116`` (the spec's example; its NISS fails the check digit, as in the spec) with worker
  ``10000000001``: vínculo and contract since 2022-06-06, Regime geral, modality A, 1600.00. Its 202509
  apuramento is pre-seeded so the spec's worked example is reproduced verbatim (dataLimitePagamento 2025-11-25).
* Two more EEs with valid NISS and a few hundred workers each (deterministic RNG), across modalities and
  enquadramentos.
* One representative (accounting office) representing every default EE.
Every login's password is ``sandbox``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from ciclo.domain.niss import completar

PASSWORD = "sandbox"
EE_EXEMPLO = "20000003116"
TRAB_EXEMPLO = "10000000001"
ANO_MES_EXEMPLO = "202509"
DATA_LIMITE_EXEMPLO = date(2025, 11, 25)  # as printed in the spec (the statutory rule would give 2025-10-25)
EE_INDUSTRIA = completar("2000000010")
EE_SERVICOS = completar("2000000020")
REPRESENTANTE = completar("2500000001")

_ENQ = [
    ("REGIME_GERAL", 70), ("MOE", 3), ("MOE_GERENCIA", 3), ("DOMICILIO", 3), ("PRE_REFORMA", 3),
    ("ATIVO_65_40", 4), ("PENSIONISTA_INVALIDEZ", 3), ("PENSIONISTA_VELHICE", 4), ("IPSS_DOMESTICO", 4),
    ("MUITO_CURTA_DURACAO", 3),
]
_PROFISSOES = ["41101", "25120", "72221", "51310", "93290", "33130", "24110", "83221"]


def _trabalhadores(indice_ee: int, n: int, rng: random.Random) -> list[dict]:
    out = []
    enqs = [e for e, w in _ENQ for _ in range(w)]
    for i in range(n):
        niss = completar(f"1{indice_ee:02d}{i + 1:07d}")
        enq = rng.choice(enqs)
        base = Decimal(rng.randrange(87000, 450000)) / 100
        diut = Decimal(rng.choice([0, 0, 0, 2500, 4150, 6000])) / 100
        r = rng.random()
        inicio = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 3800))  # up to 2025-05
        if rng.random() < 0.08:  # admissions in the recent months (partial months)
            inicio = date(2025, rng.choice([9, 10, 11]), rng.randrange(2, 28))
        fim_vinc = None
        c = {"niss-trabalhador": niss, "enquadramento": enq, "prestacao-trabalho": "P",
             "profissao": rng.choice(_PROFISSOES), "remuneracao-base": base, "diuturnidades": diut}
        if enq == "MUITO_CURTA_DURACAO":
            c.update({"modalidade-contrato": "E", "motivo-contrato": "ATSA"})
            inicio = date(2025, rng.choice([9, 10]), rng.randrange(1, 20))
            fim_vinc = inicio + timedelta(days=rng.randrange(5, 30))
            c["fim-contrato"] = fim_vinc
            c["muito-curta-duracao"] = True
        elif r < 0.55:
            c["modalidade-contrato"] = "A"
        elif r < 0.70:
            pct = Decimal(rng.choice([50, 60, 75, 80]))
            c.update({"modalidade-contrato": "B", "percentagem-trabalho": pct,
                      # horas-trabalho weekly, dias-trabalho MONTHLY (specs/alterar-contrato-soap.txt)
                      "horas-trabalho": Decimal(40) * pct / 100, "dias-trabalho": Decimal(rng.choice([10, 15, 20])),
                      "remuneracao-base": (base * pct / 100).quantize(Decimal("0.01"))})
        elif r < 0.88:
            inicio = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 600))
            fim_vinc = inicio + timedelta(days=rng.choice([365, 540, 730]) - 1)
            c.update({"modalidade-contrato": "E", "motivo-contrato": "AEAT", "fim-contrato": fim_vinc})
        else:
            c.update({"modalidade-contrato": "G", "motivo-contrato": "EOPA"})
            if rng.random() < 0.3:  # cessations in the recent months
                fim_vinc = date(2025, rng.choice([9, 10, 11]), rng.randrange(1, 29))
        c["inicio-contrato"] = inicio
        c["inicio-vinculo"] = inicio
        c["fim-vinculo"] = fim_vinc
        out.append(c)
    return out


def default_seed() -> dict:
    exemplo = {
        "niss-trabalhador": TRAB_EXEMPLO, "enquadramento": "REGIME_GERAL",
        "inicio-vinculo": date(2022, 6, 6), "fim-vinculo": None,
        "modalidade-contrato": "A", "prestacao-trabalho": "P", "inicio-contrato": date(2022, 6, 6),
        "fim-contrato": None, "profissao": "41101", "remuneracao-base": Decimal("1600.00"),
        "diuturnidades": Decimal("0.00"),
    }
    return {
        "entidades": [
            {"niss": EE_EXEMPLO, "nome": "Entidade Empregadora Exemplo (spec)", "password": PASSWORD,
             "trabalhadores": [exemplo]},
            {"niss": EE_INDUSTRIA, "nome": "Sandbox Indústria, Lda", "password": PASSWORD,
             "trabalhadores": _trabalhadores(1, 320, random.Random(20250901))},
            {"niss": EE_SERVICOS, "nome": "Sandbox Serviços, SA", "password": PASSWORD,
             "trabalhadores": _trabalhadores(2, 260, random.Random(20250902))},
        ],
        "representantes": [
            {"niss": REPRESENTANTE, "nome": "Gabinete de Contabilidade Sandbox", "password": PASSWORD,
             "entidades": [EE_EXEMPLO, EE_INDUSTRIA, EE_SERVICOS]},
        ],
    }
