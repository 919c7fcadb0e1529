"""Cessations and admissions through the application layer against the sandbox (real HTTP and SOAP on loopback):
a cessation is communicated once by day 10 and never again, a late one is still communicated and flagged, a lost
answer is resolved by asking the SS; a worker the SS does not know is reported before sending and admitted only
when the operator's approval is applied — after which his valores are apurados."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from ciclo.app import vinculos
from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.envio import enviar_valores
from ciclo.app.folha import preparar_folha
from ciclo.app.portas import FontePastaLocal, LigacaoDireta, Portas
from ciclo.app.revisao import Proposta, recolher
from ciclo.domain.periodo import AnoMes
from ciclo.ledger import Ledger
from ciclo.psi import errors as E
from ciclo.psi.rest import RetryPolicy

MES = "202610"
CESSAM = ("13747614349", "18569984219")   # the generated payroll (seed 1) ends these two vínculos in October
DIA_5, DIA_15 = date(2026, 11, 5), date(2026, 11, 15)


class Notificador:
    def __init__(self):
        self.avisos = []

    def notificar(self, registo: dict, assunto: str) -> None:
        self.avisos.append((registo, assunto))


def _com_motivos(pasta) -> None:
    """The payroll says why each vínculo ended (the generator leaves it out)."""
    f = pasta / "contratos.csv"
    with f.open(newline="", encoding="utf-8") as fh:
        linhas = list(csv.DictReader(fh))
    campos = list(linhas[0]) + ["motivo_fim_vinculo", "comunicacao_desemprego"]
    for ln in linhas:
        ln["motivo_fim_vinculo"] = "CCCT" if ln["fim_vinculo"] else ""
        ln["comunicacao_desemprego"] = "S" if ln["fim_vinculo"] else ""
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=campos)
        w.writeheader()
        w.writerows(linhas)


def _mundo(sandbox, tmp_path, *, sem_vinculo=()):
    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate
    from ciclo_dev.semear import seed_from_payroll

    g = generate(tmp_path / "payroll", employers=1, workers=30, ano_mes=MES, seed=1)
    [(ee, pasta)] = g.pastas.items()
    _com_motivos(pasta)
    payroll = load_payroll(str(pasta), MES, ee)
    seed = seed_from_payroll(payroll, MES, sem_vinculo=tuple(sem_vinculo))
    for t in seed["entidades"][0]["trabalhadores"]:
        t.pop("fim-vinculo", None)  # the SS does not know yet that these vínculos end
    sandbox.admin("POST", "seed", json=seed)
    d = Definicoes(home=tmp_path / "home", ledger_url=f"sqlite:///{tmp_path / 'l.sqlite3'}")
    lig = LigacaoDireta.sandbox(sandbox.url, ee, "sandbox", retry=RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1))
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=lambda e: lig, fonte=FontePastaLocal(),
               notificador=Notificador())
    ex = Execucao(Employer(ee, "Gerada", "psi_x", str(pasta.parent.parent) + "/{niss_ee}/{ano_mes}"), AnoMes.parse(MES))
    preparar_folha(ex, p)
    return ex, p, payroll


def _posts(sandbox, path):
    return sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": path})


def _fim_no_ss(sandbox, ee, niss):
    [v] = sandbox.admin("GET", "vinculos", params={"niss_ee": ee, "niss_trabalhador": niss})
    return v["fim"]


# ------------------------------------------------------------------------------------------------ cessations
def test_a_cessation_is_communicated_once_by_day_10_and_not_again_on_a_rerun(sandbox, tmp_path):
    ex, p, _ = _mundo(sandbox, tmp_path)
    assert _fim_no_ss(sandbox, ex.niss_ee, CESSAM[0]) is None
    r = vinculos.comunicar_cessacoes(ex, p, hoje=DIA_5)
    assert sorted(r.enviadas) == sorted(CESSAM) and not r.fora_de_prazo and r.aviso is None
    assert r.prazo == date(2026, 11, 10)
    assert len(_posts(sandbox, "cessarVinculoTrabalhador")) == 2     # one call per cessation
    assert _fim_no_ss(sandbox, ex.niss_ee, CESSAM[0]) is not None    # the vínculo now has its end date
    linhas = p.ledger.vinculos.do_mes(ex.niss_ee, MES, "CESSACAO")
    assert [l["estado"] for l in linhas] == ["ACKNOWLEDGED", "ACKNOWLEDGED"] and not any(l["fora_de_prazo"] for l in linhas)
    again = vinculos.comunicar_cessacoes(ex, p, hoje=DIA_5)
    assert again.enviadas == [] and sorted(again.ja_comunicadas) == sorted(CESSAM) and again.a_comunicar == 0
    assert len(_posts(sandbox, "cessarVinculoTrabalhador")) == 2     # never sent again
    assert ("cessarVinculoTrabalhador", "ok") in {(a["servico"], a["resultado"]) for a in p.ledger.auditoria.linhas(ex.niss_ee, MES)}
    assert again.as_dict()["ja_comunicadas"] and p.notificador.avisos == []
    p.fechar()


def test_a_dry_run_says_what_is_due_and_sends_nothing(sandbox, tmp_path):
    ex, p, _ = _mundo(sandbox, tmp_path)
    seco = Execucao(ex.employer, ex.ano_mes, dry_run=True)
    r = vinculos.comunicar_cessacoes(seco, p, hoje=DIA_5)
    assert r.dry_run and r.a_comunicar == 2 and r.enviadas == []
    assert _posts(sandbox, "cessarVinculoTrabalhador") == [] and p.ledger.vinculos.do_mes(ex.niss_ee, MES) == []
    p.fechar()


def test_a_late_cessation_is_still_communicated_and_flagged(sandbox, tmp_path):
    ex, p, _ = _mundo(sandbox, tmp_path)
    r = vinculos.comunicar_cessacoes(ex, p, hoje=DIA_15)
    assert sorted(r.enviadas) == sorted(CESSAM) and r.fora_de_prazo
    assert "fora de prazo" in r.aviso and "10/11/2026" in r.aviso and "Art. 8.º" in r.aviso
    assert all(l["fora_de_prazo"] for l in p.ledger.vinculos.do_mes(ex.niss_ee, MES, "CESSACAO"))
    [(registo, assunto)] = p.notificador.avisos
    assert registo["fora_de_prazo"] and "fora de prazo" in assunto
    p.fechar()


def test_a_lost_answer_is_resolved_by_asking_the_ss_never_by_resending(sandbox, tmp_path):
    ex, p, _ = _mundo(sandbox, tmp_path)
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "cessarVinculoTrabalhador", "mode": "lost_ack",
                                         "times": 1})
    with pytest.raises(E.PsiOutcomeUnknown):
        vinculos.comunicar_cessacoes(ex, p, hoje=DIA_5)
    assert [l["estado"] for l in p.ledger.vinculos.do_mes(ex.niss_ee, MES, "CESSACAO")] == ["UNKNOWN"]
    r = vinculos.comunicar_cessacoes(ex, p, hoje=DIA_5)   # the task's retry
    assert len(r.ja_no_ss) == 1 and len(r.enviadas) == 1
    assert len(_posts(sandbox, "cessarVinculoTrabalhador")) == 2   # the lost one was not sent twice
    p.fechar()


def test_a_cessation_without_its_motive_is_reported_not_guessed(sandbox, tmp_path):
    ex, p, _ = _mundo(sandbox, tmp_path)
    f = (tmp_path / "payroll" / ex.niss_ee / MES / "contratos.csv")
    f.write_text(f.read_text(encoding="utf-8").replace(",CCCT,S", ",,"), encoding="utf-8")
    preparar_folha(ex, p)
    r = vinculos.comunicar_cessacoes(ex, p, hoje=DIA_5)
    assert r.enviadas == [] and {i["niss_trabalhador"] for i in r.incompletas} == set(CESSAM)
    assert "motivo_fim_vinculo" in r.aviso and _posts(sandbox, "cessarVinculoTrabalhador") == []
    p.fechar()


# ------------------------------------------------------------------------------------------------ admissions
def _regime_geral(payroll, n):
    t = payroll.trabalhadores
    return sorted(x for x in t[t["enquadramento"] == "REGIME_GERAL"]["niss_trabalhador"] if x not in CESSAM)[:n]


def test_an_unknown_worker_is_reported_before_sending_and_admitted_only_when_applied(sandbox, tmp_path):
    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate

    g = generate(tmp_path / "x", employers=1, workers=30, ano_mes=MES, seed=1)
    [(ee, pasta)] = g.pastas.items()
    admitido, recusado = _regime_geral(load_payroll(str(pasta), MES, ee), 2)
    ex, p, _ = _mundo(sandbox, tmp_path, sem_vinculo=(admitido, recusado))

    props = vinculos.propostas(ex, p)
    assert {pr.dados["niss_trabalhador"] for pr in props} == {admitido, recusado}
    prop = next(pr for pr in props if pr.dados["niss_trabalhador"] == admitido)
    assert prop.tipo == "ADMISSAO" and prop.chave == f"ADMISSAO:{admitido}" and not prop.bloqueia_envio
    assert admitido in prop.descricao and "admissão" in prop.descricao and "antes do início do trabalho" in prop.descricao
    assert Proposta.de_dict(prop.as_dict()) == prop          # travels through XCom / the approval as JSON
    assert _posts(sandbox, "vinculos/pedido") == []          # reported, nothing sent
    assert {pr.chave for pr in recolher(ex, p) if pr.tipo == "ADMISSAO"} == {pr.chave for pr in props}

    r = vinculos.aplicar(ex, p, Proposta.de_dict(prop.as_dict()), aprovado_por="ana")
    assert r["estado"] == "COMUNICADA" and len(_posts(sandbox, "vinculos/pedido")) == 1
    assert vinculos.aplicar(ex, p, prop)["estado"] == "JA_COMUNICADA"
    assert len(_posts(sandbox, "vinculos/pedido")) == 1
    assert {pr.dados["niss_trabalhador"] for pr in vinculos.propostas(ex, p)} == {recusado}
    [linha] = p.ledger.vinculos.do_mes(ex.niss_ee, MES, "ADMISSAO")
    assert linha["estado"] == "ACKNOWLEDGED" and linha["aprovado_por"] == "ana"

    # the values are sent after the review: the admitted worker's valores are apurados, the other's are not
    enviar_valores(ex, p)
    sandbox.admin("POST", f"apuramento/{ex.niss_ee}/{MES}")
    with p.cliente(ex) as c:
        apurados = {str(o.nissTrabalhador).zfill(11) for o in c.obrigacao_trabalhadores(ex.niss_ee, MES)}
    assert admitido in apurados and recusado not in apurados
    p.fechar()


def test_an_admission_whose_answer_was_lost_is_not_sent_twice(sandbox, tmp_path):
    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate

    g = generate(tmp_path / "x", employers=1, workers=30, ano_mes=MES, seed=1)
    [(ee, pasta)] = g.pastas.items()
    [novo] = _regime_geral(load_payroll(str(pasta), MES, ee), 1)
    ex, p, _ = _mundo(sandbox, tmp_path, sem_vinculo=(novo,))
    [prop] = vinculos.propostas(ex, p)
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "vinculos/pedido", "mode": "lost_ack", "times": 1})
    r = vinculos.aplicar(ex, p, prop)       # no answer, but the SS shows him bound: recorded, not resent
    assert r["estado"] == "COMUNICADA" and len(_posts(sandbox, "vinculos/pedido")) == 1
    assert vinculos.aplicar(ex, p, prop)["estado"] == "JA_COMUNICADA" and len(_posts(sandbox, "vinculos/pedido")) == 1
    p.fechar()


def test_a_refused_admission_is_not_resent_as_is_but_is_sent_once_corrected(sandbox, tmp_path):
    from ciclo.app.erros import Definitivo
    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate

    g = generate(tmp_path / "x", employers=1, workers=30, ano_mes=MES, seed=1)
    [(ee, pasta)] = g.pastas.items()
    [novo] = _regime_geral(load_payroll(str(pasta), MES, ee), 1)
    ex, p, _ = _mundo(sandbox, tmp_path, sem_vinculo=(novo,))
    [prop] = vinculos.propostas(ex, p)
    errada = Proposta.de_dict({**prop.as_dict(), "dados": {**prop.dados, "pedido": {**prop.dados["pedido"],
                                                                                   "profissao": "123"}}})
    with pytest.raises(Definitivo, match="refused the admission"):
        vinculos.aplicar(ex, p, errada)
    with pytest.raises(Definitivo, match="was refused"):
        vinculos.aplicar(ex, p, errada)                       # the same request is not sent again
    assert len(_posts(sandbox, "vinculos/pedido")) == 1
    assert vinculos.aplicar(ex, p, prop)["estado"] == "COMUNICADA"   # the corrected one is
    assert len(_posts(sandbox, "vinculos/pedido")) == 2
    p.fechar()
