"""Reasons of inactivity (``motivo`` in ``inatividades``). ASSUMED codes: no public list is available;
kept here, in one place, to change in one edit when the official openapi_EEAOC.yaml is obtained."""

MOTIVOS_INATIVIDADE: dict[str, str] = {
    "DOENCA": "Doença",
    "PARENTALIDADE": "Parentalidade",
    "ACIDENTE_TRABALHO": "Acidente de trabalho ou doença profissional",
    "FALTAS_INJUSTIFICADAS": "Faltas injustificadas",
    "LICENCA_SEM_RETRIBUICAO": "Licença sem retribuição",
    "SUSPENSAO_CONTRATO": "Suspensão do contrato",
    "GREVE": "Greve",
    "OUTRO": "Outro motivo",
}
