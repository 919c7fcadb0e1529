"""A lote's small exports are checked together (``checks.Contexto`` over several payrolls): each employer must get
exactly the violations it gets when checked alone — none of another employer's, none lost, in the same order."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from ciclo.domain.niss import motivo_invalido
from ciclo.quality import check_payroll, check_payrolls, checks, runner
from tests.unit.quality.conftest import ANO_MES, HOJE, REGRAS_LINHA


@pytest.fixture(scope="module")
def lote(tmp_path_factory):
    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate

    base = tmp_path_factory.mktemp("juntos")
    plantado = generate(base / "p", workers=150, ano_mes=ANO_MES, seed=7, anomalies={r: 1 for r in REGRAS_LINHA})
    limpos = generate(base / "l", employers=3, workers=40, ano_mes=ANO_MES, seed=11)
    sem_coluna = [generate(base / f"f{s}", workers=12, ano_mes=ANO_MES, seed=s, anomalies={"DQ-FICH-05": 1})
                  for s in (3, 4)]
    payrolls = []
    for g in (plantado, limpos, *sem_coluna):
        payrolls += [load_payroll(pasta, ANO_MES, ee) for ee, pasta in g.pastas.items()]
    # a clean export with one more line, of a worker that only another member of the group has (a worker unknown
    # to this employer and without a contract here, however well known next door)
    (ee_a, pasta_a), (_, pasta_b) = list(limpos.pastas.items())[:2]
    estranho = base / "estranho"
    shutil.copytree(pasta_a, estranho)
    linha_b = (pasta_b / "remuneracoes.csv").read_text(encoding="utf-8").splitlines()[1]
    with open(estranho / "remuneracoes.csv", "a", encoding="utf-8") as f:
        f.write(linha_b + "\n")
    payrolls.append(load_payroll(estranho, ANO_MES, ee_a))
    # the planted export again under another employer: the same workers' NISS in two members of one group, which
    # must not be duplicates of each other, nor known to each other
    ee_p, pasta_p = next(iter(plantado.pastas.items()))
    outro = list(limpos.pastas)[-1]
    payrolls.append(load_payroll(pasta_p, ANO_MES, outro))
    # and an employer whose own NISS is wrong (DQ-NISS-02 on niss_ee, a finding on no line)
    errado = next(n for n in (f"2{k:09d}1" for k in range(100, 200)) if motivo_invalido(n))
    payrolls.append(load_payroll(pasta_p, ANO_MES, errado))
    return payrolls


def _tamanhos_dos_grupos(monkeypatch) -> list[int]:
    """The number of payrolls of every ``checks.Contexto`` built from now on (one per group checked together)."""
    tamanhos: list[int] = []
    original = checks.Contexto.__init__

    def espia(self, membros, ref, hoje):
        original(self, membros, ref, hoje)
        tamanhos.append(len(self.membros))

    monkeypatch.setattr(checks.Contexto, "__init__", espia)
    return tamanhos


def _iguais(juntos, sozinhos):
    assert len(juntos) == len(sozinhos)
    for a, b in zip(juntos, sozinhos):
        assert (a.niss_ee, a.ano_mes, a.content_hash, a.linhas) == (b.niss_ee, b.ano_mes, b.content_hash, b.linhas)
        pd.testing.assert_frame_equal(a.violations, b.violations)


def test_cada_empregador_o_mesmo_que_sozinho(lote, monkeypatch):
    tamanhos = _tamanhos_dos_grupos(monkeypatch)
    juntos = check_payrolls(lote, hoje=HOJE)
    assert max(tamanhos) >= 5 and len(tamanhos) < len(lote)  # really checked together, in more than one group
    monkeypatch.undo()
    sozinhos = [check_payroll(p, hoje=HOJE) for p in lote]
    _iguais(juntos, sozinhos)
    # what the comparison covers: the planted rules found, the copy the same as its original, the wrong EE NISS
    plantado, copia, errado = juntos[0], juntos[-2], juntos[-1]
    assert len(plantado.counts_by_rule) >= len(REGRAS_LINHA) - 3
    assert copia.counts_by_rule == plantado.counts_by_rule
    assert errado.counts_by_rule["DQ-NISS-02"] == plantado.counts_by_rule.get("DQ-NISS-02", 0) + 1
    assert any(r.counts_by_rule.get("DQ-FICH-05") for r in juntos)
    estranho = juntos[-3]
    assert estranho.counts_by_rule == {"DQ-TRAB-02": 1, "DQ-CTR-20": 1}, estranho.counts_by_rule


def test_uma_folha_grande_fica_sozinha(lote, monkeypatch):
    """Above ``JUNTAR_ATE_LINHAS`` an export is checked alone, with the same results."""
    monkeypatch.setattr(runner, "JUNTAR_ATE_LINHAS", 100)
    tamanhos = _tamanhos_dos_grupos(monkeypatch)
    juntos = check_payrolls(lote, hoje=HOJE)
    monkeypatch.undo()
    assert tamanhos.count(1) >= 3  # the planted export, its copy and the wrong-NISS one are alone
    _iguais(juntos, [check_payroll(p, hoje=HOJE) for p in lote])


def test_assinaturas_diferentes_nao_se_juntam(lote):
    with pytest.raises(ValueError, match="same month, files and missing columns"):
        checks.Contexto([lote[0], lote[5]], None, HOJE)
