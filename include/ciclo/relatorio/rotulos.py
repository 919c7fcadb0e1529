"""Human labels of the reconciliation's difference classes, and which group each falls in.

Three groups, used identically by the email, the workbook and the approval text (so their counts agree):
- ``bloqueante``: a difference with the Segurança Social beyond tolerance; it calls for the operator's decision
  before confirming (ciclo.reconciliacao's ``fora_tolerancia``);
- ``informativa``: reported, not a difference with the Segurança Social (the payroll software's own contributions
  against the rates table: ``CLASSES_INFORMATIVAS``);
- ``tolerada``: a monetary difference within the tolerance (rounding).
"""

from __future__ import annotations

from ciclo.reconciliacao import CLASSES_INFORMATIVAS, EXPLICACOES

ROTULOS = {
    "TRABALHADOR_SEM_VALORES_SS": "Trabalhador sem valores na Segurança Social",
    "TRABALHADOR_DESCONHECIDO_FOLHA": "Trabalhador com valores na Segurança Social que não está na folha",
    "NATUREZA_SO_FOLHA": "Remuneração só na folha",
    "NATUREZA_SO_SS": "Remuneração só na Segurança Social",
    "REMUNERACAO_PERMANENTE_DIFERENTE": "Remuneração permanente diferente",
    "NATUREZA_VALOR_DIFERENTE": "Remuneração com valor diferente",
    "DIAS_DIFERENTES": "Dias de trabalho diferentes",
    "TAXA_OU_ENQUADRAMENTO_DIFERENTE": "Enquadramento ou taxa diferente",
    "OBRIGACAO_DIFERENTE": "Obrigação contributiva diferente",
    "FOLHA_CONTRIBUICAO_DIFERENTE": "Contribuições do software de salários diferentes da tabela de taxas",
    "ARREDONDAMENTO": "Arredondamento",
}

GRUPOS = {
    "bloqueante": "Diferenças que exigem decisão (fora da tolerância)",
    "informativa": "Diferenças informativas (não são diferenças com a Segurança Social)",
    "tolerada": "Diferenças dentro da tolerância",
}

_SEM_ROTULO = set(EXPLICACOES) - set(ROTULOS)
if _SEM_ROTULO:  # a new class must get its label here, not reach finance as a constant name
    raise RuntimeError(f"difference classes without a human label: {sorted(_SEM_ROTULO)}")


def rotulo(classe: str) -> str:
    try:
        return ROTULOS[classe]
    except KeyError:
        raise KeyError(f"difference class {classe!r} has no human label in ciclo.relatorio.rotulos.ROTULOS") from None


def grupo(diferenca: dict) -> str:
    """``bloqueante`` | ``informativa`` | ``tolerada`` (same rule as ciclo.reconciliacao.Resultado.fora_tolerancia)."""
    if diferenca["classe"] in CLASSES_INFORMATIVAS:
        return "informativa"
    return "tolerada" if diferenca["dentro_tolerancia"] else "bloqueante"
