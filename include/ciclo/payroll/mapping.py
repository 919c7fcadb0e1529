"""YAML column mapping: read another payroll system's export without code changes.

Every key is optional::

    ficheiros:            # canonical file kind -> file name in the folder
      trabalhadores: Funcionarios.csv
    csv:
      separador: ";"      # default: detected from the header line
      decimal: ","        # "," or "." (default: detected per file)
      codificacao: cp1252 # default: UTF-8 (with or without BOM), else Windows-1252
      formato_data: "%d/%m/%Y"   # extra date format tried before the defaults
    folha_xlsx: Folha1    # sheet name in XLSX files (default: the first sheet)
    colunas:              # canonical column -> column header in the export
      trabalhadores: {niss_trabalhador: "N.º Seg. Social", nome: Nome}
    valores:              # value maps applied after reading (source value -> canonical code)
      remuneracoes: {natureza: {VENC: P, SREF: R}}
    constantes:           # canonical columns absent from the export, with a fixed value
      contratos: {prestacao_trabalho: P}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ciclo.payroll.formato import FICHEIROS


class MapeamentoInvalido(ValueError):
    """The mapping file is not valid (unknown file kind or column, wrong structure)."""


@dataclass(frozen=True)
class Mapeamento:
    ficheiros: dict[str, str] = field(default_factory=dict)
    separador: str | None = None
    decimal: str | None = None
    codificacao: str | None = None
    formato_data: str | None = None
    folha_xlsx: str | None = None
    colunas: dict[str, dict[str, str]] = field(default_factory=dict)
    valores: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    constantes: dict[str, dict[str, str]] = field(default_factory=dict)
    origem: str | None = None

    def cabecalho_para_canonico(self, tipo: str) -> dict[str, str]:
        """Normalised source header -> canonical column for ``tipo``."""
        return {normalizar_cabecalho(orig): canon for canon, orig in self.colunas.get(tipo, {}).items()}


def normalizar_cabecalho(texto: object) -> str:
    """Header comparison key: trimmed, case-folded, spaces/hyphens/dots as ``_`` (SOAP names map by themselves)."""
    s = str(texto or "").strip().lstrip("\ufeff").casefold()
    for ch in " -./":
        s = s.replace(ch, "_")
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


def carregar_mapeamento(origem: str | Path | dict | None) -> Mapeamento:
    """Read a mapping from a YAML file (or an already-parsed dict); ``None`` → the canonical format."""
    if origem is None:
        return Mapeamento()
    if isinstance(origem, dict):
        dados, nome = origem, "<dict>"
    else:
        p = Path(origem)
        try:
            dados = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise MapeamentoInvalido(f"mapping file {p} cannot be read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise MapeamentoInvalido(f"mapping file {p} is not valid YAML: {exc}") from None
        nome = str(p)
    if not isinstance(dados, dict):
        raise MapeamentoInvalido(f"mapping {nome}: expected a YAML mapping at top level")
    desconhecidas = set(dados) - {"ficheiros", "csv", "folha_xlsx", "colunas", "valores", "constantes"}
    if desconhecidas:
        raise MapeamentoInvalido(f"mapping {nome}: unknown key(s) {sorted(desconhecidas)}")
    for secao in ("ficheiros", "colunas", "valores", "constantes"):
        for tipo in (dados.get(secao) or {}):
            if tipo not in FICHEIROS:
                raise MapeamentoInvalido(f"mapping {nome}: {secao}.{tipo}: unknown file kind (use {sorted(FICHEIROS)})")
    for secao in ("colunas", "valores", "constantes"):
        for tipo, cols in (dados.get(secao) or {}).items():
            for col in cols or {}:
                if col not in FICHEIROS[tipo].nomes:
                    raise MapeamentoInvalido(f"mapping {nome}: {secao}.{tipo}.{col}: not a column of {tipo} "
                                             f"(columns: {', '.join(FICHEIROS[tipo].nomes)})")
    csv = dados.get("csv") or {}

    def _s(d):
        return {str(k): str(v) for k, v in (d or {}).items()}

    return Mapeamento(
        ficheiros=_s(dados.get("ficheiros")),
        separador=csv.get("separador"), decimal=csv.get("decimal"), codificacao=csv.get("codificacao"),
        formato_data=csv.get("formato_data"), folha_xlsx=dados.get("folha_xlsx"),
        colunas={t: _s(c) for t, c in (dados.get("colunas") or {}).items()},
        valores={t: {c: _s(m) for c, m in (cols or {}).items()} for t, cols in (dados.get("valores") or {}).items()},
        constantes={t: _s(c) for t, c in (dados.get("constantes") or {}).items()},
        origem=nome,
    )
