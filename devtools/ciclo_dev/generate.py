"""Synthetic payroll exports in the canonical format, realistic and deterministic (same seed → same bytes).

    python -m ciclo_dev.generate --employers 3 --workers 200 --ano-mes 202506 --out var/payroll \
        [--seed 7] [--anomalies DQ-NISS-02:3,DQ-DIAS-02] [--format csv|csv-pt|xlsx]

Writes ``OUT/<niss_ee>/<ano_mes>/{trabalhadores,contratos,remuneracoes,inatividades,contribuicoes}.<ext>`` and
``OUT/employers.yaml``. Workers: valid NISS, the contract modalities of ``ciclo.domain.contrato`` (full and part
time, fixed-term with motivos, teletrabalho, intermittent, substitutions), enquadramentos of the rates table,
hourly workers, admissions and cessations mid-month, contract changes mid-month, absences, subsidies (F in
June/July, N in November/December), overtime (S), meal allowance (R); P = (base + diuturnidades) / 30 × days
(Art. 20 n.º 5 DR 1-A/2011). ``anomalies`` plants a violation of any registered rule on chosen rows (in the first
employer); ``Gerado.anomalias`` says where.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import yaml

from ciclo.domain.contrato import MODALIDADES, motivos_da_modalidade
from ciclo.domain.dinheiro import cent, percentagem
from ciclo.domain.inatividades import MOTIVOS_INATIVIDADE
from ciclo.domain.incidencia import LimitesEmFalta, incidencia
from ciclo.domain.niss import completar
from ciclo.domain.periodo import AnoMes, dias_no_periodo, dias_trabalho_e_inatividade
from ciclo.domain.taxas import tabela_em
from ciclo.payroll.formato import FICHEIROS
from ciclo_dev.escrita import escrever

NOMES = ("Ana", "João", "Maria", "José", "Inês", "Luís", "Sofia", "Tiago", "Beatriz", "Gonçalo", "Leonor", "Rui",
         "Margarida", "André", "Catarina", "Nuno", "Marta", "Pedro", "Joana", "Vítor", "Conceição", "Sérgio")
APELIDOS = ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Jesus", "Sousa",
            "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Simões", "Brandão", "Araújo", "Loureiro", "Magalhães")
EMPRESAS = ("Padaria", "Construções", "Têxteis", "Transportes", "Informática", "Restauração", "Metalomecânica", "Conservas")
PROFISSOES = ("25121", "41101", "51201", "93210", "33131", "72230", "52220", "71120", "24110", "91120")
ENQUADRAMENTOS = (("REGIME_GERAL", 88), ("MOE_GERENCIA", 3), ("MOE", 2), ("PENSIONISTA_VELHICE", 3),
                  ("ATIVO_65_40", 2), ("DOMICILIO", 1), ("PENSIONISTA_INVALIDEZ", 1))
# (modalidade, peso). Every family of the catalogue appears; the weights are a plausible mix.
MODALIDADES_PESO = (("A", 46), ("E", 14), ("B", 8), ("G", 5), ("AB", 5), ("F", 4), ("EB", 2), ("H", 2), ("C", 2),
                    ("AA", 2), ("BB", 2), ("EA", 1), ("GB", 1), ("HB", 1), ("FB", 1), ("S", 1), ("O", 1), ("Q", 1),
                    ("D", 1))
ORDEM_FICHEIROS = ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes")


@dataclass
class Gerado:
    out: Path
    employers_yaml: Path
    pastas: dict[str, Path] = field(default_factory=dict)  # niss_ee -> folder of ano_mes
    anomalias: list[dict] = field(default_factory=list)  # {rule_id, niss_ee, ficheiro, linha, niss}


def _escolher(rng: random.Random, pesos):
    itens, w = zip(*pesos)
    return rng.choices(itens, weights=w, k=1)[0]


def _niss(rng: random.Random, primeiro: str, usados: set[str]) -> str:
    while True:
        n = completar(primeiro + f"{rng.randrange(10**9):09d}")
        if n not in usados:
            usados.add(n)
            return n


def _linha_rem(niss, natureza, ini, fim, valor, dias, horas=None, **extra) -> dict:
    return {"niss_trabalhador": niss, "natureza": natureza, "data_inicio": ini, "data_fim": fim,
            "valor": cent(valor), "dias": dias, "horas": horas, **extra}


def _sujeito(r: dict, dia: date) -> Decimal:
    try:
        return incidencia(r["natureza"], r["valor"], dia, dias=r["dias"], pagamento_refeicao=r.get("pagamento_refeicao"),
                          valor_sujeito=r.get("valor_sujeito")).sujeito
    except LimitesEmFalta:
        # A month before the recorded limits (only to exercise DQ-ISE-03): the synthetic base counts it in full.
        return r["valor"]


def _gerar_ee(rng: random.Random, niss_ee: str, n: int, ref: AnoMes, usados: set[str]) -> dict[str, list[dict]]:
    ini_mes, fim_mes = ref.primeiro_dia, ref.ultimo_dia
    trab, contr, rem, ina, contrib = [], [], [], [], []
    todos: list[str] = []
    for _ in range(n):
        niss = _niss(rng, "1", usados)
        todos.append(niss)
        enq = _escolher(rng, ENQUADRAMENTOS)
        trab.append({"niss_trabalhador": niss, "nome": f"{rng.choice(NOMES)} {rng.choice(APELIDOS)} {rng.choice(APELIDOS)}",
                     "enquadramento": enq,
                     "data_nascimento": date(rng.randint(1958, 2005), rng.randint(1, 12), rng.randint(1, 28))})
        cod = _escolher(rng, MODALIDADES_PESO)
        mod = MODALIDADES[cod]
        sorte = rng.random()
        horista = mod.parcial and rng.random() < 0.3  # paid by the hour (Art. 16 n.º 5)
        admissao = sorte < 0.03
        cessacao = 0.03 <= sorte < 0.06
        mudanca = 0.06 <= sorte < 0.08 and not horista
        ausencia = 0.08 <= sorte < 0.16 and not horista
        if admissao:
            inicio = ini_mes + timedelta(days=rng.randint(1, 20))
        else:
            # one fixed range whatever the year, then kept before the reference year: a range that grew with the
            # year drew differently in January than in December and shifted every later worker (the same seed must
            # give the same workers month after month: make demo, make airflow-celery)
            inicio = date(min(rng.randint(2008, 2025), ref.ano - 1), rng.randint(1, 12), rng.randint(1, 28))
        base = cent(Decimal(rng.randrange(870, 3600, 5)))
        pct = horas_sem = dias_sem = None
        if mod.parcial:
            pct = Decimal(rng.choice((50, 60, 75, 80)))
            base = cent(base * pct / 100)
            horas_sem = Decimal(40) * pct / 100
            # dias-trabalho are MONTHLY days (spec alterarContratoTrabalho): 3-5 days a week ≈ 13-22 a month
            dias_sem = Decimal(round(rng.choice((3, 4, 5)) * 52 / 12))
        elif mod.intermitente:
            # full-time intermittent: ANNUAL hours (spec alterarContratoTrabalho, horas-trabalho)
            horas_sem = Decimal(1040)
        diut = Decimal(rng.choice((25, 30, 32, 50))) if rng.random() < 0.25 else None
        fim = None
        if cessacao:
            fim = ini_mes + timedelta(days=rng.randint(5, 24))
        elif mod.termo == "certo":
            fim = fim_mes + timedelta(days=rng.randint(30, 400))
        motivos = sorted(m for m in motivos_da_modalidade(cod) if m not in ("STAJ", "STAT", "STLR", "STTC"))
        motivo = rng.choice(motivos) if motivos else None
        sub = None
        if motivos and rng.random() < 0.15 and len(todos) > 1:
            motivo, sub = "STAT", rng.choice(todos[:-1])
        prest = rng.choice(("T", "A")) if mod.teletrabalho else ("P" if rng.random() < 0.5 else None)
        c = {"niss_trabalhador": niss, "modalidade_contrato": cod, "prestacao_trabalho": prest,
             "inicio_contrato": inicio, "fim_contrato": fim, "profissao": rng.choice(PROFISSOES),
             "remuneracao_base": base, "diuturnidades": diut, "percentagem_trabalho": pct, "horas_trabalho": horas_sem,
             "dias_trabalho": dias_sem, "motivo_contrato": motivo, "niss_trabalhador_substituir": sub,
             "inicio_vinculo": inicio, "fim_vinculo": fim if cessacao else None,
             # a cessation carries what cessarVinculoTrabalhador needs (docs/payroll-export.md); the motive codes
             # are not public: CCCT is the example the export format gives
             "motivo_fim_vinculo": "CCCT" if cessacao else None,
             "comunicacao_desemprego": ("S" if int(niss[-1]) % 2 else "N") if cessacao else None}  # no rng draw: same payrolls per seed
        contr.append(c)
        mensal = base + (diut or 0)

        # Days of work in the month (30-day basis) and the P lines.
        inicio_trab = max(inicio, ini_mes)
        fim_trab = min(fim, fim_mes) if fim else fim_mes
        linhas: list[dict] = []
        if horista:
            horas = Decimal(rng.randint(20, 160))
            dias = min(30, math.ceil(horas / 5))
            taxa_hora = cent(base / Decimal("86.67"))
            linhas.append(_linha_rem(niss, "P", inicio_trab, fim_trab, taxa_hora * horas, dias, horas))
            dias_trab = dias
        elif mudanca:
            d = rng.randint(8, 22)
            nova = dict(c, inicio_contrato=date(ref.ano, ref.mes, d), remuneracao_base=base + Decimal(rng.randrange(20, 200, 5)))
            contr.append(nova)
            d1 = dias_no_periodo(ini_mes, date(ref.ano, ref.mes, d - 1))
            d2 = dias_no_periodo(date(ref.ano, ref.mes, d), fim_mes)  # 30 − d1, whatever the month's length
            linhas.append(_linha_rem(niss, "P", ini_mes, date(ref.ano, ref.mes, d1), mensal / 30 * d1, d1))
            linhas.append(_linha_rem(niss, "P", date(ref.ano, ref.mes, d), fim_mes,
                                     (nova["remuneracao_base"] + (diut or 0)) / 30 * d2, d2))
            dias_trab = 30
        else:
            dias_trab = dias_no_periodo(inicio_trab, fim_trab)
            if ausencia:
                a = rng.randint(1, 20)
                b = min(a + rng.randint(0, 9), ref.ultimo_dia.day)
                ina.append({"niss_trabalhador": niss, "data_inicio": date(ref.ano, ref.mes, a),
                            "data_fim": date(ref.ano, ref.mes, b), "motivo": rng.choice(sorted(MOTIVOS_INATIVIDADE))})
                # the one 30-day arithmetic (ciclo.domain.periodo), as the apuramento does it
                dias_trab, _ = dias_trabalho_e_inatividade(inicio_trab, fim_trab,
                                                           [(date(ref.ano, ref.mes, a), date(ref.ano, ref.mes, b))])
            linhas.append(_linha_rem(niss, "P", inicio_trab, fim_trab, mensal / 30 * dias_trab, dias_trab))
        uteis = min(22, round(dias_trab * 22 / 30))
        if uteis and not horista:
            # Cash at the public administration's figure, or by card (within the card limit; one worker in ten above
            # it). Derived from the NISS, not drawn, so the random stream (and every other value) stays as it was.
            dia_r = rng.choice(("6.00", "7.63", "9.60"))
            if dia_r != "6.00" and int(niss[-2]) == 0:
                dia_r = "11.00"
            linhas.append(_linha_rem(niss, "R", inicio_trab, fim_trab, Decimal(dia_r) * uteis, uteis,
                                     pagamento_refeicao="D" if dia_r == "6.00" else "C"))
        if rng.random() < 0.12:
            linhas.append(_linha_rem(niss, "S", inicio_trab, fim_trab, Decimal(rng.randrange(2000, 30000)) / 100, 0))
        if rng.random() < 0.04:
            linhas.append(_linha_rem(niss, "T", inicio_trab, fim_trab, Decimal(rng.randrange(1000, 15000)) / 100, 0))
        if rng.random() < 0.05:
            linhas.append(_linha_rem(niss, "B", inicio_trab, fim_trab, Decimal(rng.randrange(5000, 50000)) / 100, 0))
        if rng.random() < 0.03:
            a = cent(Decimal(rng.randrange(1000, 20000)) / 100)
            # the payroll's own subject part (above the DL 106/98 limits): usually none, sometimes a part
            linhas.append(_linha_rem(niss, "A", inicio_trab, fim_trab, a, 0,
                                     valor_sujeito=cent(a / 4) if int(niss[-2]) % 4 == 0 else Decimal("0.00")))
        # the holiday (June/July) and Christmas (November/December) subsidies: drawn from the worker's own stream
        # (its NISS and the month), not the employer's — a draw only some months make shifted every later worker of
        # those months, so the same seed gave other workers in November than in October
        if ref.mes in (6, 7, 11, 12):
            subsidio = random.Random(f"{niss}-{ref}").random() < 0.5
            if subsidio:
                linhas.append(_linha_rem(niss, "F" if ref.mes in (6, 7) else "N", inicio_trab, fim_trab, mensal, 0))
        if cessacao:
            linhas.append(_linha_rem(niss, "2", inicio_trab, fim_trab, cent(mensal / 30 * rng.randint(2, 22)), 0))
            if mod.termo != "sem":
                # compensation on the expiry of a fixed-term contract: not subject (valor_sujeito 0)
                linhas.append(_linha_rem(niss, "D", inicio_trab, fim_trab, cent(mensal / 30 * 18), 0,
                                         valor_sujeito=Decimal("0.00")))
        rem.extend(linhas)
        t = tabela_em(ini_mes)[enq]
        # The payroll's base: the parts subject to contributions (ciclo.domain.incidencia), like the declaration.
        incid = sum((_sujeito(r, ini_mes) for r in linhas), Decimal("0.00"))
        contrib.append({"niss_trabalhador": niss, "enquadramento": enq, "base_incidencia": cent(incid),
                        "valor_cotizacao": percentagem(incid, t.cotizacao),
                        "valor_contribuicao": percentagem(incid, t.contribuicao)})
    return {"trabalhadores": trab, "contratos": contr, "remuneracoes": rem, "inatividades": ina,
            "contribuicoes": contrib}


def generate(out: str | Path, *, employers: int = 1, workers: int = 100, ano_mes: str = "202509", seed: int = 0,
             anomalies: dict[str, int] | str | None = None, format: str = "csv") -> Gerado:
    """Generate ``employers`` EEs of ``workers`` workers each for ``ano_mes`` under ``out``. See the module doc."""
    from ciclo_dev.anomalias import plantar, parse_anomalias

    if format not in ("csv", "csv-pt", "xlsx"):
        raise ValueError(f"format must be csv, csv-pt or xlsx, not {format!r}")
    ref = AnoMes.parse(ano_mes)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    usados: set[str] = set()
    gerado = Gerado(out=out, employers_yaml=out / "employers.yaml")
    pedidos = parse_anomalias(anomalies)
    lista = []
    for e in range(employers):
        niss_ee = _niss(rng, "2", usados)
        nome = f"{EMPRESAS[e % len(EMPRESAS)]} {rng.choice(APELIDOS)}, Lda."
        lista.append({"niss_ee": niss_ee, "nome": nome})
        dados = _gerar_ee(random.Random(rng.randrange(2**32)), niss_ee, workers, ref, usados)
        pasta = out / niss_ee / str(ref)
        pasta.mkdir(parents=True, exist_ok=True)
        for f in pasta.iterdir():
            if f.is_file():
                f.unlink()
        escritos = None
        if e == 0 and pedidos:
            escritos = plantar(pedidos, dados, ref, random.Random(seed + 1), niss_ee, gerado.anomalias)
        for tipo in ORDEM_FICHEIROS:
            if escritos and tipo in escritos.ficheiros_especiais:
                escritos.ficheiros_especiais[tipo](pasta, format)
                continue
            escrever(pasta, tipo, dados[tipo], format, escritos.colunas.get(tipo) if escritos else None)
        gerado.pastas[niss_ee] = pasta
    gerado.employers_yaml.write_text(yaml.safe_dump({"employers": lista}, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")
    return gerado


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ciclo_dev.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--employers", type=int, default=1)
    p.add_argument("--workers", type=int, default=100)
    p.add_argument("--ano-mes", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--anomalies", default=None, help="RULE_ID[:COUNT],... (planted in the first employer)")
    p.add_argument("--format", default="csv", choices=("csv", "csv-pt", "xlsx"))
    a = p.parse_args(argv)
    try:
        g = generate(a.out, employers=a.employers, workers=a.workers, ano_mes=a.ano_mes, seed=a.seed,
                     anomalies=a.anomalies, format=a.format)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for niss_ee, pasta in g.pastas.items():
        print(f"{niss_ee}\t{pasta}")
    for a_ in g.anomalias:
        print(f"planted {a_['rule_id']}: {a_['ficheiro']} line {a_['linha']} {a_.get('niss') or ''}".rstrip())
    print(f"employers: {g.employers_yaml}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
