"""The canonical payroll export format: one folder per EE and ``ano_mes``, one file per kind.

Documented for users in ``docs/payroll-export.md``; this module is the single definition the loader, the
generator, the checks and the docs follow. Column names are the canonical ones (the SOAP contract fields keep the
service's element names with ``_`` for ``-``). An export from another payroll system is read through a YAML
mapping (``ciclo.payroll.mapping``) onto these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tipo = Literal["niss", "texto", "codigo", "data", "montante", "numero"]


@dataclass(frozen=True)
class Coluna:
    nome: str
    tipo: Tipo
    obrigatoria: bool  # must be present in the header (a value may still be optional)
    descricao: str


@dataclass(frozen=True)
class Ficheiro:
    nome: str
    obrigatorio: bool  # the file must exist in the folder
    pode_estar_vazio: bool  # header only is normal (no absences this month)
    colunas: tuple[Coluna, ...]
    descricao: str

    @property
    def nomes(self) -> tuple[str, ...]:
        return tuple(c.nome for c in self.colunas)

    def coluna(self, nome: str) -> Coluna:
        return next(c for c in self.colunas if c.nome == nome)

    def por_tipo(self, *tipos: str) -> tuple[str, ...]:
        return tuple(c.nome for c in self.colunas if c.tipo in tipos)


def _c(nome: str, tipo: Tipo, obrigatoria: bool, descricao: str) -> Coluna:
    return Coluna(nome, tipo, obrigatoria, descricao)


TRABALHADORES = Ficheiro("trabalhadores", True, False, (
    _c("niss_trabalhador", "niss", True, "NISS do trabalhador (11 dígitos)"),
    _c("nome", "texto", True, "Nome completo"),
    _c("enquadramento", "codigo", True, "Enquadramento (código de ciclo/data/taxas.yaml, ex. REGIME_GERAL, ou a descrição da SS)"),
    _c("data_nascimento", "data", False, "Data de nascimento (opcional)"),
    _c("enquadramento_desde", "data", False, "Data em que o enquadramento atual começou (se mudou neste mês, a taxa "
       "nova só se aplica no mês seguinte: DR 1-A/2011 art. 13.º-A n.º 2)"),
    _c("enquadramento_anterior", "codigo", False, "Enquadramento antes dessa data (obrigatório se mudou neste mês)"),
    _c("reducao", "codigo", False, "Redução da contribuição da entidade empregadora (ciclo/data/reducoes.yaml, ex. "
       "PRIMEIRO_EMPREGO)"),
), "Um trabalhador por linha.")

CONTRATOS = Ficheiro("contratos", True, False, (
    _c("niss_trabalhador", "niss", True, "NISS do trabalhador"),
    _c("modalidade_contrato", "codigo", True, "Modalidade (26 códigos do serviço alterarContratoTrabalho, anexo 3.1.2)"),
    _c("prestacao_trabalho", "codigo", False, "P presencial (omissão), T teletrabalho total, A teletrabalho parcial"),
    _c("inicio_contrato", "data", True, "Data de início do contrato (ou da versão do contrato)"),
    _c("fim_contrato", "data", True, "Data de fim (obrigatória para termo certo; vazia se sem termo)"),
    _c("profissao", "codigo", True, "Profissão, código CPP de 5 dígitos"),
    _c("remuneracao_base", "montante", True, "Remuneração base mensal (> 0, NUMBER(12,2))"),
    _c("diuturnidades", "montante", False, "Diuturnidades mensais (> 0 quando indicadas)"),
    _c("percentagem_trabalho", "numero", False, "Percentagem de trabalho (tempo parcial: 0 < p ≤ 100)"),
    _c("horas_trabalho", "numero", False, "Horas de trabalho semanais (tempo parcial: > 0)"),
    _c("dias_trabalho", "numero", False, "Dias de trabalho MENSAIS (tempo parcial: > 0); anuais nos contratos "
       "intermitentes a tempo completo (spec alterarContratoTrabalho: \"Número de dias mensais de trabalho\")"),
    _c("motivo_contrato", "codigo", True, "Motivo (termo certo/incerto, anexo 3.1.3)"),
    _c("niss_trabalhador_substituir", "niss", False, "NISS do trabalhador substituído (motivos STAJ, STAT, STLR, STTC)"),
    _c("inicio_vinculo", "data", True, "Início do vínculo com a entidade empregadora"),
    _c("fim_vinculo", "data", False, "Fim do vínculo (cessação), vazio se em vigor"),
    _c("motivo_fim_vinculo", "codigo", False, "Motivo do fim do vínculo (código da Segurança Social de 4 caracteres, "
       "ex. CCCT): obrigatório quando o vínculo acaba no mês — vai na comunicação cessarVinculoTrabalhador"),
    _c("comunicacao_desemprego", "codigo", False, "S/N: a cessação é comunicada para efeitos de proteção no desemprego "
       "(cessarVinculoTrabalhador comunicacao-desemprego 1/0); obrigatório quando o vínculo acaba no mês"),
    _c("fundamentacao_fim_vinculo", "texto", False, "Fundamentação da cessação (exigida pela Segurança Social para os "
       "motivos RARC, RARD, RARE e RARR com comunicação para desemprego)"),
), "Uma linha por contrato ou versão de contrato (uma alteração a meio do mês é uma nova linha).")

REMUNERACOES = Ficheiro("remuneracoes", True, False, (
    _c("niss_trabalhador", "niss", True, "NISS do trabalhador"),
    _c("natureza", "codigo", True, "Natureza da remuneração (P, R, B, O, C, D, F, N, H, M, X, S, T, A, I, 2, 6)"),
    _c("data_inicio", "data", True, "Início do período a que respeita"),
    _c("data_fim", "data", True, "Fim do período a que respeita"),
    _c("valor", "montante", True, "Valor (≥ 0, duas casas decimais)"),
    _c("dias", "numero", True, "Dias de trabalho (base 30); no subsídio de refeição (R), os dias em que foi pago"),
    _c("horas", "numero", False, "Horas de trabalho, só para trabalho à hora (1 dia por cada 5 horas iniciadas)"),
    _c("pagamento_refeicao", "codigo", False, "Subsídio de refeição (R): D numerário, C cartão ou vales (limite isento "
       "diário diferente, ciclo/data/limites.yaml)"),
    _c("valor_sujeito", "montante", False, "Parte sujeita a contribuições calculada pela folha: obrigatória em A "
       "(ajudas de custo/transporte) e D (compensação por cessação); em R, opcional e verificada contra o limite legal"),
), "Uma linha por trabalhador, natureza e período. Declara-se só a parte sujeita a contribuições.")

INATIVIDADES = Ficheiro("inatividades", False, True, (
    _c("niss_trabalhador", "niss", True, "NISS do trabalhador"),
    _c("data_inicio", "data", True, "Início da inatividade"),
    _c("data_fim", "data", True, "Fim da inatividade"),
    _c("motivo", "codigo", True, "Motivo (ciclo/domain/inatividades.py, ex. DOENCA)"),
), "Períodos de inatividade (ausências) no mês.")

CONTRIBUICOES = Ficheiro("contribuicoes", False, True, (
    _c("niss_trabalhador", "niss", True, "NISS do trabalhador"),
    _c("enquadramento", "codigo", True, "Enquadramento aplicado pela folha"),
    _c("base_incidencia", "montante", True, "Base de incidência contributiva calculada pela folha"),
    _c("valor_cotizacao", "montante", True, "Cotização do trabalhador calculada pela folha"),
    _c("valor_contribuicao", "montante", True, "Contribuição da entidade empregadora calculada pela folha"),
), "Opcional: os valores calculados pelo software de salários, para comparação.")

FICHEIROS: dict[str, Ficheiro] = {f.nome: f for f in (TRABALHADORES, CONTRATOS, REMUNERACOES, INATIVIDADES, CONTRIBUICOES)}
EXTENSOES = (".csv", ".xlsx", ".txt")
META = ("_ficheiro", "_linha")  # added to every loaded frame: source file name and line (1 = header)
