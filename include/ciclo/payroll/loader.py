"""Read a payroll export folder (one EE, one ``ano_mes``) into a ``Payroll``.

Every problem a person can fix in the export (missing or empty file, missing column, an amount or a date that does
not parse, blank or malformed lines, a file of another month) becomes a violation in ``Payroll.load_issues`` with
file and line; only a folder that cannot be read at all raises ``PayrollLoadError``.

Values are read as text and converted here: amounts with ``ciclo.domain.dinheiro.parse_montante`` into ``Decimal``
(never float), dates into ``datetime.date``, codes and NISS as stripped ``str``; an empty cell is ``None``.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from ciclo.domain.dinheiro import MontanteInvalido, parse_montante
from ciclo.domain.periodo import AnoMes, AnoMesInvalido
from ciclo.payroll.formato import EXTENSOES, FICHEIROS, META, Ficheiro
from ciclo.payroll.mapping import Mapeamento, carregar_mapeamento, normalizar_cabecalho
from ciclo.domain.violacao import Violation, violacao

_MILHARES_RE = re.compile(r"-?\d{1,3}(\.\d{3})+")  # 1.500, 12.345.678: dot-separated thousands groups only
FORMATOS_DATA = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


class PayrollLoadError(RuntimeError):
    """The payroll folder itself cannot be read (does not exist, not a folder, no permission, bad mapping)."""


@dataclass
class Payroll:
    niss_ee: str
    ano_mes: str
    trabalhadores: pd.DataFrame
    contratos: pd.DataFrame
    remuneracoes: pd.DataFrame
    inatividades: pd.DataFrame
    contribuicoes: pd.DataFrame
    load_issues: list[Violation]
    content_hash: str
    localizacao: str = ""
    ficheiros: dict[str, str | None] = field(default_factory=dict)  # kind -> file name read (None: absent)
    colunas_em_falta: dict[str, set[str]] = field(default_factory=dict)  # kind -> required columns not in the file
    carregados: frozenset[str] = frozenset(FICHEIROS)  # kinds parsed (``load_payroll(tipos=)``); the others are None

    def frame(self, tipo: str) -> pd.DataFrame:
        if tipo not in self.carregados:
            raise ValueError(f"payroll {self.niss_ee} {self.ano_mes} was loaded without its {tipo} "
                             f"(only {', '.join(sorted(self.carregados))}): load it with that kind")
        return getattr(self, tipo)

    @property
    def ano_mes_valido(self) -> bool:
        try:
            AnoMes.parse(self.ano_mes)
            return True
        except AnoMesInvalido:
            return False


# ------------------------------------------------------------------------------------------------ location


def _pasta(location: str | Path) -> Path:
    """A ``Path`` for local folders and ``file://`` URLs. Remote exports (s3://, gs://...) are read by the
    pipeline's payroll source (``ciclo.app.portas.FontePayroll``; ObjectStoragePath under Airflow) into a snapshot
    first, so the loader only ever reads local files."""
    if isinstance(location, Path):
        return location
    s = str(location)
    u = urlparse(s)
    if u.scheme in ("", "file") or (len(u.scheme) == 1 and s[1:3] in (":\\", ":/")):  # C:\ on Windows
        return Path(unquote(u.path) if u.scheme == "file" else s)
    raise PayrollLoadError(f"payroll location {location}: only local folders are read directly; remote storage is "
                           f"read through the pipeline's payroll source")


def _listar(pasta, location) -> dict[str, object]:
    try:
        if not pasta.exists():
            raise PayrollLoadError(f"payroll folder {location} does not exist (expected one folder per EE and month)")
        if not pasta.is_dir():
            raise PayrollLoadError(f"payroll location {location} is not a folder")
        return {p.name: p for p in pasta.iterdir() if not p.name.startswith((".", "~$"))}
    except PayrollLoadError:
        raise
    except Exception as exc:  # permission, network, credentials: say what and where
        raise PayrollLoadError(f"payroll folder {location} cannot be listed: {type(exc).__name__}: {exc}") from None


# ------------------------------------------------------------------------------------------------ decoding


class _Ilegivel(Exception):
    def __init__(self, regra: str, detalhe: str):
        super().__init__(detalhe)
        self.regra, self.detalhe = regra, detalhe


def _decodificar(dados: bytes, forcada: str | None) -> str:
    if forcada:
        try:
            return dados.decode(forcada).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            raise _Ilegivel("DQ-FICH-04", f"não é {forcada}: {exc}") from None
    if dados.startswith(codecs.BOM_UTF8):
        try:
            return dados[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Ilegivel("DQ-FICH-04", f"marca UTF-8 mas byte inválido na posição {exc.start}") from None
    if dados.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return dados.decode("utf-16").lstrip("\ufeff")
    if b"\x00" in dados:
        raise _Ilegivel("DQ-FICH-04", "contém bytes nulos (UTF-16 sem marca, ou ficheiro binário)")
    try:
        return dados.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return dados.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _Ilegivel("DQ-FICH-04", f"byte 0x{dados[exc.start]:02x} na posição {exc.start} não existe em Windows-1252") from None


def _separador(cabecalho: str) -> str:
    contagens = {s: cabecalho.count(s) for s in (";", ",", "\t", "|")}
    sep = max(contagens, key=contagens.get)
    return sep if contagens[sep] else ","


def _ler_csv(texto: str, m: Mapeamento) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header, [(line number, fields)], separator. Line numbers count physical lines from 1 (the header)."""
    primeira = texto.split("\n", 1)[0]
    sep = m.separador or _separador(primeira)
    leitor = csv.reader(io.StringIO(texto, newline=""), delimiter=sep)
    linhas: list[tuple[int, list[str]]] = []
    anterior = 0
    # equal texts share one object from the start (a natureza, a date, an amount repeat down a column): a
    # 50,000-worker export's ≈ 600,000 fields are then a fraction of that many strings, and the duplicates are let
    # go as each line is read instead of leaving holes all over the heap
    unicos: dict[str, str] = {}
    for campos in leitor:
        linhas.append((anterior + 1, [unicos.setdefault(c, c) for c in campos]))
        anterior = leitor.line_num
    if not linhas:
        return [], [], sep
    (_, cab), corpo = linhas[0], linhas[1:]
    return cab, corpo, sep


def _celula(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        # Excel stores numbers as binary floats; the shortest repr is the number the user typed.
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _ler_xlsx(dados: bytes, m: Mapeamento) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(dados), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        raise _Ilegivel("DQ-FICH-10", f"não é um livro XLSX válido ({type(exc).__name__})") from None
    try:
        if m.folha_xlsx:
            if m.folha_xlsx not in wb.sheetnames:
                raise _Ilegivel("DQ-FICH-10", f"folha {m.folha_xlsx!r} não existe (folhas: {', '.join(wb.sheetnames)})")
            ws = wb[m.folha_xlsx]
        else:
            ws = wb.worksheets[0]
        linhas = [(i, [_celula(v) for v in row]) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()
    if not linhas:
        return [], []
    (_, cab), corpo = linhas[0], linhas[1:]
    while cab and cab[-1] == "":  # trailing empty header cells of a formatted sheet
        cab = cab[:-1]
    n = len(cab)
    # A sheet row is as wide as the widest formatted cell: trim empty cells past the header, pad short rows.
    corpo = [(i, c[:n] if all(x == "" for x in c[n:]) else c) for i, c in corpo]
    corpo = [(i, c + [""] * (n - len(c))) for i, c in corpo]
    return cab, corpo


# ------------------------------------------------------------------------------------------------ conversion


def _datas(vals: list, formato_extra: str | None) -> tuple[list, list[int]]:
    """(dates as ``datetime.date`` or None, positions of non-empty values that are not dates). Each distinct text
    is parsed once, with ``datetime.strptime`` (any year 1..9999: contract ends up to 2999-12-31 are valid)."""
    formatos = ((formato_extra,) if formato_extra else ()) + FORMATOS_DATA
    cache: dict[str, date] = {}
    for u in dict.fromkeys(v for v in vals if v is not None):
        for fmt in formatos:
            try:
                cache[u] = datetime.strptime(u, fmt).date()
                break
            except ValueError:
                continue
    return _convertidos(vals, cache)


def _decimais(vals: list, decimal_virgula: bool | None) -> tuple[list, list[int]]:
    """(values as ``Decimal`` or None, positions of non-empty values that are not numbers). Parses each distinct
    text once."""
    cache: dict[str, Decimal] = {}
    for u in dict.fromkeys(v for v in vals if v is not None):
        try:
            cache[u] = parse_montante(u, decimal_virgula=decimal_virgula)
        except MontanteInvalido:
            pass
    return _convertidos(vals, cache)


def _convertidos(vals: list, cache: dict) -> tuple[list, list[int]]:
    valores = [None if v is None else cache.get(v) for v in vals]
    return valores, [i for i, (v, c) in enumerate(zip(vals, valores)) if v is not None and c is None]


def _decimal_virgula(colunas: dict[str, list], spec: Ficheiro, sep: str | None, m: Mapeamento) -> bool | None:
    if m.decimal in (",", "virgula", "vírgula"):
        return True
    if m.decimal in (".", "ponto"):
        return False
    if sep != ";":
        return None  # a "," separated file cannot have unquoted decimal commas; parse_montante decides per value
    valores = [str(v) for col in spec.por_tipo("montante", "numero") if col in colunas
               for v in colunas[col] if v is not None]
    if any("," in v for v in valores):
        return True
    # A ";" file is the Portuguese convention (docs/payroll-export.md). With no comma anywhere, "1.500" in a money
    # column can only be fifteen hundred: money has at most two decimals (NUMBER(12,2), DOMAIN.md §4). It is read
    # so only when every dotted value of the file is a thousands group; a file that also has dot decimals
    # ("1234.56", "37.5") keeps per-value parsing, and "1.500" there is 1.500 — three decimals, DQ-VAL-02.
    com_ponto = [v for v in valores if "." in v]
    if com_ponto and all(_MILHARES_RE.fullmatch(v) for v in com_ponto):
        return True
    return None


def _sugestao_coluna(coluna: str, desconhecidas: list[str], tipo: str) -> str:
    proximas = difflib.get_close_matches(coluna, [normalizar_cabecalho(d) for d in desconhecidas], n=1, cutoff=0.5)
    if proximas:
        orig = next(d for d in desconhecidas if normalizar_cabecalho(d) == proximas[0])
        return (f" Será a coluna {orig!r}? Se sim, indique-o no mapeamento: "
                f"colunas: {{{tipo}: {{{coluna}: {orig!r}}}}}.")
    if desconhecidas:
        return (f" Colunas do ficheiro não reconhecidas: {', '.join(map(repr, desconhecidas))}; indique a correspondência "
                f"no mapeamento (colunas: {{{tipo}: {{{coluna}: <nome no ficheiro>}}}}).")
    return " Acrescente-a à exportação."


def _vazio_df(spec: Ficheiro) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in spec.nomes + META})


# ------------------------------------------------------------------------------------------------ one file


def _carregar_ficheiro(tipo: str, nome: str, dados: bytes, m: Mapeamento, issues: list[Violation]
                       ) -> tuple[pd.DataFrame, set[str]]:
    spec = FICHEIROS[tipo]
    em_falta: set[str] = set()
    if not dados.strip():
        issues.append(violacao("DQ-FICH-02", ficheiro=nome))
        return _vazio_df(spec), em_falta
    sep = None
    try:
        if nome.lower().endswith(".xlsx") or dados[:4] == b"PK\x03\x04":
            cab, corpo = _ler_xlsx(dados, m)
        else:
            cab, corpo, sep = _ler_csv(_decodificar(dados, m.codificacao), m)
    except _Ilegivel as exc:
        issues.append(violacao(exc.regra, ficheiro=nome, detalhe=exc.detalhe))
        return _vazio_df(spec), set(c.nome for c in spec.colunas if c.obrigatoria)
    except csv.Error as exc:
        issues.append(violacao("DQ-FICH-10", ficheiro=nome, detalhe=f"CSV mal formado ({exc})"))
        return _vazio_df(spec), set(c.nome for c in spec.colunas if c.obrigatoria)

    if not cab or all(str(c).strip() == "" for c in cab):
        issues.append(violacao("DQ-FICH-02", ficheiro=nome))
        return _vazio_df(spec), em_falta

    # Header: mapping first, then canonical names (normalised, so SOAP names with '-' match too).
    por_mapa = m.cabecalho_para_canonico(tipo)
    canonicas = {normalizar_cabecalho(c): c for c in spec.nomes}
    indice: dict[str, int] = {}
    desconhecidas: list[tuple[int, str]] = []
    for i, h in enumerate(cab):
        k = normalizar_cabecalho(h)
        canon = por_mapa.get(k) or canonicas.get(k)
        if canon and canon not in indice:
            indice[canon] = i
        elif str(h).strip():
            desconhecidas.append((i, str(h).strip()))
    constantes = m.constantes.get(tipo, {})
    nomes_desc = [d for _, d in desconhecidas]
    for c in spec.colunas:
        if c.nome not in indice and c.nome not in constantes and c.obrigatoria:
            em_falta.add(c.nome)
            issues.append(violacao("DQ-FICH-05", ficheiro=nome, linha=1, coluna=c.nome,
                                   sugestao=_sugestao_coluna(c.nome, nomes_desc, tipo)))
    for _, d in desconhecidas:
        perto = difflib.get_close_matches(normalizar_cabecalho(d), list(em_falta), n=1, cutoff=0.5)
        issues.append(violacao("DQ-FICH-06", ficheiro=nome, linha=1, valor=d,
                               sugestao=f" (coluna {perto[0]} em falta?)" if perto else ""))

    # Body: drop blank lines (reported once), flag lines with the wrong number of fields.
    n_cab = len(cab)
    brancas: list[int] = []
    linhas: list[int] = []
    registos: list[list[str]] = []
    for n, campos in corpo:
        if all(str(x).strip() == "" for x in campos):
            brancas.append(n)
            continue
        if len(campos) != n_cab:
            issues.append(violacao("DQ-FICH-07", ficheiro=nome, linha=n, n=len(campos), esperado=n_cab,
                                   valor=(sep or ",").join(campos)[:120]))
            campos = (list(campos) + [""] * n_cab)[:n_cab]
        linhas.append(n)
        registos.append(campos)
    if brancas:
        issues.append(violacao("DQ-FICH-08", ficheiro=nome, linha=brancas[0], n=len(brancas), primeira=brancas[0]))
    if not registos:
        if not spec.pode_estar_vazio:
            issues.append(violacao("DQ-FICH-03", ficheiro=nome, linha=1))
        df = _vazio_df(spec)
        return df, em_falta

    # Column by column as plain lists (a pandas operation per column costs more than the whole column of a small
    # export); one object frame at the end. A text cell is stripped, an empty one is None; a mapping constant fills
    # its column; a column the file does not have is all None.
    n = len(registos)
    colunas: dict[str, list] = {}
    for c in spec.nomes:
        if c in indice:
            i = indice[c]
            colunas[c] = [None if v == "" else v for v in
                          (x.strip() if isinstance(x, str) else x for x in (r[i] for r in registos))]
        else:
            colunas[c] = [constantes[c] if c in constantes else None] * n
    registos = None
    for col, mapa in m.valores.get(tipo, {}).items():
        colunas[col] = [mapa.get(v, v) if v is not None else None for v in colunas[col]]

    # Typed conversion; a value that does not parse becomes None and a violation with its line.
    virgula = None if sep is None else _decimal_virgula(colunas, spec, sep, m)
    niss = colunas.get("niss_trabalhador") or [None] * n
    for c in spec.colunas:
        if c.nome not in indice and c.nome not in constantes:
            continue
        if c.tipo == "data":
            valores, invalidas = _datas(colunas[c.nome], m.formato_data)
            regra = "DQ-FMT-02"
        elif c.tipo in ("montante", "numero"):
            valores, invalidas = _decimais(colunas[c.nome], virgula)
            regra = "DQ-FMT-01" if c.tipo == "montante" else "DQ-FMT-03"
        else:
            continue
        for i in invalidas:
            issues.append(violacao(regra, ficheiro=nome, linha=linhas[i], niss=niss[i], coluna=c.nome,
                                   valor=colunas[c.nome][i]))
        colunas[c.nome] = valores
    df = pd.DataFrame(colunas, dtype=object)
    df["_ficheiro"] = nome
    df["_linha"] = linhas
    return df, em_falta


def _verificar_mes(tipo: str, nome: str, df: pd.DataFrame, ref: AnoMes, issues: list[Violation]) -> None:
    """A file whose periods are mostly in another month is the wrong export (one violation for the file)."""
    datas = df["data_inicio"].dropna()
    if datas.empty:
        return
    meses = datas.map(lambda d: f"{d.year:04d}{d.month:02d}")
    contagem = meses.value_counts()
    mais, n = contagem.index[0], int(contagem.iloc[0])
    if mais != str(ref) and n * 2 > len(meses):
        issues.append(violacao("DQ-FICH-09", ficheiro=nome, valor=mais, mes_ficheiro=mais, n=n, total=len(meses),
                               ano_mes=str(ref)))


# ------------------------------------------------------------------------------------------------ public


def load_payroll(location: str | Path, ano_mes: str, niss_ee: str, mapping: str | Path | dict | None = None, *,
                 tipos: Collection[str] | None = None) -> Payroll:
    """Load the export of one EE for one month from ``location`` (a folder path, ``file://`` URL or any
    ``ObjectStoragePath`` URL). See ``docs/payroll-export.md``.

    ``tipos``: parse only these kinds of file (a later step that reads the contracts of a snapshot already checked
    need not parse its remuneration lines, the largest file). Every file is still read and hashed, so
    ``content_hash`` is the whole export's; the kinds not parsed are ``None`` (``Payroll.frame`` says so), never an
    empty frame that could pass for an export without them; ``load_issues`` then covers the kinds parsed only."""
    try:
        m = carregar_mapeamento(mapping)
    except ValueError as exc:
        raise PayrollLoadError(str(exc)) from None
    carregados = frozenset(FICHEIROS) if tipos is None else frozenset(tipos)
    if carregados - set(FICHEIROS):
        raise ValueError(f"unknown payroll file kind(s): {', '.join(sorted(carregados - set(FICHEIROS)))}")
    pasta = _pasta(location)
    conteudo = _listar(pasta, location)
    issues: list[Violation] = []
    ano_mes = str(ano_mes).strip()
    try:
        ref: AnoMes | None = AnoMes.parse(ano_mes)
    except AnoMesInvalido:
        ref = None
        issues.append(violacao("DQ-PER-01", valor=ano_mes))

    por_nome_ci = {n.casefold(): n for n in conteudo}
    frames: dict[str, pd.DataFrame] = {}
    usados: dict[str, str | None] = {}
    em_falta: dict[str, set[str]] = {}
    h = hashlib.sha256()
    for tipo, spec in FICHEIROS.items():
        if tipo in m.ficheiros:
            candidatos = [por_nome_ci[m.ficheiros[tipo].casefold()]] if m.ficheiros[tipo].casefold() in por_nome_ci else []
            procurado = m.ficheiros[tipo]
        else:
            candidatos = [por_nome_ci[f"{tipo}{ext}"] for ext in EXTENSOES if f"{tipo}{ext}" in por_nome_ci]
            procurado = " ou ".join(f"{tipo}{ext}" for ext in EXTENSOES[:2])
        if not candidatos:
            usados[tipo] = None
            if spec.obrigatorio:
                issues.append(violacao("DQ-FICH-01", ficheiro=procurado, pasta=str(location), procurado=procurado,
                                       tipo=tipo))
                em_falta[tipo] = {c.nome for c in spec.colunas if c.obrigatoria}
            frames[tipo] = _vazio_df(spec) if tipo in carregados else None
            continue
        nome = candidatos[0]
        if len(candidatos) > 1:
            issues.append(violacao("DQ-FICH-11", ficheiro=nome, tipo=tipo, outros=", ".join(candidatos)))
        usados[tipo] = nome
        try:
            dados = conteudo[nome].read_bytes()
        except Exception as exc:
            issues.append(violacao("DQ-FICH-10", ficheiro=nome, detalhe=f"{type(exc).__name__}: {exc}"))
            frames[tipo] = _vazio_df(spec) if tipo in carregados else None
            em_falta[tipo] = {c.nome for c in spec.colunas if c.obrigatoria}
            continue
        h.update(f"{tipo}\0{nome}\0{len(dados)}\0".encode())
        h.update(dados)
        if tipo not in carregados:
            continue
        df, falta = _carregar_ficheiro(tipo, nome, dados, m, issues)
        if falta:
            em_falta[tipo] = falta
        if ref is not None and "data_inicio" in spec.nomes and not falta & {"data_inicio"}:
            _verificar_mes(tipo, nome, df, ref, issues)
        frames[tipo] = df.reset_index(drop=True)

    return Payroll(niss_ee=str(niss_ee).strip(), ano_mes=ano_mes, load_issues=issues, content_hash=h.hexdigest(),
                   localizacao=str(location), ficheiros=usados, colunas_em_falta=em_falta, carregados=carregados,
                   **{t: frames.get(t) for t in FICHEIROS})
