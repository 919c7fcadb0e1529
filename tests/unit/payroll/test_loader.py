"""Loading: Portuguese formats, encodings, XLSX, a foreign export through a mapping, and bad files as violations."""

from __future__ import annotations

import shutil
from decimal import Decimal
from datetime import date

import pytest

from ciclo.payroll import PayrollLoadError, load_payroll
from ciclo_dev.generate import generate

ANO_MES = "202509"
T_CAB = "niss_trabalhador,nome,enquadramento\n"
C_CAB = ("niss_trabalhador,modalidade_contrato,inicio_contrato,fim_contrato,profissao,remuneracao_base,"
         "motivo_contrato,inicio_vinculo\n")
R_CAB = "niss_trabalhador,natureza,data_inicio,data_fim,valor,dias\n"


def _pasta(tmp_path, **ficheiros: bytes | str):
    """A minimal valid export (one worker, NISS 12345678910), files overridden by keyword (None: absent)."""
    base = {
        "trabalhadores.csv": T_CAB + "12345678910,Ana Simões,REGIME_GERAL\n",
        "contratos.csv": C_CAB + "12345678910,A,2020-01-01,,41101,1600.00,,2020-01-01\n",
        "remuneracoes.csv": R_CAB + "12345678910,P,2025-09-01,2025-09-30,1600.00,30\n"
                                    "12345678910,R,2025-09-01,2025-09-30,132.00,22\n",
    }
    base.update(ficheiros)
    pasta = tmp_path / "20000003116" / ANO_MES
    pasta.mkdir(parents=True)
    for nome, conteudo in base.items():
        if conteudo is None:
            continue
        (pasta / nome).write_bytes(conteudo if isinstance(conteudo, bytes) else conteudo.encode("utf-8"))
    return pasta


def _regras(p):
    return [v.rule_id for v in p.load_issues]


def test_export_minimo_sem_problemas(tmp_path):
    p = load_payroll(_pasta(tmp_path), ANO_MES, "20000003116")
    assert p.load_issues == []
    assert p.remuneracoes["valor"].tolist() == [Decimal("1600.00"), Decimal("132.00")]
    assert p.remuneracoes["data_inicio"].iloc[0] == date(2025, 9, 1)
    assert p.remuneracoes["_linha"].tolist() == [2, 3] and p.remuneracoes["_ficheiro"].iloc[0] == "remuneracoes.csv"
    assert len(p.inatividades) == 0 and len(p.contribuicoes) == 0
    assert len(p.content_hash) == 64
    assert load_payroll(p.localizacao, ANO_MES, "20000003116").content_hash == p.content_hash


def test_file_url(tmp_path):
    pasta = _pasta(tmp_path)
    p = load_payroll(pasta.as_uri(), ANO_MES, "20000003116")
    assert len(p.trabalhadores) == 1 and p.load_issues == []


def test_formato_portugues_cp1252_ponto_e_virgula_virgula_decimal(tmp_path):
    t = "niss_trabalhador;nome;enquadramento\r\n12345678910;João Conceição;Regime geral\r\n"
    r = ("niss_trabalhador;natureza;data_inicio;data_fim;valor;dias\r\n"
         "12345678910;P;01/09/2025;30/09/2025;1.234,56;30\r\n12345678910;S;01/09/2025;30/09/2025;1.000;0\r\n")
    pasta = _pasta(tmp_path, **{"trabalhadores.csv": t.encode("cp1252"), "remuneracoes.csv": r.encode("cp1252")})
    p = load_payroll(pasta, ANO_MES, "20000003116")
    assert p.load_issues == []
    assert p.trabalhadores["nome"].iloc[0] == "João Conceição"
    assert p.remuneracoes["valor"].tolist() == [Decimal("1234.56"), Decimal("1000")]  # 1.000 is a thousand here
    assert p.remuneracoes["data_fim"].iloc[0] == date(2025, 9, 30)


def test_utf8_com_bom(tmp_path):
    pasta = _pasta(tmp_path, **{"trabalhadores.csv": b"\xef\xbb\xbf" + (T_CAB + "12345678910,Inês,REGIME_GERAL\n").encode()})
    p = load_payroll(pasta, ANO_MES, "20000003116")
    assert p.load_issues == [] and p.trabalhadores["nome"].iloc[0] == "Inês"


def test_codificacao_errada(tmp_path):
    pasta = _pasta(tmp_path, **{"trabalhadores.csv": (T_CAB + "12345678910,Inês,REGIME_GERAL\n").encode("utf-16-le")})
    p = load_payroll(pasta, ANO_MES, "20000003116")
    v = p.load_issues[0]
    assert v.rule_id == "DQ-FICH-04" and v.ficheiro == "trabalhadores.csv" and "UTF-8" in v.mensagem


@pytest.mark.parametrize("conteudo,regra", [("", "DQ-FICH-02"), ("\n\n", "DQ-FICH-02"), (R_CAB, "DQ-FICH-03")])
def test_vazio_e_so_cabecalho(tmp_path, conteudo, regra):
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": conteudo}), ANO_MES, "20000003116")
    assert _regras(p) == [regra]
    assert p.load_issues[0].ficheiro == "remuneracoes.csv"


def test_coluna_renomeada_sugere_mapeamento(tmp_path):
    r = R_CAB.replace("valor", "valor_eur") + "12345678910,P,2025-09-01,2025-09-30,1600.00,30\n"
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, "20000003116")
    falta = next(v for v in p.load_issues if v.rule_id == "DQ-FICH-05")
    assert falta.coluna == "valor" and "'valor_eur'" in falta.mensagem and "colunas: {remuneracoes: {valor:" in falta.mensagem
    assert "DQ-FICH-06" in _regras(p)
    assert p.colunas_em_falta == {"remuneracoes": {"valor"}}


def test_coluna_extra_e_aviso(tmp_path):
    r = R_CAB.strip() + ",observacoes\n12345678910,P,2025-09-01,2025-09-30,1600.00,30,nada\n"
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, "20000003116")
    assert [(v.rule_id, v.severity, v.valor) for v in p.load_issues] == [("DQ-FICH-06", "warning", "observacoes")]


def test_montantes_e_datas_invalidos_com_linha(tmp_path):
    r = R_CAB + ("12345678910,P,2025-09-01,2025-09-30,abc,30\n"
                 "12345678910,R,2025-09-31,2025-09-30,-5.00,22\n"
                 "12345678910,S,2025-09-01,2025-09-30,10.00,dez\n")
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, "20000003116")
    got = {(v.rule_id, v.linha, v.coluna, v.valor) for v in p.load_issues}
    assert got == {("DQ-FMT-01", 2, "valor", "abc"), ("DQ-FMT-02", 3, "data_inicio", "2025-09-31"),
                   ("DQ-FMT-03", 4, "dias", "dez")}
    # a negative amount parses; the GX rule DQ-VAL-01 reports it
    from ciclo.quality import check_payroll

    res = check_payroll(p, hoje=date(2025, 10, 5))
    neg = res.violations[res.violations["rule_id"] == "DQ-VAL-01"]
    assert neg["linha"].tolist() == [3]


def test_linhas_em_branco_e_campos_a_mais(tmp_path):
    r = R_CAB + "12345678910,P,2025-09-01,2025-09-30,1600.00,30\n\n12345678910,R,2025-09-01,2025-09-30,1,2,3\n\n\n"
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, "20000003116")
    assert {(v.rule_id, v.linha) for v in p.load_issues} == {("DQ-FICH-08", 3), ("DQ-FICH-07", 4)}
    assert len(p.remuneracoes) == 2


def test_linha_repetida(tmp_path):
    r = R_CAB + "12345678910,R,2025-09-01,2025-09-30,132.00,22\n" * 2
    from ciclo.quality import check_payroll

    res = check_payroll(load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, "20000003116"),
                        hoje=date(2025, 10, 5))
    dup = res.violations[res.violations["rule_id"] == "DQ-DUP-01"]
    assert dup["linha"].tolist() == [3] and "linha 2" in dup["mensagem"].iloc[0]


def test_sem_ficheiro_de_contratos(tmp_path):
    p = load_payroll(_pasta(tmp_path, **{"contratos.csv": None}), ANO_MES, "20000003116")
    v = p.load_issues[0]
    assert v.rule_id == "DQ-FICH-01" and "contratos.csv" in v.mensagem


def test_ficheiro_de_outro_mes(tmp_path):
    r = R_CAB + "12345678910,P,2025-08-01,2025-08-31,1600.00,30\n"
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, "20000003116")
    v = next(v for v in p.load_issues if v.rule_id == "DQ-FICH-09")
    assert "202508" in v.mensagem and v.ficheiro == "remuneracoes.csv"


def test_pasta_ilegivel_levanta_erro_claro(tmp_path):
    with pytest.raises(PayrollLoadError, match="does not exist"):
        load_payroll(tmp_path / "nao-existe", ANO_MES, "20000003116")
    f = tmp_path / "ficheiro"
    f.write_text("x")
    with pytest.raises(PayrollLoadError, match="not a folder"):
        load_payroll(f, ANO_MES, "20000003116")


def test_xlsx_e_csv_pt_dao_os_mesmos_dados_que_csv(tmp_path):
    dados = {}
    for fmt in ("csv", "csv-pt", "xlsx"):
        g = generate(tmp_path / fmt, workers=15, ano_mes=ANO_MES, seed=5, format=fmt)
        ee, pasta = next(iter(g.pastas.items()))
        p = load_payroll(pasta, ANO_MES, ee)
        assert p.load_issues == [], (fmt, p.load_issues)
        dados[fmt] = p
    for tipo in ("trabalhadores", "contratos", "remuneracoes", "inatividades", "contribuicoes"):
        ref = dados["csv"].frame(tipo).drop(columns=["_ficheiro"])
        for fmt in ("csv-pt", "xlsx"):
            assert dados[fmt].frame(tipo).drop(columns=["_ficheiro"]).equals(ref), (fmt, tipo)


def test_mapeamento_de_export_estrangeiro(tmp_path):
    """Another payroll system: its own file names, headers, natureza codes and a constant column."""
    pasta = tmp_path / "ee" / ANO_MES
    pasta.mkdir(parents=True)
    (pasta / "Funcionarios.csv").write_bytes("NumSS;Nome;Regime\r\n12345678910;Ana Simões;RG\r\n".encode("cp1252"))
    (pasta / "Contratos.csv").write_text(
        "NumSS;Tipo;Inicio;Fim;CPP;Base;Motivo;Admissao\n12345678910;A;2020-01-01;;41101;1.600,00;;2020-01-01\n",
        encoding="utf-8")
    (pasta / "Abonos.csv").write_text(
        "NumSS;Codigo;De;Ate;Montante;Dias\n12345678910;VENC;01-09-2025;30-09-2025;1.600,00;30\n"
        "12345678910;SREF;01-09-2025;30-09-2025;132,00;22\n", encoding="utf-8")
    mapa = tmp_path / "mapa.yaml"
    mapa.write_text("""
ficheiros: {trabalhadores: Funcionarios.csv, contratos: Contratos.csv, remuneracoes: Abonos.csv}
csv: {separador: ";", decimal: ","}
colunas:
  trabalhadores: {niss_trabalhador: NumSS, nome: Nome, enquadramento: Regime}
  contratos: {niss_trabalhador: NumSS, modalidade_contrato: Tipo, inicio_contrato: Inicio, fim_contrato: Fim,
              profissao: CPP, remuneracao_base: Base, motivo_contrato: Motivo, inicio_vinculo: Admissao}
  remuneracoes: {niss_trabalhador: NumSS, natureza: Codigo, data_inicio: De, data_fim: Ate, valor: Montante, dias: Dias}
valores:
  trabalhadores: {enquadramento: {RG: REGIME_GERAL}}
  remuneracoes: {natureza: {VENC: P, SREF: R}}
constantes:
  contratos: {prestacao_trabalho: P}
  remuneracoes: {pagamento_refeicao: C}   # this employer pays the meal allowance by card
""", encoding="utf-8")
    p = load_payroll(pasta, ANO_MES, "20000003116", mapping=mapa)
    assert p.load_issues == []
    assert p.trabalhadores["enquadramento"].tolist() == ["REGIME_GERAL"]
    assert p.remuneracoes["natureza"].tolist() == ["P", "R"]
    assert p.remuneracoes["valor"].tolist() == [Decimal("1600.00"), Decimal("132.00")]
    assert p.contratos["prestacao_trabalho"].tolist() == ["P"]
    from ciclo.quality import check_payroll

    res = check_payroll(p, hoje=date(2025, 10, 5))
    # only the NISS of the spec's example EE fails (check digit), nothing about the mapping
    assert set(res.counts_by_rule) == {"DQ-NISS-02"}


def test_mapeamento_invalido_diz_o_que(tmp_path):
    mapa = tmp_path / "m.yaml"
    mapa.write_text("colunas: {remuneracoes: {montante: Valor}}\n", encoding="utf-8")
    with pytest.raises(PayrollLoadError, match="remuneracoes.montante"):
        load_payroll(_pasta(tmp_path), ANO_MES, "20000003116", mapping=mapa)


def test_equal_texts_of_a_csv_share_one_object(tmp_path):
    """Memory: a natureza, a NISS or an enquadramento repeated down a CSV is one string object, not one per field."""
    g = generate(tmp_path, workers=40, ano_mes=ANO_MES, seed=9)
    ee, pasta = next(iter(g.pastas.items()))
    p = load_payroll(pasta, ANO_MES, ee)
    for frame, coluna in ((p.remuneracoes, "natureza"), (p.remuneracoes, "niss_trabalhador"),
                          (p.trabalhadores, "enquadramento")):
        valores = frame[coluna].dropna()
        assert len(valores) > valores.nunique()  # repeated texts, so sharing is there to see
        assert valores.map(id).nunique() == valores.nunique(), coluna


def test_some_kinds_parsed_the_whole_export_hashed(tmp_path):
    """``tipos``: the contract steps parse the workers and contracts only; the hash is still the whole export's,
    and a kind not parsed is None and said so, never an empty frame that reads as "no remuneration lines"."""
    g = generate(tmp_path, workers=30, ano_mes=ANO_MES, seed=4)
    ee, pasta = next(iter(g.pastas.items()))
    todo = load_payroll(pasta, ANO_MES, ee)
    parte = load_payroll(pasta, ANO_MES, ee, tipos=("trabalhadores", "contratos"))
    assert parte.content_hash == todo.content_hash and parte.ficheiros == todo.ficheiros
    assert parte.carregados == {"trabalhadores", "contratos"} and todo.carregados == set(todo.ficheiros)
    assert parte.contratos.equals(todo.contratos) and parte.trabalhadores.equals(todo.trabalhadores)
    assert len(todo.remuneracoes) > 0 and parte.remuneracoes is None and parte.contribuicoes is None
    with pytest.raises(ValueError, match="without its remuneracoes"):
        parte.frame("remuneracoes")
    # a changed file the step does not parse still changes the hash: the snapshot check covers the whole export
    (pasta / "remuneracoes.csv").write_bytes((pasta / "remuneracoes.csv").read_bytes() + b"\n")
    assert load_payroll(pasta, ANO_MES, ee, tipos=("contratos",)).content_hash != todo.content_hash
    with pytest.raises(ValueError, match="unknown payroll file kind"):
        load_payroll(pasta, ANO_MES, ee, tipos=("contrato",))
