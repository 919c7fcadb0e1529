"""Planting rule violations into generated payroll data (``generate(..., anomalies=...)``).

One planter per registered rule id: it changes generated rows (or how a file is written) so that exactly that rule
is broken, and records where. Rules that are not about the export's content (``DQ-PER-01``: the ``ano_mes``
argument) cannot be planted.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable

from ciclo.domain.contrato import MODALIDADES
from ciclo.domain.niss import completar
from ciclo.domain.periodo import AnoMes

NAO_PLANTAVEIS = {"DQ-PER-01": "the ano_mes argument of load_payroll, not the export's content",
                  "DQ-ISE-03": "the dated legal limits (ciclo/data/limites.yaml) for the ano_mes, not the export's content",
                  "DQ-ISE-04": "limites.yaml's confirmado_ate against the ano_mes, not the export's content"}


@dataclass
class Plantio:
    colunas: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ficheiros_especiais: dict[str, Callable[[Path, str], None]] = field(default_factory=dict)
    marcas: list[tuple[str, str, object]] = field(default_factory=list)  # (rule_id, tipo, row dict or None)


def parse_anomalias(spec: dict[str, int] | str | None) -> dict[str, int]:
    from ciclo.domain.regras import REGRAS

    if not spec:
        return {}
    if isinstance(spec, str):
        out: dict[str, int] = {}
        for parte in filter(None, (p.strip() for p in spec.split(","))):
            rid, _, n = parte.partition(":")
            out[rid.strip()] = int(n) if n else 1
        spec = out
    for rid in spec:
        if rid not in REGRAS:
            raise ValueError(f"unknown rule id {rid!r} in anomalies (see ciclo/quality/rules.py)")
        if rid in NAO_PLANTAVEIS:
            raise ValueError(f"{rid} cannot be planted in an export: it is {NAO_PLANTAVEIS[rid]}")
    return dict(spec)


class _Desconhecida:
    termo, parcial, teletrabalho = "?", False, False


def _mod(contrato: dict):
    return MODALIDADES.get(contrato.get("modalidade_contrato") or "", _Desconhecida)


def _nao_p(rem):
    return [r for r in rem if r["natureza"] != "P"]


def plantar(pedidos: dict[str, int], dados: dict[str, list[dict]], ref: AnoMes, rng, niss_ee: str,
            registo: list[dict]) -> Plantio:
    pl = Plantio()
    T, C, R, I, X = (dados[k] for k in ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes"))
    ini, fim = ref.primeiro_dia, ref.ultimo_dia
    usados = {t["niss_trabalhador"] for t in T}

    tocados: set[str] = set()  # workers already used by a planted anomaly: each anomaly gets its own worker

    def marca(rid, tipo, row=None):
        pl.marcas.append((rid, tipo, row))
        if row is not None and row.get("niss_trabalhador"):
            tocados.add(row["niss_trabalhador"])

    def escolher(lista, pred=lambda r: True, i=0):
        cand = [r for r in lista if r.get("niss_trabalhador") not in tocados and pred(r)]
        if not cand:
            cand = [r for r in lista if pred(r)]
        if not cand:
            return None
        return cand[(i * 7919 + rng.randrange(len(cand))) % len(cand)]

    def contrato(pred, i, ajustar=None):
        c = escolher(C, pred, i)
        if c is None:  # no contract of that shape in this sample: turn one into it
            c = escolher(C, lambda r: True, i)
            if ajustar:
                ajustar(c)
        return c

    def p_linha(niss):
        return next((r for r in R if r["niss_trabalhador"] == niss and r["natureza"] == "P"), None)

    def tempo_inteiro_30(r):
        return r["natureza"] == "P" and r["dias"] == 30 and r.get("horas") is None and \
            sum(1 for x in R if x["niss_trabalhador"] == r["niss_trabalhador"] and x["natureza"] == "P") == 1 and \
            not any(x["niss_trabalhador"] == r["niss_trabalhador"] for x in I)

    def inat(i):
        if I:
            return I[i % len(I)]
        t = T[0]["niss_trabalhador"]
        novo = {"niss_trabalhador": t, "data_inicio": ini, "data_fim": ini, "motivo": "DOENCA"}
        I.append(novo)
        return novo

    def escrever_especial(tipo, como):
        pl.ficheiros_especiais[tipo] = como

    for rid, n in pedidos.items():
        for i in range(n):
            if rid == "DQ-FICH-01":
                escrever_especial("contratos", lambda pasta, fmt: None); marca(rid, "contratos")
            elif rid == "DQ-FICH-02":
                escrever_especial("inatividades", lambda pasta, fmt: (pasta / f"inatividades.{'xlsx' if fmt == 'xlsx' else 'csv'}").write_bytes(b""))
                marca(rid, "inatividades")
            elif rid == "DQ-FICH-03":
                from ciclo_dev.escrita import escrever
                escrever_especial("remuneracoes", lambda pasta, fmt: escrever(pasta, "remuneracoes", [], fmt)); marca(rid, "remuneracoes")
            elif rid == "DQ-FICH-04":
                def utf16(pasta, fmt, linhas=list(X)):
                    from ciclo_dev.escrita import escrever
                    p = escrever(pasta, "contribuicoes", linhas, "csv")
                    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16-le"))
                escrever_especial("contribuicoes", utf16); marca(rid, "contribuicoes")
            elif rid == "DQ-FICH-05":
                from ciclo.payroll.formato import FICHEIROS
                pl.colunas["trabalhadores"] = tuple("nome_completo" if c == "nome" else c for c in FICHEIROS["trabalhadores"].nomes)
                for t in T:
                    t["nome_completo"] = t["nome"]
                marca(rid, "trabalhadores")
            elif rid == "DQ-FICH-06":
                from ciclo.payroll.formato import FICHEIROS
                pl.colunas["contratos"] = FICHEIROS["contratos"].nomes + ("observacoes",)
                marca(rid, "contratos")
            elif rid in ("DQ-FICH-07", "DQ-FICH-08"):
                def extra(pasta, fmt, linhas=I if I else [], rid=rid):
                    from ciclo_dev.escrita import escrever
                    p = escrever(pasta, "inatividades", linhas, "csv-pt" if fmt == "csv-pt" else "csv")
                    sep = ";" if fmt == "csv-pt" else ","
                    enc = "cp1252" if fmt == "csv-pt" else "utf-8"
                    nl = "\r\n" if fmt == "csv-pt" else "\n"
                    if rid == "DQ-FICH-07":
                        cauda = sep.join([T[0]["niss_trabalhador"], "x", "y", "DOENCA", "a mais"]) + nl
                    else:
                        cauda = nl + nl
                    p.write_bytes(p.read_bytes() + cauda.encode(enc))
                escrever_especial("inatividades", extra); marca(rid, "inatividades")
            elif rid == "DQ-FICH-09":
                r = inat(i)
                for r in I:
                    r["data_inicio"] = (ini - timedelta(days=20))
                    r["data_fim"] = (ini - timedelta(days=18))
                marca(rid, "inatividades")
            elif rid == "DQ-FICH-10":
                escrever_especial("contribuicoes", lambda pasta, fmt: (pasta / "contribuicoes.xlsx").write_bytes(b"PK\x03\x04 not a workbook"))
                marca(rid, "contribuicoes")
            elif rid == "DQ-FICH-11":
                def dois(pasta, fmt, linhas=list(X)):
                    from ciclo_dev.escrita import escrever
                    p = escrever(pasta, "contribuicoes", linhas, "csv")
                    (pasta / "contribuicoes.txt").write_bytes(p.read_bytes())
                escrever_especial("contribuicoes", dois); marca(rid, "contribuicoes")
            elif rid == "DQ-FMT-01":
                r = escolher(_nao_p(R), i=i); r["valor"] = "12,3x"; marca(rid, "remuneracoes", r)
            elif rid == "DQ-FMT-02":
                r = escolher(_nao_p(R), i=i); r["data_fim"] = "2025-02-31"; marca(rid, "remuneracoes", r)
            elif rid == "DQ-FMT-03":
                r = escolher(_nao_p(R), i=i); r["dias"] = "trinta"; marca(rid, "remuneracoes", r)
            elif rid == "DQ-NISS-01":
                r = escolher(_nao_p(R), i=i); r["niss_trabalhador"] = r["niss_trabalhador"][:10]; marca(rid, "remuneracoes", r)
            elif rid == "DQ-OBR-01":
                r = escolher(_nao_p(R), i=i); r["natureza"] = None; marca(rid, "remuneracoes", r)
            elif rid == "DQ-TRAB-01":
                t = escolher(T, i=i); t["nome"] = None; marca(rid, "trabalhadores", t)
            elif rid == "DQ-ENQ-01":
                t = escolher(T, i=i); t["enquadramento"] = "REGIME_INEXISTENTE"; marca(rid, "trabalhadores", t)
            elif rid == "DQ-NAT-01":
                r = escolher(_nao_p(R), i=i); r["natureza"] = "Z"; marca(rid, "remuneracoes", r)
            elif rid == "DQ-NAT-02":
                r = escolher(R, lambda r: r["natureza"] == "P" and r.get("horas") is None, i)
                novo = dict(r, natureza="H", valor=Decimal("800.00"), dias=0)
                R.insert(R.index(r) + 1, novo); marca(rid, "remuneracoes", novo)
            elif rid == "DQ-ISE-01":
                r = escolher(R, lambda r: r["natureza"] == "R", i)
                r["pagamento_refeicao"] = r["valor_sujeito"] = None; marca(rid, "remuneracoes", r)
            elif rid == "DQ-ISE-02":
                r = escolher(R, lambda r: r["natureza"] == "R", i)
                r["valor_sujeito"] = r["valor"] + Decimal("1.00"); marca(rid, "remuneracoes", r)
            elif rid in ("DQ-CTR-41", "DQ-CTR-42"):
                def parcial(c):
                    c.update(modalidade_contrato="B", percentagem_trabalho=Decimal(50), horas_trabalho=Decimal(20),
                             dias_trabalho=Decimal(22), motivo_contrato=None, fim_contrato=None, prestacao_trabalho=None)
                c = contrato(lambda r: _mod(r).parcial and r.get("horas_trabalho"), i, parcial)
                # 41: more days than a month has; 42: weekly days written where monthly ones are due
                c["dias_trabalho"] = Decimal(40) if rid == "DQ-CTR-41" else Decimal(4)
                if rid == "DQ-CTR-42":
                    c["horas_trabalho"] = Decimal(20)
                marca(rid, "contratos", c)
            elif rid == "DQ-RED-01":
                t = escolher(T, i=i); t["reducao"] = "REDUCAO_INEXISTENTE"; marca(rid, "trabalhadores", t)
            elif rid == "DQ-ENQ-02":
                t = escolher(T, i=i)
                t["enquadramento_desde"], t["enquadramento_anterior"] = date(ref.ano, ref.mes, 15), None
                marca(rid, "trabalhadores", t)
            elif rid == "DQ-VAL-01":
                r = escolher(_nao_p(R), i=i); r["valor"] = Decimal("-10.00"); marca(rid, "remuneracoes", r)
            elif rid == "DQ-DIAS-01":
                r = escolher(R, lambda r: r["natureza"] == "R", i=i) or escolher(_nao_p(R), i=i)
                r["dias"] = Decimal(31); marca(rid, "remuneracoes", r)
            elif rid == "DQ-HORAS-01":
                r = escolher(_nao_p(R), i=i); r["horas"] = Decimal(-5); marca(rid, "remuneracoes", r)
            elif rid == "DQ-INA-01":
                r = inat(i); r["motivo"] = "FERIAS_GOZADAS"; marca(rid, "inatividades", r)
            elif rid == "DQ-CTR-01":
                c = escolher(C, i=i); c["modalidade_contrato"] = "Z9"; marca(rid, "contratos", c)
            elif rid == "DQ-CTR-02":
                c = escolher(C, i=i); c["prestacao_trabalho"] = "X"; marca(rid, "contratos", c)
            elif rid == "DQ-CTR-03":
                c = escolher(C, i=i); c["inicio_contrato"] = c["inicio_vinculo"] = date(1939, 12, 31); marca(rid, "contratos", c)
            elif rid == "DQ-CTR-04":
                c = contrato(lambda r: _mod(r).termo != "sem", i)
                c["fim_contrato"] = date(3000, 1, 1); marca(rid, "contratos", c)
            elif rid == "DQ-CTR-05":
                c = escolher(C, i=i); c["profissao"] = "ABC"; marca(rid, "contratos", c)
            elif rid == "DQ-CTR-06":
                c = escolher(C, i=i); c["remuneracao_base"] = Decimal("0.00"); marca(rid, "contratos", c)
            elif rid == "DQ-CTR-07":
                c = escolher(C, i=i); c["diuturnidades"] = Decimal("0.00"); marca(rid, "contratos", c)
            elif rid in ("DQ-CTR-08", "DQ-CTR-09", "DQ-CTR-34"):
                def parcial(c):
                    c.update(modalidade_contrato="B", percentagem_trabalho=Decimal(50), horas_trabalho=Decimal(20),
                             dias_trabalho=Decimal(22), motivo_contrato=None, fim_contrato=None, prestacao_trabalho=None)
                c = contrato(lambda r: _mod(r).parcial, i, parcial)
                if rid == "DQ-CTR-08":
                    c["percentagem_trabalho"] = Decimal(120)
                elif rid == "DQ-CTR-09":
                    c["horas_trabalho"] = Decimal(0)
                else:
                    c["percentagem_trabalho"] = None
                marca(rid, "contratos", c)
            elif rid == "DQ-NISS-02":
                t = escolher(T, i=i)
                velho = t["niss_trabalhador"]
                novo = velho[:10] + str((int(velho[10]) + 1) % 10)
                for lista in (T, C, R, I, X):
                    for r in lista:
                        for k in ("niss_trabalhador", "niss_trabalhador_substituir"):
                            if r.get(k) == velho:
                                r[k] = novo
                marca(rid, "trabalhadores", t)
            elif rid == "DQ-PER-02":
                r = escolher(_nao_p(R), i=i); r["data_fim"] = fim + timedelta(days=1); marca(rid, "remuneracoes", r)
            elif rid == "DQ-PER-03":
                r = escolher(_nao_p(R), i=i)
                r["data_inicio"], r["data_fim"] = date(ref.ano, ref.mes, 20), date(ref.ano, ref.mes, 10)
                marca(rid, "remuneracoes", r)
            elif rid == "DQ-DIAS-02":
                p = escolher(R, tempo_inteiro_30, i)
                c = next(c for c in C if c["niss_trabalhador"] == p["niss_trabalhador"])
                # two successive periods (1–15, 16–end) declaring 30 + 10 days (overlapping periods would be
                # concurrent contracts, which count once)
                p["data_fim"] = date(ref.ano, ref.mes, 15)
                extra = dict(p, data_inicio=date(ref.ano, ref.mes, 16), data_fim=fim, dias=10,
                             valor=((c["remuneracao_base"] + (c["diuturnidades"] or 0)) / 30 * 10).quantize(Decimal("0.01")))
                R.insert(R.index(p) + 1, extra); marca(rid, "remuneracoes", extra)
            elif rid == "DQ-DIAS-03":
                p = escolher(R, tempo_inteiro_30, i)
                novo = {"niss_trabalhador": p["niss_trabalhador"], "data_inicio": date(ref.ano, ref.mes, 3),
                        "data_fim": date(ref.ano, ref.mes, 7), "motivo": "DOENCA"}
                I.append(novo); marca(rid, "inatividades", novo)
            elif rid == "DQ-INA-02":
                t = escolher(T, lambda t: not any(x["niss_trabalhador"] == t["niss_trabalhador"] for x in I), i)
                a = {"niss_trabalhador": t["niss_trabalhador"], "data_inicio": date(ref.ano, ref.mes, 10),
                     "data_fim": date(ref.ano, ref.mes, 12), "motivo": "DOENCA"}
                b = dict(a, data_inicio=date(ref.ano, ref.mes, 11), data_fim=date(ref.ano, ref.mes, 13))
                I.extend([a, b]); marca(rid, "inatividades", b)
            elif rid == "DQ-DIAS-04":
                r = escolher(R, lambda r: r.get("horas") is not None, i)
                if r is None:
                    r = escolher(_nao_p(R), i=i)
                    r["horas"] = Decimal(37)
                r["dias"] = max(0, -(-int(r["horas"]) // 5) - 1) if r["horas"] < 150 else 29
                marca(rid, "remuneracoes", r)
            elif rid == "DQ-P-01":
                p = escolher(R, lambda r: r["natureza"] == "P" and r.get("horas") is None, i)
                p["valor"] = p["valor"] + Decimal("100.00"); marca(rid, "remuneracoes", p)
            elif rid == "DQ-VAL-02":
                r = escolher(_nao_p(R), i=i); r["valor"] = Decimal("12.345"); marca(rid, "remuneracoes", r)
            elif rid == "DQ-CTR-20":
                c = escolher(C, lambda r: sum(1 for x in C if x["niss_trabalhador"] == r["niss_trabalhador"]) == 1, i)
                c["inicio_contrato"] = c["inicio_vinculo"] = fim + timedelta(days=1)
                if c["fim_contrato"] is not None and c["fim_contrato"] < c["inicio_contrato"]:
                    c["fim_contrato"] = c["fim_vinculo"] = None
                marca(rid, "remuneracoes", p_linha(c["niss_trabalhador"]))
            elif rid == "DQ-CTR-21":
                c = escolher(C, lambda r: r["inicio_contrato"] < ini - timedelta(days=40), i)
                c["inicio_vinculo"] = c["inicio_contrato"] + timedelta(days=10); marca(rid, "contratos", c)
            elif rid == "DQ-TRAB-02":
                r = escolher(_nao_p(R), i=i)
                desconhecido = completar(f"19{rng.randrange(10**8):08d}")
                while desconhecido in usados:
                    desconhecido = completar(f"19{rng.randrange(10**8):08d}")
                novo = dict(r, niss_trabalhador=desconhecido)
                R.append(novo); marca(rid, "remuneracoes", novo)
            elif rid == "DQ-TRAB-03":
                t = escolher(T, lambda t: sum(1 for c in C if c["niss_trabalhador"] == t["niss_trabalhador"]) == 1, i)
                C[:] = [c for c in C if c["niss_trabalhador"] != t["niss_trabalhador"]]; marca(rid, "trabalhadores", t)
            elif rid == "DQ-TRAB-04":
                t = escolher(T, i=i)
                R[:] = [r for r in R if r["niss_trabalhador"] != t["niss_trabalhador"]]; marca(rid, "trabalhadores", t)
            elif rid == "DQ-DUP-01":
                r = escolher(R, lambda r: r["natureza"] == "R", i) or escolher(_nao_p(R), i=i)
                novo = dict(r); R.insert(R.index(r) + 1, novo); marca(rid, "remuneracoes", novo)
            elif rid == "DQ-DUP-02":
                t = escolher(T, i=i); novo = dict(t, nome=(t["nome"] or "") + " (2)"); T.append(novo); marca(rid, "trabalhadores", novo)
            elif rid == "DQ-DUP-03":
                c = escolher(C, i=i); novo = dict(c, remuneracao_base=c["remuneracao_base"] + 1); C.append(novo)
                marca(rid, "contratos", novo)
            elif rid == "DQ-DUP-04":
                r = escolher(R, lambda r: r["natureza"] == "R", i) or escolher(_nao_p(R), i=i)
                novo = dict(r, valor=r["valor"] + Decimal("1.00")); R.append(novo); marca(rid, "remuneracoes", novo)
            elif rid == "DQ-CONTRIB-01":
                x = escolher(X, i=i); x["valor_contribuicao"] += Decimal("1.00"); marca(rid, "contribuicoes", x)
            elif rid == "DQ-CTR-30":
                c = escolher(C, i=i); c["profissao"] = None; marca(rid, "contratos", c)
            elif rid in ("DQ-CTR-31", "DQ-CTR-33", "DQ-CTR-38"):
                def certo(c):
                    c.update(modalidade_contrato="E", motivo_contrato="AEAT", fim_contrato=fim + timedelta(days=90),
                             percentagem_trabalho=None, horas_trabalho=None, dias_trabalho=None, prestacao_trabalho=None,
                             niss_trabalhador_substituir=None)
                c = contrato(lambda r: _mod(r).termo == "certo", i, certo)
                if rid == "DQ-CTR-31":
                    c["fim_contrato"] = None
                elif rid == "DQ-CTR-33":
                    c["motivo_contrato"] = "OMAP"  # valid for termo incerto only
                else:
                    c["fim_contrato"] = c["inicio_contrato"] - timedelta(days=1)
                marca(rid, "contratos", c)
            elif rid == "DQ-CTR-32":
                c = contrato(lambda r: _mod(r).termo == "incerto", i,
                             lambda c: c.update(modalidade_contrato="G", fim_contrato=None, percentagem_trabalho=None,
                                                horas_trabalho=None, dias_trabalho=None, prestacao_trabalho=None))
                c["motivo_contrato"] = None; marca(rid, "contratos", c)
            elif rid == "DQ-CTR-35":
                c = contrato(lambda r: r["modalidade_contrato"] == "A", i,
                             lambda c: c.update(modalidade_contrato="A", motivo_contrato=None, fim_contrato=None,
                                                percentagem_trabalho=None, horas_trabalho=None, dias_trabalho=None))
                c["prestacao_trabalho"] = "T"; marca(rid, "contratos", c)
            elif rid == "DQ-CTR-36":
                c = contrato(lambda r: _mod(r).termo == "certo" and r["fim_contrato"] and r["fim_contrato"] > fim, i,
                             lambda c: c.update(modalidade_contrato="E", fim_contrato=fim + timedelta(days=90),
                                                percentagem_trabalho=None, horas_trabalho=None, dias_trabalho=None,
                                                prestacao_trabalho=None))
                c["motivo_contrato"], c["niss_trabalhador_substituir"] = "STAT", None; marca(rid, "contratos", c)
            elif rid == "DQ-CTR-37":
                c = contrato(lambda r: _mod(r).termo == "sem", i)
                c["inicio_contrato"] = date(2990, 1, 1); marca(rid, "contratos", c)
            elif rid == "DQ-CTR-39":
                c = escolher(C, lambda r: _mod(r).termo == "sem", i) or escolher(C, i=i)
                c.update(modalidade_contrato="C", horas_trabalho=None, dias_trabalho=None, percentagem_trabalho=None,
                         motivo_contrato=None, fim_contrato=None, prestacao_trabalho=None, niss_trabalhador_substituir=None)
                marca(rid, "contratos", c)
            elif rid == "DQ-CTR-40":
                c = escolher(C, i=i); c["remuneracao_base"] = Decimal("12345678901.00"); marca(rid, "contratos", c)
            else:
                raise ValueError(f"no planter for rule {rid}")

    listas = {"trabalhadores": T, "contratos": C, "remuneracoes": R, "inatividades": I, "contribuicoes": X}
    for rid, tipo, row in pl.marcas:
        linha = None
        if row is not None:
            linha = next(k for k, r in enumerate(listas[tipo]) if r is row) + 2
        registo.append({"rule_id": rid, "niss_ee": niss_ee, "ficheiro": tipo, "linha": linha,
                        "niss": row.get("niss_trabalhador") if row is not None else None})
    return pl
