"""Natureza codes of remuneration (DOMAIN.md §4; Portaria/Código Contributivo codes used by the PSI)."""

NATUREZAS: dict[str, str] = {
    "P": "Remuneração permanente",
    "R": "Subsídio de refeição",
    "B": "Prémios, bónus e outras prestações de natureza mensal",
    "O": "Prémios, bónus e outras prestações não mensais",
    "C": "Comissões",
    "D": "Compensação por cessação do contrato",
    "F": "Subsídio de férias",
    "N": "Subsídio de Natal",
    "H": "Honorários",
    "M": "Subsídios regulares mensais",
    "X": "Outros subsídios não mensais",
    "S": "Trabalho suplementar",
    "T": "Trabalho noturno",
    "A": "Ajudas de custo e abono de transporte",
    "I": "Compensação de contrato intermitente",
    "2": "Férias não gozadas por cessação do contrato",
    "6": "Diferenças de remuneração (vencimento)",
}


# Naturezas a payroll may carry but that are NOT part of the employer's monthly declaration of remunerations.
# H: "Os honorários previstos no artigo 130.º do Código são declarados de forma autónoma pela entidade beneficiária
# dos serviços, sendo a declaração efetuada através do serviço da Segurança Social Direta" (DR 1-A/2011 art. 20.º
# n.º 4, specs/decreto-regulamentar-ciclo-contributivo.txt). They are left out of the valores de remuneração and of
# the internal totals, and the quality gate tells the operator to declare them separately (DQ-NAT-02).
FORA_DA_DECLARACAO: dict[str, str] = {
    "H": "DR 1-A/2011 art. 20.º n.º 4 (honorários declarados de forma autónoma, na Segurança Social Direta)",
}


def natureza_valida(codigo: object) -> bool:
    return str(codigo) in NATUREZAS
