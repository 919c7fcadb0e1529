"""Contracts of employment as the Segurança Social's ``alterarContratoTrabalho`` service sees them.

Source: ``specs/alterar-contrato-soap.txt`` (input table §2.1.2.1.1.2, output §2.1.2.1.1.3, "descritivo" §2.1.2.1.3,
annexes 3.1.2–3.1.4) and DOMAIN.md §4. Pure Python: used by the sandbox's SOAP endpoint, by the payroll
data-quality checks and by tests.

* ``MODALIDADES``: the 26 modality codes, each decomposed into termo / tempo / special regime.
* ``MOTIVOS_TERMO_CERTO`` / ``MOTIVOS_TERMO_INCERTO``: the motivo codes valid for each family.
* Every ``mensagens-erro`` text of the spec, exactly, as constants (codigo 2, codigo 3, codigo 0).
* ``validar_campos``: the context-free validation of one change (codigo 2 checks first, then codigo 3).
* ``validar_contexto``: the checks that need the Segurança Social's records (vínculos, earlier contracts).

Field names are the SOAP element names with ``_`` instead of ``-`` (``niss_trabalhador``, ``inicio_contrato``...).
Values may be ``str`` (as read from XML or a CSV), ``Decimal``/``int``, ``date`` or ``None``.

Decisions where the spec is silent or inconsistent (each marked in the code):

* The percentagem message is the output table's text ("... superior a zero e inferior ou igual a 100"); the
  "descritivo" table abbreviates it.
* A value that is not of the element's XSD type (a date that is not YYYY-MM-DD, a non-numeric amount, more than two
  decimals or more digits than NUMBER(p,2) allows, a malformed ``niss-trabalhador-substituir``) has no message in
  the spec: ``FORMATO_INVALIDO`` (ASSUMED text), codigo 3.
* ``prestacao-trabalho`` T or A needs a teletrabalho modality (DOMAIN.md §4); a teletrabalho modality with an explicit
  ``P`` is refused too (the descritivo: "é diferente de T" for those modalities). Omitted means P and is accepted.
* A ``motivo-contrato`` given for a *sem termo* modality is "Motivo de contrato inválido" (no list is valid there).
* ``profissao``: the 5-digit CPP code format (the CPP catalogue itself is not shipped) — ASSUMED.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Callable, Final, Iterable, Literal

from ciclo.domain.niss import formato_valido

# --------------------------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Modalidade:
    codigo: str
    descricao: str
    termo: Literal["sem", "certo", "incerto"]
    tempo: Literal["completo", "parcial"]
    intermitente: bool = False
    teletrabalho: bool = False
    comissao_servico: bool = False
    temporario: bool = False

    @property
    def parcial(self) -> bool:
        return self.tempo == "parcial"


_TERMO = {"sem": "Sem termo", "certo": "A termo certo", "incerto": "A termo incerto"}
_EXTRA = {"intermitente": "trabalho intermitente", "comissao_servico": "comissão de serviço",
          "teletrabalho": "teletrabalho", "temporario": "trabalho temporário"}


def _m(codigo: str, termo: str, tempo: str, extra: str | None = None) -> Modalidade:
    partes = [_TERMO[termo], f"tempo {tempo}"] + ([_EXTRA[extra]] if extra else [])
    flags = {extra: True} if extra else {}
    return Modalidade(codigo, ", ".join(partes), termo, tempo, **flags)  # type: ignore[arg-type]


# Annex 3.1.2, in the spec's order.
MODALIDADES: Final[dict[str, Modalidade]] = {m.codigo: m for m in (
    _m("A", "sem", "completo"), _m("C", "sem", "completo", "intermitente"),
    _m("AA", "sem", "completo", "comissao_servico"), _m("AB", "sem", "completo", "teletrabalho"),
    _m("S", "sem", "completo", "temporario"),
    _m("B", "sem", "parcial"), _m("D", "sem", "parcial", "intermitente"),
    _m("BA", "sem", "parcial", "comissao_servico"), _m("BB", "sem", "parcial", "teletrabalho"),
    _m("R", "sem", "parcial", "temporario"),
    _m("E", "certo", "completo"), _m("EA", "certo", "completo", "comissao_servico"),
    _m("EB", "certo", "completo", "teletrabalho"), _m("O", "certo", "completo", "temporario"),
    _m("F", "certo", "parcial"), _m("FA", "certo", "parcial", "comissao_servico"),
    _m("FB", "certo", "parcial", "teletrabalho"), _m("N", "certo", "parcial", "temporario"),
    _m("G", "incerto", "completo"), _m("GA", "incerto", "completo", "comissao_servico"),
    _m("GB", "incerto", "completo", "teletrabalho"), _m("Q", "incerto", "completo", "temporario"),
    _m("H", "incerto", "parcial"), _m("HA", "incerto", "parcial", "comissao_servico"),
    _m("HB", "incerto", "parcial", "teletrabalho"), _m("P", "incerto", "parcial", "temporario"),
)}

# Annex 3.1.4.
MODALIDADES_TELETRABALHO: Final[frozenset[str]] = frozenset({"AB", "BB", "EB", "FB", "GB", "HB"})
MODALIDADES_TERMO_CERTO: Final[frozenset[str]] = frozenset(c for c, m in MODALIDADES.items() if m.termo == "certo")
MODALIDADES_TERMO_INCERTO: Final[frozenset[str]] = frozenset(c for c, m in MODALIDADES.items() if m.termo == "incerto")
MODALIDADES_TEMPO_PARCIAL: Final[frozenset[str]] = frozenset(c for c, m in MODALIDADES.items() if m.parcial)

# Annex 3.1.3 — termo certo (E, EA, EB, O, F, FA, FB, N).
MOTIVOS_TERMO_CERTO: Final[dict[str, str]] = {
    "AEAT": "Acréscimo excepcional de atividade",
    "ATSA": "Atividade sazonal",
    "CTSD": "Contratação trabalhador situação desemprego muito longa duração",
    "EOPA": "Execução de obra, projeto ou atividade definida e temporária",
    "ESTA": "Outro motivo - Estágio",
    "EXTO": "Execução tarefa ocasional",
    "IFEE": "Início de funcionamento de empresa/estabelecimento com menos de 250 trabalhadores, nos 2 anos posteriores",
    "LNAT": "Lançamento nova atividade duração incerta em empresa/estabelecimento com menos de 250 trabalhadores, "
            "nos 2 anos posteriores",
    "NIMO": "Necessidade intermitente mão-de-obra por flutuação atividade que não ultrapasse semanalmente metade do "
            "período normal trabalho maioritariamente praticado",
    "NIPA": "Necessidade intermitente prestação apoio familiar direto, natureza social, durante dias ou partes dia",
    "RAPT": "Realização projeto temporário, instalação, reestruturação empresa, montagem reparação industrial",
    "RVEL": "Outro motivo - Conversão em contrato a termo após reforma por velhice ou idade de 70 anos",
    "STAJ": "Substituição trabalhador com ação judicial despedimento",
    "STAT": "Substituição trabalhador ausente ou temporariamente impedido",
    "STLR": "Substituição trabalhador com licença sem retribuição",
    "STPS": "Substituição de Trabalhador - Trabalhador abrangido por outro sistema de proteção social",
    "STTC": "Substituição trabalhador tempo completo por prestar trabalho tempo parcial por período determinado",
    "STTT": "Substituição de Trabalhador - Trabalhador temporário",
    "S2MT": "Substituição de dois ou mais trabalhadores",
    "VAPT": "Vacatura posto de trabalho decorra processo recrutamento para preenchimento",
}

# Annex 3.1.3 — termo incerto (G, GA, GB, Q, H, HA, HB, P).
MOTIVOS_TERMO_INCERTO: Final[dict[str, str]] = {
    "AEAT": MOTIVOS_TERMO_CERTO["AEAT"],
    "ATSA": MOTIVOS_TERMO_CERTO["ATSA"],
    "EOPA": MOTIVOS_TERMO_CERTO["EOPA"],
    "EXTO": MOTIVOS_TERMO_CERTO["EXTO"],
    "NIMO": MOTIVOS_TERMO_CERTO["NIMO"],
    "NIPA": MOTIVOS_TERMO_CERTO["NIPA"],
    "OMAP": "Outro motivo - Designação/Nomeação na AP",
    "OMCS": "Outro motivo - Comissão de serviço",
    "OMEL": "Outro motivo - Eleitos locais",
    "OSIN": "Outro motivo - Dirigentes/Delegados de Sindicatos/Associações Sindicais",
    "RAPT": MOTIVOS_TERMO_CERTO["RAPT"],
    "STAJ": MOTIVOS_TERMO_CERTO["STAJ"],
    "STAT": MOTIVOS_TERMO_CERTO["STAT"],
    "STLR": MOTIVOS_TERMO_CERTO["STLR"],
    "STPS": MOTIVOS_TERMO_CERTO["STPS"],
    "STTT": MOTIVOS_TERMO_CERTO["STTT"],
    "S2MT": MOTIVOS_TERMO_CERTO["S2MT"],
    "VAPT": MOTIVOS_TERMO_CERTO["VAPT"],
}

# Input table, niss-trabalhador-substituir: mandatory for exactly these motivos (STTC exists only for termo certo).
MOTIVOS_SUBSTITUICAO: Final[frozenset[str]] = frozenset({"STAJ", "STAT", "STLR", "STTC"})

# prestacao-trabalho: P presencial (default), T teletrabalho total, A teletrabalho parcial.
PRESTACOES: Final[frozenset[str]] = frozenset({"P", "T", "A"})
PRESTACAO_POR_OMISSAO: Final[str] = "P"
DESCRICAO_PRESTACAO: Final[dict[str, str]] = {"P": "Presencial", "T": "Teletrabalho total", "A": "Teletrabalho parcial"}

INICIO_MINIMO: Final[date] = date(1940, 1, 1)
FIM_MAXIMO: Final[date] = date(2999, 12, 31)
DIAS_FUTURO_MAXIMO: Final[int] = 30

CAMPOS: Final[tuple[str, ...]] = (
    "niss_trabalhador", "modalidade_contrato", "prestacao_trabalho", "inicio_contrato", "fim_contrato", "profissao",
    "remuneracao_base", "diuturnidades", "percentagem_trabalho", "horas_trabalho", "dias_trabalho", "motivo_contrato",
    "niss_trabalhador_substituir",
)
CAMPOS_DATA: Final[frozenset[str]] = frozenset({"inicio_contrato", "fim_contrato"})
# NUMBER(p, 2) of the input table / totalDigits of the WSDL.
CAMPOS_DECIMAIS: Final[dict[str, int]] = {
    "remuneracao_base": 12, "diuturnidades": 12, "percentagem_trabalho": 5, "horas_trabalho": 6, "dias_trabalho": 6,
}
CAMPOS_NISS: Final[frozenset[str]] = frozenset({"niss_trabalhador", "niss_trabalhador_substituir"})

# --------------------------------------------------------------------------------------------- messages

CODIGO_ERRO_INTERNO: Final[int] = 0
CODIGO_SUCESSO: Final[int] = 1
CODIGO_PARAMETRO_EM_FALTA: Final[int] = 2
CODIGO_VALIDACAO: Final[int] = 3

# codigo-resultado 2 — "Falta de parâmetros obrigatórios"
NISS_TRABALHADOR_NAO_IDENTIFICADO: Final[str] = "NISS do trabalhador não identificado"
MODALIDADE_NAO_IDENTIFICADA: Final[str] = "Modalidade contrato não identificada"
INICIO_NAO_IDENTIFICADO: Final[str] = "Data início contrato não identificada"
FIM_NAO_IDENTIFICADO: Final[str] = "Data fim contrato não identificada"
PROFISSAO_NAO_IDENTIFICADA: Final[str] = "Profissão não identificada"
REMUNERACAO_BASE_NAO_IDENTIFICADA: Final[str] = "Remuneração base não identificada"
PERCENTAGEM_NAO_IDENTIFICADA: Final[str] = "Percentagem trabalho não identificada"
HORAS_NAO_IDENTIFICADA: Final[str] = "Horas trabalho não identificada"
DIAS_NAO_IDENTIFICADO: Final[str] = "Dias trabalho não identificado"
MOTIVO_NAO_IDENTIFICADO: Final[str] = "Motivo de contrato não identificado"
NISS_SUBSTITUIR_NAO_IDENTIFICADO: Final[str] = "NISS trabalhador a substituir não identificado"

MENSAGENS_CODIGO_2: Final[tuple[str, ...]] = (
    NISS_TRABALHADOR_NAO_IDENTIFICADO, MODALIDADE_NAO_IDENTIFICADA, INICIO_NAO_IDENTIFICADO, FIM_NAO_IDENTIFICADO,
    PROFISSAO_NAO_IDENTIFICADA, REMUNERACAO_BASE_NAO_IDENTIFICADA, PERCENTAGEM_NAO_IDENTIFICADA,
    HORAS_NAO_IDENTIFICADA, DIAS_NAO_IDENTIFICADO, MOTIVO_NAO_IDENTIFICADO, NISS_SUBSTITUIR_NAO_IDENTIFICADO,
)

# codigo-resultado 3 — "Falha de validações"
NISS_TRABALHADOR_INVALIDO: Final[str] = "NISS do trabalhador não é válido"
MODALIDADE_INVALIDA: Final[str] = "Modalidade contrato inválida"
PRESTACAO_INVALIDA: Final[str] = "Prestação trabalho inválida"
PRESTACAO_INVALIDA_PARA_MODALIDADE: Final[str] = "Prestação trabalho inválida para a modalidade de contrato identificada"
SEM_VINCULO: Final[str] = ("Para o período do contrato indicado, o trabalhador não possui vínculo com a entidade "
                           "empregadora")
INICIO_NAO_POSTERIOR_ULTIMO: Final[str] = "A data início contrato tem de ser posterior à data início do último contrato"
INICIO_APOS_FIM_ULTIMO: Final[str] = ("A data início contrato tem de ser igual ao dia seguinte da data fim do último "
                                      "contrato ou anterior à data fim do último contrato")
INICIO_ANTES_1940: Final[str] = "A data início contrato tem de ser igual ou posterior a 1940-01-01"
INICIO_MAIS_30_DIAS: Final[str] = "A data início contrato não pode exceder em 30 dias a data atual"
FIM_ANTES_INICIO: Final[str] = "A data fim contrato tem de ser igual ou posterior à data início contrato"
FIM_APOS_FIM_VINCULO: Final[str] = "A data fim contrato tem de ser igual ou anterior à data fim do vínculo"
FIM_APOS_2999: Final[str] = "A data fim contrato tem de ser igual ou anterior a 2999-12-31"
PROFISSAO_INVALIDA: Final[str] = "Profissão inválida"
REMUNERACAO_BASE_NAO_POSITIVA: Final[str] = "O valor da remuneração base tem de ser superior a zero"
DIUTURNIDADES_NAO_POSITIVAS: Final[str] = "O valor das diuturnidades tem de ser superior a zero"
PERCENTAGEM_FORA_INTERVALO: Final[str] = ("O valor da percentagem de trabalho tem de ser superior a zero e inferior ou "
                                          "igual a 100")
HORAS_NAO_POSITIVAS: Final[str] = "O valor das horas de trabalho tem de ser superior a zero"
DIAS_NAO_POSITIVOS: Final[str] = "O valor dos dias de trabalho tem de ser superior a zero"
MOTIVO_INVALIDO: Final[str] = "Motivo de contrato inválido"
NISS_SUBSTITUIR_IGUAL: Final[str] = ("NISS identificado tem de ser diferente do NISS do trabalhador do contrato de "
                                     "trabalho")
SUBSTITUIDO_NUNCA_FOI_TRABALHADOR: Final[str] = "O trabalhador a substituir nunca foi trabalhador da entidade empregadora"
SUBSTITUIDO_SEM_VINCULO: Final[str] = ("Para o período do contrato indicado, o trabalhador a substituir não possui "
                                       "vínculo com a entidade empregadora")
INTERMITENTE_SEM_HORAS_NEM_DIAS: Final[str] = (
    "Para a modalidade de contrato sem termo, tempo completo, intermitente ou atividade descontínua é necessário "
    "indicar as horas de trabalho ou os dias de trabalho anuais")
MUITO_CURTA_DURACAO: Final[str] = "Não é possível efetuar alterações a contratos de trabalho de muito curta duração"

MENSAGENS_CODIGO_3: Final[tuple[str, ...]] = (
    NISS_TRABALHADOR_INVALIDO, MODALIDADE_INVALIDA, PRESTACAO_INVALIDA, PRESTACAO_INVALIDA_PARA_MODALIDADE,
    SEM_VINCULO, INICIO_NAO_POSTERIOR_ULTIMO, INICIO_APOS_FIM_ULTIMO, INICIO_ANTES_1940, INICIO_MAIS_30_DIAS,
    FIM_ANTES_INICIO, FIM_APOS_FIM_VINCULO, FIM_APOS_2999, PROFISSAO_INVALIDA, REMUNERACAO_BASE_NAO_POSITIVA,
    DIUTURNIDADES_NAO_POSITIVAS, PERCENTAGEM_FORA_INTERVALO, HORAS_NAO_POSITIVAS, DIAS_NAO_POSITIVOS,
    MOTIVO_INVALIDO, NISS_SUBSTITUIR_IGUAL, SUBSTITUIDO_NUNCA_FOI_TRABALHADOR, SUBSTITUIDO_SEM_VINCULO,
    INTERMITENTE_SEM_HORAS_NEM_DIAS, MUITO_CURTA_DURACAO,
)

# codigo-resultado 0
ERRO_INTERNO: Final[str] = "Erro interno do servidor"

# ASSUMED (no text in the spec): a value that is not of its XSD type. ``.format(campo=<SOAP element name>)``.
FORMATO_INVALIDO: Final[str] = "Formato inválido: {campo}"

# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ResultadoValidacao:
    """``codigo`` as the service's codigo-resultado (1 ok, 2 missing, 3 invalid); ``campos[i]`` is the field
    (underscore name) ``mensagens[i]`` is about."""

    codigo: int
    mensagens: list[str] = field(default_factory=list)
    campos: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.codigo == CODIGO_SUCESSO

    def pares(self) -> list[tuple[str, str]]:
        return list(zip(self.campos, self.mensagens))


OK: Final[ResultadoValidacao] = ResultadoValidacao(CODIGO_SUCESSO, [], [])


class _Acumulador:
    def __init__(self):
        self.mensagens: list[str] = []
        self.campos: list[str] = []

    def add(self, campo: str, mensagem: str) -> None:
        self.mensagens.append(mensagem)
        self.campos.append(campo)

    def resultado(self, codigo_falha: int) -> ResultadoValidacao:
        if not self.mensagens:
            return OK
        return ResultadoValidacao(codigo_falha, list(self.mensagens), list(self.campos))


# --------------------------------------------------------------------------------------------- normalisation

_DATA = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_PROFISSAO = re.compile(r"^\d{5}$")


class _FormatoInvalido(ValueError):
    pass


def vazio(valor: object) -> bool:
    """"nulo/vazio" in the spec's sense: None, or a blank string."""
    return valor is None or (isinstance(valor, str) and valor.strip() == "")


def _texto(valor: object) -> str:
    return str(valor).strip()


def _data(valor: object) -> date:
    if isinstance(valor, datetime):
        return valor.date()
    if isinstance(valor, date):
        return valor
    s = _texto(valor)
    if not _DATA.match(s):
        raise _FormatoInvalido(s)
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise _FormatoInvalido(s) from None


def _decimal(valor: object, total_digitos: int) -> Decimal:
    if isinstance(valor, bool):
        raise _FormatoInvalido(valor)
    if isinstance(valor, Decimal):
        d = valor
    elif isinstance(valor, int):
        d = Decimal(valor)
    elif isinstance(valor, float):
        d = Decimal(str(valor))
    else:
        s = _texto(valor)
        if not _DECIMAL.match(s):
            raise _FormatoInvalido(s)
        try:
            d = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the regex rejects these first
            raise _FormatoInvalido(s) from None
    if not d.is_finite():
        raise _FormatoInvalido(valor)
    _, digitos, expoente = d.normalize().as_tuple()  # value space: trailing zeros don't count (XSD)
    decimais = max(0, -int(expoente))
    inteiros = max(0, len(digitos) + int(expoente))
    if decimais > 2 or inteiros > total_digitos - 2:
        raise _FormatoInvalido(valor)
    return d


def _niss(valor: object) -> str:
    if isinstance(valor, int) and not isinstance(valor, bool):
        return str(valor)
    return _texto(valor)


def normalizar(campos: dict) -> tuple[dict, _Acumulador]:
    """Typed copy of ``campos`` (dates as ``date``, amounts as ``Decimal``, codes as stripped ``str``, NISS as an
    11-char string when given; blank → None) and the format errors found (codigo 3, ``FORMATO_INVALIDO``)."""
    out: dict = {}
    erros = _Acumulador()
    for campo in CAMPOS:
        v = campos.get(campo)
        if vazio(v):
            out[campo] = None
            continue
        try:
            if campo in CAMPOS_DATA:
                out[campo] = _data(v)
            elif campo in CAMPOS_DECIMAIS:
                out[campo] = _decimal(v, CAMPOS_DECIMAIS[campo])
            elif campo in CAMPOS_NISS:
                out[campo] = _niss(v)
            else:
                out[campo] = _texto(v)  # codes are case-sensitive, as in the service
        except _FormatoInvalido:
            out[campo] = None
            erros.add(campo, FORMATO_INVALIDO.format(campo=campo.replace("_", "-")))
    return out, erros


def normalizar_contrato(campos: dict) -> dict:
    """The contract to store after a successful change: typed fields, ``prestacao_trabalho`` defaulted to P,
    ``muito_curta_duracao`` False (a change never creates one)."""
    out, _ = normalizar(campos)
    if out.get("prestacao_trabalho") is None:
        out["prestacao_trabalho"] = PRESTACAO_POR_OMISSAO
    out["muito_curta_duracao"] = False
    return out


# --------------------------------------------------------------------------------------------- validation


def motivos_da_modalidade(codigo: str | None) -> dict[str, str]:
    """The motivos valid for a modality (empty for *sem termo* and unknown codes)."""
    m = MODALIDADES.get(codigo or "")
    if m is None or m.termo == "sem":
        return {}
    return MOTIVOS_TERMO_CERTO if m.termo == "certo" else MOTIVOS_TERMO_INCERTO


def em_falta(campos: dict) -> ResultadoValidacao:
    """codigo-resultado 2: mandatory parameters that are null/blank (conditional ones by modality and motivo)."""
    acc = _Acumulador()
    g = campos.get
    if vazio(g("niss_trabalhador")):
        acc.add("niss_trabalhador", NISS_TRABALHADOR_NAO_IDENTIFICADO)
    if vazio(g("modalidade_contrato")):
        acc.add("modalidade_contrato", MODALIDADE_NAO_IDENTIFICADA)
    if vazio(g("inicio_contrato")):
        acc.add("inicio_contrato", INICIO_NAO_IDENTIFICADO)
    mod = MODALIDADES.get(_texto(g("modalidade_contrato"))) if not vazio(g("modalidade_contrato")) else None
    if mod is not None and mod.termo == "certo" and vazio(g("fim_contrato")):
        acc.add("fim_contrato", FIM_NAO_IDENTIFICADO)
    if vazio(g("profissao")):
        acc.add("profissao", PROFISSAO_NAO_IDENTIFICADA)
    if vazio(g("remuneracao_base")):
        acc.add("remuneracao_base", REMUNERACAO_BASE_NAO_IDENTIFICADA)
    if mod is not None and mod.parcial:
        if vazio(g("percentagem_trabalho")):
            acc.add("percentagem_trabalho", PERCENTAGEM_NAO_IDENTIFICADA)
        if vazio(g("horas_trabalho")):
            acc.add("horas_trabalho", HORAS_NAO_IDENTIFICADA)
        if vazio(g("dias_trabalho")):
            acc.add("dias_trabalho", DIAS_NAO_IDENTIFICADO)
    if mod is not None and mod.termo != "sem" and vazio(g("motivo_contrato")):
        acc.add("motivo_contrato", MOTIVO_NAO_IDENTIFICADO)
    motivo = "" if vazio(g("motivo_contrato")) else _texto(g("motivo_contrato"))
    if motivo in MOTIVOS_SUBSTITUICAO and vazio(g("niss_trabalhador_substituir")):
        acc.add("niss_trabalhador_substituir", NISS_SUBSTITUIR_NAO_IDENTIFICADO)
    return acc.resultado(CODIGO_PARAMETRO_EM_FALTA)


def validar_campos(campos: dict, hoje: date) -> ResultadoValidacao:
    """Context-free validation of one contract change, as the service does it: every missing mandatory parameter
    (codigo 2) first; only when none is missing, every failed validation (codigo 3). ``hoje`` is the date of the
    call (start ≤ hoje + 30 days)."""
    falta = em_falta(campos)
    if not falta.ok:
        return falta
    c, acc = normalizar(campos)
    formato = set(acc.campos)

    niss = c["niss_trabalhador"]
    if "niss_trabalhador" not in formato and not formato_valido(niss):
        acc.add("niss_trabalhador", NISS_TRABALHADOR_INVALIDO)

    mod = MODALIDADES.get(c["modalidade_contrato"] or "")
    if mod is None:
        acc.add("modalidade_contrato", MODALIDADE_INVALIDA)

    prest = c["prestacao_trabalho"]
    if prest is not None and prest not in PRESTACOES:
        acc.add("prestacao_trabalho", PRESTACAO_INVALIDA)
    elif prest is not None and mod is not None:
        if (prest in ("T", "A")) != mod.teletrabalho:
            acc.add("prestacao_trabalho", PRESTACAO_INVALIDA_PARA_MODALIDADE)

    ini, fim = c["inicio_contrato"], c["fim_contrato"]
    if ini is not None:
        if ini < INICIO_MINIMO:
            acc.add("inicio_contrato", INICIO_ANTES_1940)
        if ini > hoje + timedelta(days=DIAS_FUTURO_MAXIMO):
            acc.add("inicio_contrato", INICIO_MAIS_30_DIAS)
    if fim is not None:
        if ini is not None and fim < ini:
            acc.add("fim_contrato", FIM_ANTES_INICIO)
        if fim > FIM_MAXIMO:
            acc.add("fim_contrato", FIM_APOS_2999)

    if not _PROFISSAO.match(c["profissao"] or "") and "profissao" not in formato:
        acc.add("profissao", PROFISSAO_INVALIDA)

    def positivo(campo: str, mensagem: str) -> None:
        v = c[campo]
        if v is not None and v <= 0:
            acc.add(campo, mensagem)

    positivo("remuneracao_base", REMUNERACAO_BASE_NAO_POSITIVA)
    positivo("diuturnidades", DIUTURNIDADES_NAO_POSITIVAS)
    pct = c["percentagem_trabalho"]
    if pct is not None and not (0 < pct <= 100):
        acc.add("percentagem_trabalho", PERCENTAGEM_FORA_INTERVALO)
    positivo("horas_trabalho", HORAS_NAO_POSITIVAS)
    positivo("dias_trabalho", DIAS_NAO_POSITIVOS)

    if mod is not None and mod.intermitente and mod.tempo == "completo" and mod.termo == "sem":
        if vazio(campos.get("horas_trabalho")) and vazio(campos.get("dias_trabalho")):
            acc.add("horas_trabalho", INTERMITENTE_SEM_HORAS_NEM_DIAS)

    motivo = c["motivo_contrato"]
    if motivo is not None and mod is not None and motivo not in motivos_da_modalidade(mod.codigo):
        acc.add("motivo_contrato", MOTIVO_INVALIDO)

    sub = c["niss_trabalhador_substituir"]
    if sub is not None and "niss_trabalhador_substituir" not in formato:
        if not formato_valido(sub):
            acc.add("niss_trabalhador_substituir", FORMATO_INVALIDO.format(campo="niss-trabalhador-substituir"))
        elif sub == niss:
            acc.add("niss_trabalhador_substituir", NISS_SUBSTITUIR_IGUAL)

    return acc.resultado(CODIGO_VALIDACAO)


Periodo = tuple[date, "date | None"]


def _cobre(vinculos: Iterable[Periodo], dia: date) -> Periodo | None:
    """The vínculo in force on ``dia`` (the latest-starting one if several), or None."""
    em_vigor = [(a, b) for a, b in vinculos if a <= dia and (b is None or dia <= b)]
    return max(em_vigor, key=lambda v: v[0]) if em_vigor else None


def validar_contexto(
    campos: dict,
    vinculos: Iterable[Periodo],
    contratos: list[dict],
    foi_trabalhador: bool | Callable[[str], bool] | None,
    hoje: date,
    *,
    vinculos_substituir: Iterable[Periodo] | None = None,
) -> ResultadoValidacao:
    """The validations that need the Segurança Social's records, for a change that passed ``validar_campos``.

    ``vinculos``: the worker's vínculos with the EE as (start, end or None); ``contratos``: the worker's registered
    contracts (dicts with ``inicio_contrato``, ``fim_contrato``, ``muito_curta_duracao``; any order);
    ``foi_trabalhador``: whether the worker to replace was ever a worker of the EE (a bool, or a callable taking
    that NISS); ``vinculos_substituir``: that worker's vínculos, when known (checked on the start date).
    ``hoje`` is accepted for symmetry with ``validar_campos`` (no context rule depends on it today).
    """
    del hoje
    c, _ = normalizar(campos)
    acc = _Acumulador()
    ini, fim = c["inicio_contrato"], c["fim_contrato"]
    if ini is None:  # validar_campos refuses this first; nothing to check against
        return OK
    vinculos = list(vinculos)
    ordenados = sorted(contratos, key=lambda k: _data(k["inicio_contrato"]))

    vinculo = _cobre(vinculos, ini)
    if vinculo is None:
        acc.add("inicio_contrato", SEM_VINCULO)

    if ordenados:
        ultimo = ordenados[-1]
        u_ini = _data(ultimo["inicio_contrato"])
        u_fim = None if vazio(ultimo.get("fim_contrato")) else _data(ultimo["fim_contrato"])
        if ini <= u_ini:
            acc.add("inicio_contrato", INICIO_NAO_POSTERIOR_ULTIMO)
        if u_fim is not None and ini > u_fim + timedelta(days=1):
            acc.add("inicio_contrato", INICIO_APOS_FIM_ULTIMO)

    if fim is not None and vinculo is not None and vinculo[1] is not None and fim > vinculo[1]:
        acc.add("fim_contrato", FIM_APOS_FIM_VINCULO)

    sub = c["niss_trabalhador_substituir"]
    if sub is not None and foi_trabalhador is not None:
        foi = foi_trabalhador(sub) if callable(foi_trabalhador) else bool(foi_trabalhador)
        if not foi:
            acc.add("niss_trabalhador_substituir", SUBSTITUIDO_NUNCA_FOI_TRABALHADOR)
        elif vinculos_substituir is not None and _cobre(vinculos_substituir, ini) is None:
            acc.add("niss_trabalhador_substituir", SUBSTITUIDO_SEM_VINCULO)

    # The contract in force on the start date (or, before any, none): a very-short-duration one can't be changed.
    anteriores = [k for k in ordenados if _data(k["inicio_contrato"]) <= ini]
    em_vigor = anteriores[-1] if anteriores else None
    if em_vigor is not None and em_vigor.get("muito_curta_duracao"):
        acc.add("modalidade_contrato", MUITO_CURTA_DURACAO)

    return acc.resultado(CODIGO_VALIDACAO)


def validar(campos: dict, hoje: date, vinculos: Iterable[Periodo], contratos: list[dict],
            foi_trabalhador: bool | Callable[[str], bool] | None, *,
            vinculos_substituir: Iterable[Periodo] | None = None) -> ResultadoValidacao:
    """``validar_campos`` then, when it passes, ``validar_contexto`` — what the service answers."""
    r = validar_campos(campos, hoje)
    if not r.ok:
        return r
    return validar_contexto(campos, vinculos, contratos, foi_trabalhador, hoje, vinculos_substituir=vinculos_substituir)
