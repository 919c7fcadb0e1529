"""Reconciliation of the payroll's internal totals with the Segurança Social's valores apurados.

The comparison itself is SQL (``include/sql/reconciliacao/*.sql``, portable to SQLite and PostgreSQL); this
module computes the internal side from the payroll, runs the SQL, classifies each difference against the
tolerance, explains it in words an accountant accepts, and stores everything in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ciclo.domain.dinheiro import cent, formatar_eur, from_cent, to_cent
from ciclo.domain.taxas import reducao as reducao_de, taxa as taxa_de
from ciclo.ledger import sql_dir

TOLERANCIA_PADRAO = Decimal("0.01")

# Wording of each difference class, in one place. {x} placeholders: interno, ss, delta, natureza.
EXPLICACOES = {
    "TRABALHADOR_SEM_VALORES_SS": "Trabalhador na folha sem valores apurados na Segurança Social (vínculo não comunicado ou cessado?).",
    "TRABALHADOR_DESCONHECIDO_FOLHA": "Trabalhador com valores apurados na Segurança Social que não consta da folha (vínculo por cessar? trabalhador de outra folha?).",
    "NATUREZA_SO_FOLHA": "Natureza {natureza} na folha ({interno}) sem correspondência na Segurança Social (valor não comunicado ou não integrado — ver alertas).",
    "NATUREZA_SO_SS": "Natureza {natureza} apurada pela Segurança Social ({ss}) que a folha não tem.",
    "REMUNERACAO_PERMANENTE_DIFERENTE": "Remuneração permanente diferente: folha {interno}, Segurança Social {ss} (diferença {delta}) — contrato não atualizado (remuneração base/diuturnidades) ou dias diferentes?",
    "NATUREZA_VALOR_DIFERENTE": "Natureza {natureza} com valor diferente: folha {interno}, Segurança Social {ss} (diferença {delta}).",
    "DIAS_DIFERENTES": "Dias de trabalho diferentes: folha {interno_texto}, Segurança Social {ss_texto} — ausência ou inatividade não comunicada?",
    "TAXA_OU_ENQUADRAMENTO_DIFERENTE": "Enquadramento ou taxa diferente: folha {interno_texto}, Segurança Social {ss_texto}.",
    "OBRIGACAO_DIFERENTE": "Obrigação contributiva diferente: folha {interno}, Segurança Social {ss} (diferença {delta}).",
    "FOLHA_CONTRIBUICAO_DIFERENTE": "As contribuições calculadas pelo software de salários ({interno}) diferem das da tabela de taxas ({ss}).",
    "ARREDONDAMENTO": "Diferença de arredondamento dentro da tolerância ({delta}).",
}
# Reported, but not a difference with the Segurança Social: does not call for an operator's approval.
CLASSES_INFORMATIVAS = {"FOLHA_CONTRIBUICAO_DIFERENTE"}
CLASSES_MONETARIAS = {"REMUNERACAO_PERMANENTE_DIFERENTE", "NATUREZA_VALOR_DIFERENTE", "OBRIGACAO_DIFERENTE",
                      "FOLHA_CONTRIBUICAO_DIFERENTE"}


@dataclass
class TrabalhadorInterno:
    niss_trabalhador: str
    enquadramento: str  # code or SS description, resolved through the rates table
    remuneracoes: dict[str, Decimal]  # natureza → amount
    dias_trabalho: Decimal | None = None
    dias_inatividade: Decimal | None = None
    folha_cotizacao: Decimal | None = None
    folha_contribuicao: Decimal | None = None
    reducao: str | None = None  # code of ciclo/data/reducoes.yaml (employer's contribution reduced)


@dataclass
class Resultado:
    niss_ee: str
    ano_mes: str
    totais: dict
    diferencas: list[dict] = field(default_factory=list)

    @property
    def fora_tolerancia(self) -> list[dict]:
        """Differences with the Segurança Social beyond tolerance (informational classes excluded)."""
        return [d for d in self.diferencas if not d["dentro_tolerancia"] and d["classe"] not in CLASSES_INFORMATIVAS]

    @property
    def dentro_tolerancia(self) -> bool:
        return not self.fora_tolerancia

    def resumo_texto(self, top: int = 10) -> str:
        t = self.totais
        linhas = [
            f"Reconciliação {self.niss_ee} {self.ano_mes}: {t['trabalhadores_folha']} trabalhadores na folha, "
            f"{t['trabalhadores_ss']} na Segurança Social",
            f"  remuneração: folha {formatar_eur(from_cent(t['interno_remuneracao_cent']))}, SS {formatar_eur(from_cent(t['ss_remuneracao_cent']))}",
            f"  obrigação:   folha {formatar_eur(from_cent(t['interno_obrigacao_cent']))}, SS {formatar_eur(from_cent(t['ss_obrigacao_cent']))}",
            f"  diferenças: {len(self.diferencas)} ({len(self.fora_tolerancia)} fora da tolerância)",
        ]
        for d in self.fora_tolerancia[:top]:
            linhas.append(f"  - {d['niss_trabalhador']}: {d['explicacao']}")
        return "\n".join(linhas)


def calcular_interno(trabalhador: TrabalhadorInterno, dia_ref: date) -> dict:
    """Internal totals of one worker: remuneration total, cotização and contribuição from the dated rates table."""
    t = taxa_de(trabalhador.enquadramento, dia_ref)
    total = cent(sum(trabalhador.remuneracoes.values(), Decimal(0)))
    cot, con = t.valores(total)
    # A reduction waives part of the employer's contribution (ciclo/data/reducoes.yaml): the obligation is
    # cotização + contribuição − redução, as the Segurança Social's totalObrigacao (ASSUMED, see reducoes.yaml).
    red = reducao_de(trabalhador.reducao, dia_ref).valor(con) if trabalhador.reducao else Decimal("0.00")
    return {
        "niss_trabalhador": trabalhador.niss_trabalhador, "enquadramento": t.descricao,
        "taxa_cotizacao": t.cotizacao, "taxa_contribuicao": t.contribuicao,
        "dias_trabalho": trabalhador.dias_trabalho, "dias_inatividade": trabalhador.dias_inatividade,
        "total_remuneracao_cent": to_cent(total), "cotizacao_cent": to_cent(cot), "contribuicao_cent": to_cent(con),
        "obrigacao_cent": to_cent(cot + con - red),
        "folha_cotizacao_cent": None if trabalhador.folha_cotizacao is None else to_cent(trabalhador.folha_cotizacao),
        "folha_contribuicao_cent": None if trabalhador.folha_contribuicao is None else to_cent(trabalhador.folha_contribuicao),
    }


def linhas_internas(trabalhadores: list[TrabalhadorInterno], dia_ref: date) -> tuple[Iterator[dict], Iterator[dict]]:
    """The ledger rows of the internal totals (per worker, and per worker and natureza), amounts in cents: two
    iterators, each going over ``trabalhadores`` once as it is read (the repository writes them in chunks, so
    50,000 workers' rows are never all in memory)."""
    def por_trabalhador():
        for tr in trabalhadores:
            yield calcular_interno(tr, dia_ref)

    def por_natureza():
        for tr in trabalhadores:
            for natureza, valor in sorted(tr.remuneracoes.items()):
                yield {"niss_trabalhador": tr.niss_trabalhador, "natureza": natureza,
                       "remuneracao_cent": to_cent(valor), "dias_trabalho": tr.dias_trabalho if natureza == "P" else None}

    return por_trabalhador(), por_natureza()


def _sql(nome: str) -> str:
    texto = (sql_dir() / "reconciliacao" / nome).read_text(encoding="utf-8")
    return "\n".join(l for l in texto.splitlines() if not l.strip().startswith("--"))


def _explicar(classe: str, d: dict) -> str:
    fmt = lambda c: "—" if c is None else formatar_eur(from_cent(c))  # noqa: E731
    return EXPLICACOES[classe].format(
        natureza=d.get("natureza") or "", interno=fmt(d.get("interno_cent")), ss=fmt(d.get("ss_cent")),
        delta=fmt(d.get("delta_cent")), interno_texto=d.get("interno_texto") or "—", ss_texto=d.get("ss_texto") or "—")


def reconciliar(ledger, niss_ee: str, ano_mes: str, tolerancia: Decimal = TOLERANCIA_PADRAO) -> Resultado:
    """Run the reconciliation SQL, classify and explain, store the results (replacing a previous run's)."""
    tol_cent = to_cent(tolerancia)
    params = {"niss_ee": niss_ee, "ano_mes": ano_mes}
    repo = ledger.reconciliacoes
    brutos = repo.consultar(_sql("diferencas.sql"), params)
    totais = repo.consultar(_sql("totais_ee.sql"), params)[0]
    diferencas = []
    for b in brutos:
        classe = b["classe"]
        interno, ss = b["interno_cent"], b["ss_cent"]
        delta = (ss - interno) if (interno is not None and ss is not None) else None
        dentro = classe in CLASSES_MONETARIAS and delta is not None and abs(delta) <= tol_cent
        d = {"niss_ee": niss_ee, "ano_mes": ano_mes, "niss_trabalhador": b["niss_trabalhador"],
             "classe": "ARREDONDAMENTO" if dentro else classe, "natureza": b["natureza"],
             "interno_cent": interno, "ss_cent": ss, "delta_cent": delta,
             "interno_texto": b["interno_texto"], "ss_texto": b["ss_texto"], "dentro_tolerancia": dentro}
        d["explicacao"] = _explicar(d["classe"], d)
        diferencas.append(d)
    # the biggest money first, then the non-monetary classes
    diferencas.sort(key=lambda d: (d["dentro_tolerancia"], -abs(d["delta_cent"] or d["interno_cent"] or d["ss_cent"] or 0),
                                   d["niss_trabalhador"], d["classe"]))
    fora = sum(1 for d in diferencas if not d["dentro_tolerancia"] and d["classe"] not in CLASSES_INFORMATIVAS)
    totais = {k: int(v) for k, v in totais.items()}
    repo.gravar_resultado(niss_ee, ano_mes, diferencas, {
        **totais, "diferencas": len(diferencas), "diferencas_fora_tolerancia": fora, "tolerancia_cent": tol_cent})
    return Resultado(niss_ee, ano_mes, totais, diferencas)


def internos_da_folha(payroll) -> list[TrabalhadorInterno]:
    """The internal side from a loaded payroll: remuneration subject to contributions by natureza, days of work (P lines, capped at 30 —
    Art. 16 DR 1-A/2011), inactivity days, enquadramento, and the payroll's own contributions when exported."""
    from ciclo.domain.incidencia import IncidenciaInvalida
    from ciclo.domain.naturezas import FORA_DA_DECLARACAO
    from ciclo.payroll.incidencia import incidencias
    from ciclo.domain.periodo import AnoMes, dias_trabalho_e_inatividade
    from ciclo.domain.taxas import enquadramento_do_mes

    rem: dict[str, dict[str, Decimal]] = {}
    dias: dict[str, Decimal] = {}
    # The declared (and apurado) value of a line is its part subject to contributions, not its gross amount.
    inc = incidencias(payroll)
    # column by column (``_colunas``), not a dict per line: 50,000 workers have ≈140,000 lines
    for (n, natureza, d), erro, sujeito in zip(_colunas(payroll.remuneracoes, "niss_trabalhador", "natureza", "dias"),
                                              inc["erro"], inc["sujeito"]):
        if natureza in FORA_DA_DECLARACAO:  # honorários: not in this declaration (DR 1-A/2011 art. 20.º n.º 4)
            continue
        if erro is not None:
            raise IncidenciaInvalida(f"{n} natureza {natureza}: {erro}")
        por = rem.setdefault(n, {})
        if sujeito or natureza == "P":  # a wholly exempt line is not declared: nothing to compare
            por[natureza] = por.get(natureza, Decimal(0)) + sujeito
        if natureza == "P" and d is not None and str(d) != "nan":
            dias[n] = dias.get(n, Decimal(0)) + Decimal(str(d))
    inativ: dict[str, Decimal] = {}
    ina = getattr(payroll, "inatividades", None)
    ref = AnoMes.parse(payroll.ano_mes)
    if ina is not None and len(ina):
        # The same 30-day arithmetic as the apuramento (ciclo.domain.periodo): absences merged (an overlap counts
        # once), clipped to the month, counted on the 30-day basis.
        por_trab: dict[str, list] = {}
        for n, inicio, fim in _colunas(ina, "niss_trabalhador", "data_inicio", "data_fim"):
            if inicio is None or fim is None or fim < inicio:
                continue  # DQ-OBR-01 / DQ-FMT-02 / DQ-PER-03 block such a payroll
            por_trab.setdefault(n, []).append((inicio, fim))
        for n, periodos in por_trab.items():
            _, d = dias_trabalho_e_inatividade(ref.primeiro_dia, ref.ultimo_dia, periodos)
            inativ[n] = Decimal(d)
    contrib: dict[str, tuple[Decimal, Decimal]] = {}
    ct = getattr(payroll, "contribuicoes", None)
    if ct is not None and len(ct):
        for n, cot, con in _colunas(ct, "niss_trabalhador", "valor_cotizacao", "valor_contribuicao"):
            contrib[n] = (Decimal(str(cot)), Decimal(str(con)))
    out = []
    for n, enquadramento, anterior, desde, reducao in _colunas(
            payroll.trabalhadores, "niss_trabalhador", "enquadramento", "enquadramento_anterior", "enquadramento_desde",
            "reducao"):
        cot, con = contrib.get(n, (None, None))
        # A change of enquadramento during the month takes effect the following month (DR 1-A/2011 art. 13.º-A n.º 2)
        enq = enquadramento_do_mes(enquadramento, ref, anterior, desde)
        out.append(TrabalhadorInterno(n, enq, rem.get(n, {}), reducao=reducao,
                                      dias_trabalho=min(dias[n], Decimal(30)) if n in dias else None,
                                      dias_inatividade=inativ.get(n), folha_cotizacao=cot, folha_contribuicao=con))
    return out


def _colunas(df, *nomes: str):
    """The rows of ``df`` as tuples of the named columns (a column the frame lacks reads as None)."""
    return zip(*(df[c].tolist() if c in df.columns else [None] * len(df) for c in nomes))
