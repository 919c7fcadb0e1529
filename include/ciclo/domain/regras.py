"""The single registry of data-quality rules: every check this product runs on a payroll export, whatever layer
runs it, with its id, severity, legal or spec source and message.

Layers (``camada``):

* ``ficheiro`` — raised by the loader (``ciclo.payroll.loader``) while reading the files (missing file, empty file,
  missing column, unparseable amount or date...).
* ``gx`` — row rules expressed as Great Expectations suites in ``expectations/<ficheiro>.json``; each expectation
  names its rule in ``meta.rule_id`` (``ciclo.quality.gx_runner``).
* ``pandas`` — rules across rows or files (30-day cap, work + inactivity, hourly → days, periods, contracts valid in
  the month, duplicates, NISS check digit, partial-month P...): vectorised predicates in ``ciclo.quality.checks``,
  registered against the ids here.
* ``contrato`` — contract-field dependencies by modality, from ``ciclo.domain.contrato.validar_campos`` (the same
  validation the SOAP service applies), each of its messages mapped to a rule here.

Severity ``error`` blocks sending to the Segurança Social; ``warning`` is reported only.
Message templates take ``{valor}``, ``{coluna}``, ``{ficheiro}``, ``{niss}`` and rule-specific fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DR = "DR 1-A/2011"
SOAP = "specs/alterar-contrato-soap.txt"
FORMATO = "docs/payroll-export.md"
PSI = "docs/psi-contract.md — Send (valores de remuneração)"


@dataclass(frozen=True)
class Regra:
    id: str
    severidade: Literal["error", "warning"]
    camada: Literal["ficheiro", "gx", "pandas", "contrato"]
    fonte: str
    titulo: str
    mensagem: str
    ficheiros: tuple[str, ...] = ()

    def formatar(self, **params) -> str:
        class _Faltas(dict):
            def __missing__(self, k):
                return "?"

        return self.mensagem.format_map(_Faltas({k: ("" if v is None else v) for k, v in params.items()}))


_T = ("trabalhadores",)
_C = ("contratos",)
_R = ("remuneracoes",)
_I = ("inatividades",)
_X = ("contribuicoes",)
_TODOS = ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes")
_NISS = ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes")
_PERIODOS = ("remuneracoes", "inatividades")

_LISTA: tuple[Regra, ...] = (
    # ----------------------------------------------------------------------------------- files (loader)
    Regra("DQ-FICH-01", "error", "ficheiro", FORMATO + " — ficheiros obrigatórios", "Ficheiro obrigatório em falta",
          "Falta o ficheiro {ficheiro} na pasta {pasta} (procurado: {procurado}). Exporte-o da folha de salários ou "
          "indique o nome no mapeamento (ficheiros: {{{tipo}: <nome>}}).", _TODOS),
    Regra("DQ-FICH-02", "error", "ficheiro", FORMATO, "Ficheiro vazio",
          "O ficheiro {ficheiro} está vazio (0 linhas). Volte a exportá-lo.", _TODOS),
    Regra("DQ-FICH-03", "error", "ficheiro", FORMATO, "Ficheiro só com cabeçalho",
          "O ficheiro {ficheiro} só tem a linha de cabeçalho, sem dados.", _TODOS),
    Regra("DQ-FICH-04", "error", "ficheiro", FORMATO + " — codificação", "Codificação não reconhecida",
          "O ficheiro {ficheiro} não é texto UTF-8 nem Windows-1252 ({detalhe}). Exporte-o como CSV UTF-8 ou XLSX.",
          _TODOS),
    Regra("DQ-FICH-05", "error", "ficheiro", FORMATO + " — colunas", "Coluna obrigatória em falta",
          "Falta a coluna {coluna} no ficheiro {ficheiro}.{sugestao}", _TODOS),
    Regra("DQ-FICH-06", "warning", "ficheiro", FORMATO + " — colunas", "Coluna não reconhecida (ignorada)",
          "A coluna {valor!r} do ficheiro {ficheiro} não faz parte do formato e foi ignorada.{sugestao}", _TODOS),
    Regra("DQ-FICH-07", "error", "ficheiro", FORMATO, "Linha com número de campos errado",
          "A linha tem {n} campos e o cabeçalho {esperado}: separador ou aspas mal colocados?", _TODOS),
    Regra("DQ-FICH-08", "warning", "ficheiro", FORMATO, "Linhas em branco (ignoradas)",
          "{n} linha(s) em branco ignorada(s) no ficheiro {ficheiro} (primeira: linha {primeira}).", _TODOS),
    Regra("DQ-FICH-09", "error", "ficheiro", DR + " Art. 16.º n.º 1; DOMAIN.md §4 (ano-mes)", "Ficheiro de outro mês",
          "O ficheiro {ficheiro} parece ser de {mes_ficheiro} ({n} de {total} linhas), não de {ano_mes}: "
          "pasta ou exportação errada?", _PERIODOS),
    Regra("DQ-FICH-10", "error", "ficheiro", FORMATO, "Ficheiro ilegível",
          "Não foi possível ler o ficheiro {ficheiro}: {detalhe}.", _TODOS),
    Regra("DQ-FICH-11", "warning", "ficheiro", FORMATO, "Ficheiro repetido",
          "Há mais de um ficheiro {tipo} ({outros}); foi lido {ficheiro}.", _TODOS),
    Regra("DQ-FMT-01", "error", "ficheiro", "DOMAIN.md §4 (montantes numéricos); " + PSI, "Montante não numérico",
          "Valor {valor!r} na coluna {coluna} não é um montante (use 1234.56 ou 1.234,56).", _TODOS),
    Regra("DQ-FMT-02", "error", "ficheiro", "DOMAIN.md §4 (períodos); " + PSI, "Data inválida",
          "Data {valor!r} na coluna {coluna} não é uma data (use AAAA-MM-DD ou DD/MM/AAAA).", _TODOS),
    Regra("DQ-FMT-03", "error", "ficheiro", "DOMAIN.md §4", "Número inválido",
          "Valor {valor!r} na coluna {coluna} não é um número.", _TODOS),
    Regra("DQ-PER-01", "error", "ficheiro", "DOMAIN.md §2/§4 — ano-mes AAAAMM", "Ano/mês inválido",
          "Ano/mês {valor!r} não cumpre os requisitos da estrutura definida YYYYMM (mês real).", ()),
    # ----------------------------------------------------------------------------------- GX row rules
    Regra("DQ-NISS-01", "error", "gx", "DOMAIN.md §4 (NISS: 11 dígitos, começa por 1 ou 2); " + PSI,
          "NISS com formato inválido", "NISS {valor!r} em {coluna} não tem 11 dígitos começados por 1 ou 2.", _NISS),
    Regra("DQ-OBR-01", "error", "gx", FORMATO + "; " + PSI, "Valor obrigatório em falta",
          "Falta o valor da coluna {coluna}.", _TODOS),
    Regra("DQ-TRAB-01", "warning", "gx", FORMATO, "Nome em falta", "Trabalhador sem nome.", _T),
    Regra("DQ-ENQ-01", "error", "gx", "DOMAIN.md §5; ciclo/data/taxas.yaml", "Enquadramento desconhecido",
          "Enquadramento {valor!r} desconhecido (ver ciclo/data/taxas.yaml: REGIME_GERAL, MOE, ...).", _T + _X),
    Regra("DQ-NAT-01", "error", "gx", "DOMAIN.md §4 (códigos de natureza); " + PSI, "Natureza inválida",
          "Natureza de remuneração inválida: {valor!r}.", _R),
    Regra("DQ-VAL-01", "error", "gx", "DOMAIN.md §4 (montantes ≥ 0); " + PSI, "Montante negativo",
          "Montante {valor} em {coluna} é negativo.", _R + _X),
    Regra("DQ-DIAS-01", "error", "gx", DR + " Art. 16.º n.º 2; " + PSI, "Dias fora de 0..30",
          "Dias de trabalho {valor} fora do intervalo 0 a 30.", _R),
    Regra("DQ-HORAS-01", "error", "gx", DR + " Art. 16.º n.º 5", "Horas negativas",
          "Horas de trabalho {valor} negativas.", _R),
    Regra("DQ-INA-01", "error", "gx", "ciclo/domain/inatividades.py (ASSUMED); " + PSI, "Motivo de inatividade inválido",
          "Motivo de inatividade inválido: {valor!r}.", _I),
    Regra("DQ-CTR-01", "error", "gx", SOAP + " — modalidade-contrato (anexo 3.1.2)", "Modalidade inválida",
          "Modalidade contrato inválida: {valor!r}.", _C),
    Regra("DQ-CTR-02", "error", "gx", SOAP + " — prestacao-trabalho", "Prestação de trabalho inválida",
          "Prestação trabalho inválida: {valor!r} (P, T ou A).", _C),
    Regra("DQ-CTR-03", "error", "gx", SOAP + " — inicio-contrato", "Início do contrato antes de 1940",
          "A data início contrato tem de ser igual ou posterior a 1940-01-01 ({valor}).", _C),
    Regra("DQ-CTR-04", "error", "gx", SOAP + " — fim-contrato", "Fim do contrato depois de 2999",
          "A data fim contrato tem de ser igual ou anterior a 2999-12-31 ({valor}).", _C),
    Regra("DQ-CTR-05", "error", "gx", SOAP + " — profissao (CPP)", "Profissão inválida",
          "Profissão inválida: {valor!r} (código CPP de 5 dígitos).", _C),
    Regra("DQ-CTR-06", "error", "gx", SOAP + " — remuneracao-base", "Remuneração base não positiva",
          "O valor da remuneração base tem de ser superior a zero ({valor}).", _C),
    Regra("DQ-CTR-07", "error", "gx", SOAP + " — diuturnidades", "Diuturnidades não positivas",
          "O valor das diuturnidades tem de ser superior a zero ({valor}); deixe vazio se não há diuturnidades.", _C),
    Regra("DQ-CTR-08", "error", "gx", SOAP + " — percentagem-trabalho", "Percentagem fora de ]0, 100]",
          "O valor da percentagem de trabalho tem de ser superior a zero e inferior ou igual a 100 ({valor}).", _C),
    Regra("DQ-CTR-09", "error", "gx", SOAP + " — horas-trabalho / dias-trabalho", "Horas ou dias não positivos",
          "O valor de {coluna} tem de ser superior a zero ({valor}).", _C),
    # ----------------------------------------------------------------------------------- cross-row (pandas)
    Regra("DQ-NISS-02", "error", "pandas", "DOMAIN.md §4 (dígito de controlo do NISS)", "NISS com dígito de controlo errado",
          "{detalhe}: o NISS não existe; corrija-o na ficha do trabalhador.", _NISS),
    Regra("DQ-PER-02", "error", "pandas", "DOMAIN.md §4 (períodos dentro do mês); " + PSI, "Período fora do mês",
          "Período {valor} fora do ano/mês de referência {ano_mes}.", _PERIODOS),
    Regra("DQ-PER-03", "error", "pandas", "DOMAIN.md §4; " + PSI, "Período termina antes de começar",
          "Período {valor}: a data de fim é anterior à data de início.", _PERIODOS),
    Regra("DQ-DIAS-02", "error", "pandas", DR + " Art. 16.º n.º 2 e Art. 70.º n.º 1 e 5", "Mais de 30 dias no mês",
          "O trabalhador tem {dias} dias de trabalho no mês (linhas de natureza P de períodos sucessivos somadas; "
          "contratos simultâneos contam uma vez); o máximo é 30.", _R),
    Regra("DQ-DIAS-03", "error", "pandas", DR + " Art. 16.º n.º 2; DOMAIN.md §4", "Trabalho + inatividade > 30 dias",
          "Dias de trabalho ({dias}) + dias de inatividade ({inatividade}) = {total} > 30.", _R + _I),
    Regra("DQ-DIAS-04", "error", "pandas", DR + " Art. 16.º n.º 5 e Art. 70.º n.º 8", "Dias de trabalho à hora errados",
          "{horas} horas correspondem a {esperado} dias (um dia por cada 5 horas iniciadas, máx. 30); a linha tem {valor}.",
          _R),
    Regra("DQ-P-01", "error", "pandas", DR + " Art. 20.º n.º 5", "Remuneração permanente incoerente com o contrato",
          "Remuneração permanente {valor} ≠ (remuneração base {base} + diuturnidades {diut}) / 30 × {dias} dias = "
          "{esperado}.", _R),
    Regra("DQ-VAL-02", "error", "pandas", "DOMAIN.md §4 (duas casas decimais); " + SOAP + " — NUMBER(12,2)",
          "Montante com mais de duas casas decimais",
          "Montante {valor} em {coluna} tem mais de duas casas decimais (NUMBER(12,2)). Se o ponto separa milhares "
          "(1.500 = mil e quinhentos), escreva 1500 ou 1.500,00, ou indique csv: {{decimal: \",\"}} no mapeamento.",
          _C + _R + _X),
    Regra("DQ-CTR-20", "error", "pandas", SOAP + " — vínculo; " + PSI + " (alerta SEM_VINCULO)",
          "Remuneração sem contrato válido no mês",
          "Linha de natureza {natureza} ({valor}) sem contrato em vigor nesse período para este trabalhador.", _R),
    Regra("DQ-CTR-21", "error", "pandas", SOAP + " — inicio-contrato / fim-contrato vs vínculo",
          "Contrato fora do vínculo", "{detalhe}", _C),
    Regra("DQ-TRAB-02", "error", "pandas", FORMATO, "Trabalhador desconhecido",
          "O NISS {niss} aparece em {ficheiro} mas não em trabalhadores (sem enquadramento conhecido).", _C + _R + _I + _X),
    Regra("DQ-TRAB-03", "error", "pandas", SOAP + "; " + FORMATO, "Trabalhador sem contrato",
          "O trabalhador {niss} não tem nenhuma linha em contratos.", _T),
    Regra("DQ-TRAB-04", "warning", "pandas", DR + " Art. 20.º n.º 2", "Trabalhador sem remunerações",
          "O trabalhador {niss} não tem linhas de remuneração neste mês.", _T),
    Regra("DQ-DUP-01", "error", "pandas", FORMATO, "Linha repetida",
          "Linha igual à linha {primeira} (contaria duas vezes).", _TODOS),
    Regra("DQ-DUP-02", "error", "pandas", FORMATO, "Trabalhador repetido",
          "O NISS {niss} aparece mais de uma vez em trabalhadores (linhas {linhas}).", _T),
    Regra("DQ-DUP-03", "error", "pandas", SOAP + " — inicio-contrato", "Dois contratos com o mesmo início",
          "Dois contratos do trabalhador começam em {valor} (linhas {linhas}).", _C),
    Regra("DQ-DUP-04", "warning", "pandas", PSI, "Remuneração repetida com valores diferentes",
          "Natureza {natureza} declarada mais de uma vez para o mesmo período (linhas {linhas}).", _R),
    Regra("DQ-CTR-41", "error", "pandas", SOAP + " — dias-trabalho: \"Número de dias mensais de trabalho\" (anuais só "
          "no intermitente a tempo completo)", "Dias de trabalho acima de um mês",
          "dias_trabalho {valor} não cabe num mês (máx. 31): são dias MENSAIS (anuais só na modalidade {modalidade} "
          "se intermitente a tempo completo).", _C),
    Regra("DQ-CTR-42", "warning", "pandas", SOAP + " — dias-trabalho mensais e horas-trabalho semanais; Código do "
          "Trabalho art. 203.º (período normal de trabalho)", "Dias de trabalho parecem semanais",
          "dias_trabalho {valor} com {horas} horas semanais dá {horas_dia} horas por dia de trabalho: dias_trabalho são "
          "dias MENSAIS (ex.: 4 dias por semana ≈ 17 por mês).", _C),
    Regra("DQ-INA-02", "error", "pandas", DR + " Art. 16.º n.º 2 e Art. 20.º n.º 5 (dias de inatividade no mês)",
          "Inatividades sobrepostas",
          "A inatividade {valor} sobrepõe-se à da linha {outra}: os dias comuns contariam duas vezes. Junte-as ou "
          "corrija as datas (qual o motivo desses dias?).", _I),
    Regra("DQ-RED-01", "error", "pandas", "ciclo/data/reducoes.yaml (Decreto-Lei 72/2017)", "Redução desconhecida",
          "Redução {valor!r} desconhecida no mês (ver ciclo/data/reducoes.yaml: PRIMEIRO_EMPREGO, ...).", _T),
    Regra("DQ-ENQ-02", "error", "pandas", DR + " Art. 13.º-A n.º 2 (a nova taxa aplica-se no mês seguinte)",
          "Mudança de enquadramento no mês sem o anterior",
          "O enquadramento mudou em {valor} (dentro do mês): a taxa nova só se aplica no mês seguinte; indique um "
          "enquadramento_anterior conhecido (está {anterior!r}).", _T),
    Regra("DQ-NAT-02", "warning", "pandas", DR + " Art. 20.º n.º 4 (honorários: Código art. 130.º)",
          "Honorários fora desta declaração",
          "Honorários (natureza H, {valor}) não entram na declaração de remunerações: são declarados de forma autónoma "
          "pela entidade beneficiária na Segurança Social Direta. A linha não é enviada nem conta para os totais.", _R),
    Regra("DQ-ISE-01", "error", "pandas", "ISS, Guia Prático da Declaração de Remunerações (declara-se a remuneração "
          "sujeita); Código dos Regimes Contributivos art. 46.º n.º 2; CIRS art. 2.º n.º 3 b) 2)",
          "Parte sujeita a contribuições indeterminável",
          "{detalhe}. Indique {coluna} na exportação (R: pagamento_refeicao D/C ou valor_sujeito; A e D: valor_sujeito — "
          "ver docs/payroll-export.md, remuneracoes).", _R),
    Regra("DQ-ISE-02", "error", "pandas", "Código dos Regimes Contributivos art. 46.º n.º 2; ciclo/data/limites.yaml",
          "Parte sujeita da folha incoerente", "{detalhe}.", _R),
    Regra("DQ-ISE-03", "error", "pandas", "ciclo/data/limites.yaml (limites legais datados, com fonte)",
          "Sem limites legais para o mês", "{detalhe}.", _R),
    Regra("DQ-ISE-04", "warning", "pandas", "Decreto-Lei 57-B/84 (o valor é fixado por portaria, em vigor até à "
          "seguinte); ciclo/data/limites.yaml (confirmado_ate)",
          "Limites do subsídio de refeição não confirmados para o mês", "{detalhe}.", _R),
    Regra("DQ-CONTRIB-01", "warning", "pandas", "DOMAIN.md §5; ciclo/data/taxas.yaml",
          "Contribuições da folha diferem da tabela de taxas",
          "{coluna} {valor} ≠ {esperado} ({taxa}% de {base}).", _X),
    # ----------------------------------------------------------------------------------- contract fields
    Regra("DQ-CTR-30", "error", "contrato", SOAP + " — campos obrigatórios", "Campo obrigatório do contrato em falta",
          "{detalhe}.", _C),
    Regra("DQ-CTR-31", "error", "contrato", SOAP + " — fim-contrato (termo certo)", "Termo certo sem data de fim",
          "Data fim contrato não identificada (obrigatória na modalidade {modalidade}, a termo certo).", _C),
    Regra("DQ-CTR-32", "error", "contrato", SOAP + " — motivo-contrato", "Motivo de contrato em falta",
          "Motivo de contrato não identificado (obrigatório na modalidade {modalidade}, a termo).", _C),
    Regra("DQ-CTR-33", "error", "contrato", SOAP + " — motivo-contrato (anexo 3.1.3)", "Motivo inválido para a modalidade",
          "Motivo de contrato inválido: {valor!r} não é válido na modalidade {modalidade}.", _C),
    Regra("DQ-CTR-34", "error", "contrato", SOAP + " — percentagem/horas/dias-trabalho (tempo parcial)",
          "Tempo parcial sem percentagem, horas ou dias", "{detalhe} (obrigatório na modalidade {modalidade}, tempo parcial).",
          _C),
    Regra("DQ-CTR-35", "error", "contrato", SOAP + " — prestacao-trabalho (anexo 3.1.4)",
          "Prestação de trabalho incompatível com a modalidade",
          "Prestação trabalho inválida para a modalidade de contrato identificada ({valor} com {modalidade}; T/A só "
          "com AB, BB, EB, FB, GB, HB).", _C),
    Regra("DQ-CTR-36", "error", "contrato", SOAP + " — niss-trabalhador-substituir", "Trabalhador a substituir",
          "{detalhe}.", _C),
    Regra("DQ-CTR-37", "error", "contrato", SOAP + " — inicio-contrato", "Início do contrato mais de 30 dias no futuro",
          "A data início contrato não pode exceder em 30 dias a data atual ({valor}).", _C),
    Regra("DQ-CTR-38", "error", "contrato", SOAP + " — fim-contrato", "Fim do contrato antes do início",
          "A data fim contrato tem de ser igual ou posterior à data início contrato ({valor}).", _C),
    Regra("DQ-CTR-39", "error", "contrato", SOAP + " — horas/dias-trabalho (intermitente)",
          "Intermitente sem horas nem dias", "Para a modalidade de contrato sem termo, tempo completo, intermitente é "
          "necessário indicar as horas de trabalho ou os dias de trabalho anuais.", _C),
    Regra("DQ-CTR-40", "error", "contrato", SOAP + " — tipos NUMBER(p,2)", "Valor fora do formato do serviço",
          "{detalhe}: {valor} não cabe no formato do serviço (NUMBER(p,2)).", _C),
)

REGRAS: dict[str, Regra] = {r.id: r for r in _LISTA}
assert len(REGRAS) == len(_LISTA), "duplicate rule id"


def por_camada(camada: str) -> list[Regra]:
    return [r for r in _LISTA if r.camada == camada]
