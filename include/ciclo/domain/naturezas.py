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


def natureza_valida(codigo: object) -> bool:
    return str(codigo) in NATUREZAS
