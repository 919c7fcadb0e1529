"""The Segurança Social's contract data checked before sending (issue #14, item 3) and asked before any resend of a
contract change (issue #11), through the application layer against the sandbox on loopback."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ciclo.app import contratos, contratos_ss, decisao, envio, folha, obtencao, revisao
from ciclo.app.erros import Repetivel
from ciclo.domain.contrato_trabalho import ContratoTrabalho
from ciclo.psi import errors as E
from ciclo_dev.divergencias import plantar_comunicacao, plantar_divergencia
from ciclo_dev.drill import MES, Ambiente, esperar_apurado

ALTERAR = "alterarContratoTrabalho"


def _posts(sandbox, path: str) -> int:
    return len(sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": path}))


@pytest.fixture
def amb(sandbox, tmp_path):
    from ciclo_dev.cenario import preparar

    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 0.3, "emissao_delay_seconds": 0.2})
    cen = preparar(tmp_path / "cen", sandbox.url, ano_mes=MES, employers=1, workers=20, seed=41)
    return Ambiente(sandbox, SimpleNamespace(port=0), tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}",
                    cen.employers[0])


def _alvo(p, ex) -> tuple[str, Decimal]:
    """A monthly worker (modality A) with one contract version, in force before the month."""
    payroll = folha.carregar_snapshot(ex, p, p.ledger.folhas.ultima(ex.niss_ee, ex.mes)["content_hash"])
    rows = payroll.contratos.to_dict("records")
    n = {}
    for r in rows:
        n[r["niss_trabalhador"]] = n.get(r["niss_trabalhador"], 0) + 1
    for r in rows:
        c = ContratoTrabalho.de_campos(r)
        if (n[c.niss_trabalhador] == 1 and c.modalidade_contrato == "A" and c.horas_trabalho is None
                and c.inicio_contrato < ex.ano_mes.primeiro_dia):
            return c.niss_trabalhador, c.remuneracao_base
    raise AssertionError("the generated payroll has no monthly worker with one contract")


def _mes_ate_reconciliar(ex, p) -> list[dict]:
    """The rest of the month as the DAG runs it: the payroll's own contract changes, the values, the apuramento,
    the valores apurados and the reconciliation. Returns the differences."""
    contratos.comunicar_contratos(ex, p)
    envio.enviar_valores(ex, p)
    esperar_apurado(ex, p)
    obtencao.obter_todos(ex, p)
    decisao.reconciliar(ex, p)
    return p.ledger.reconciliacoes.diferencas(ex.niss_ee, ex.mes)


def test_a_base_salary_that_differs_at_the_ss_is_caught_before_sending_and_fixed_by_a_contract_change(sandbox, amb):
    ex, p = amb.execucao(), amb.portas()
    try:
        folha.preparar_folha(ex, p)
        niss_t, base = _alvo(p, ex)
        antiga = base - Decimal("75.00")
        plantar_divergencia(sandbox.url, ex.niss_ee, niss_t, remuneracao_base=antiga)

        [prop] = contratos_ss.propostas(ex, p)
        assert prop.tipo == "CONTRATO" and prop.chave == f"CONTRATO:{niss_t}"
        assert f"remuneração base: a Segurança Social tem {antiga} €, a folha {base} €" in prop.descricao
        assert f"alterarContratoTrabalho) com início em {ex.ano_mes.primeiro_dia.isoformat()}" in prop.descricao
        assert prop.dados["diferencas"] == [{"campo": "remuneracao_base", "ss": str(antiga), "folha": str(base)}]
        # caught before anything was sent: no values, no contract change yet; the check is in the ledger
        assert _posts(sandbox, "valores-remuneracao") == 0 and _posts(sandbox, ALTERAR) == 0
        v = p.ledger.verificacoes_contratos.ultima(ex.niss_ee, ex.mes)
        assert v["n_divergencias"] == 1 and v["divergencias"][0]["niss_trabalhador"] == niss_t
        assert v["n_trabalhadores"] >= 15
        servicos = {a["servico"] for a in p.ledger.auditoria.linhas(ex.niss_ee, ex.mes)}
        assert {"getDadosContratos", "obterComunicacoes"} <= servicos

        r = contratos_ss.aplicar(ex, p, prop)
        assert r["enviados"] == 1 and _posts(sandbox, ALTERAR) == 1
        again = contratos_ss.aplicar(ex, p, prop)  # exactly once: an approved proposal applied twice
        assert again["enviados"] == 0 and _posts(sandbox, ALTERAR) == 1
        assert contratos_ss.propostas(ex, p) == []  # the SS now holds what the payroll says

        difs = _mes_ate_reconciliar(ex, p)
        assert [d for d in difs if d["niss_trabalhador"] == niss_t] == []
    finally:
        p.fechar()


def test_without_the_fix_the_reconciliation_shows_the_difference(sandbox, amb):
    """The control of the test above: the planted disagreement does reach the apuramento when left alone."""
    ex, p = amb.execucao(), amb.portas()
    try:
        folha.preparar_folha(ex, p)
        niss_t, base = _alvo(p, ex)
        plantar_divergencia(sandbox.url, ex.niss_ee, niss_t, remuneracao_base=base - Decimal("75.00"))
        difs = _mes_ate_reconciliar(ex, p)
        assert any(d["niss_trabalhador"] == niss_t for d in difs)
    finally:
        p.fechar()


def test_modality_hours_and_pending_communications_are_reported(sandbox, amb):
    ex, p = amb.execucao(), amb.portas()
    try:
        folha.preparar_folha(ex, p)
        niss_t, _ = _alvo(p, ex)
        plantar_divergencia(sandbox.url, ex.niss_ee, niss_t, modalidade_contrato="B", percentagem_trabalho="50",
                            horas_trabalho="20", dias_trabalho="10", diuturnidades="25.00")
        plantar_comunicacao(sandbox.url, ex.niss_ee, niss_t, rejeitada=True, motivo="RAOT",
                            dataComunicacao="2026-10-03")
        [prop] = contratos_ss.propostas(ex, p)
        campos = [d["campo"] for d in prop.dados["diferencas"]]
        assert campos == ["diuturnidades", "modalidade_contrato", "percentagem_trabalho", "horas_trabalho",
                          "dias_trabalho"]
        assert "modalidade: a Segurança Social tem B, a folha A" in prop.descricao
        assert [x.chave for x in revisao.recolher(ex, p)] == [prop.chave]  # the review finds it through the provider
        [com] = contratos_ss.comunicacoes_pendentes(ex, p)
        assert com["niss_trabalhador"] == niss_t and com["estado"] == "não aceite" and com["motivo"] == "RAOT"
    finally:
        p.fechar()


def test_the_lotes_are_asked_concurrently_with_the_same_findings_and_a_failed_query_raises(sandbox, amb, monkeypatch):
    """Lotes of 3 workers (≈ 7 lotes), 4 at once: the same proposal and counts as one lote after the other, each
    lote asked once per service; one query failing is never "nothing there"."""
    ex, p = amb.execucao(), amb.portas()
    posts = lambda: len(sandbox.admin("GET", "requests", params={"method": "POST"}))  # noqa: E731
    try:
        folha.preparar_folha(ex, p)
        niss_t, base = _alvo(p, ex)
        plantar_divergencia(sandbox.url, ex.niss_ee, niss_t, remuneracao_base=base - Decimal("75.00"))
        monkeypatch.setattr(contratos_ss, "LOTE_TRABALHADORES", 3)
        monkeypatch.setattr(contratos_ss, "CONCORRENCIA_CONSULTAS", 1)
        antes = posts()
        um_a_um = contratos_ss.verificar(ex, p)
        pedidos_um_a_um = posts() - antes
        monkeypatch.setattr(contratos_ss, "CONCORRENCIA_CONSULTAS", 4)
        import threading

        fios, real = set(), contratos_ss._consultar
        monkeypatch.setattr(contratos_ss, "_consultar",
                            lambda *a: fios.add(threading.current_thread().name) or real(*a))
        antes = posts()
        juntos = contratos_ss.verificar(ex, p)
        assert len(fios) > 1 and all(f.startswith("consultaContratos") for f in fios)  # asked side by side
        assert juntos.n_trabalhadores == um_a_um.n_trabalhadores >= 15
        assert [x.chave for x in juntos.propostas] == [x.chave for x in um_a_um.propostas] == [f"CONTRATO:{niss_t}"]
        assert juntos.divergencias == um_a_um.divergencias and juntos.sem_contrato_ss == um_a_um.sem_contrato_ss
        lotes = -(-um_a_um.n_trabalhadores // 3)
        assert posts() - antes == pedidos_um_a_um >= 2 * lotes

        sandbox.admin("PUT", "faults", json={"method": "POST", "path": "contratos", "mode": "error", "status": 503,
                                             "times": 1})
        with pytest.raises(E.PsiError):
            contratos_ss.verificar(ex, p)
    finally:
        sandbox.admin("DELETE", "faults")
        p.fechar()


# ------------------------------------------------------------------------------------------ #11: ask before resending
def _alteracao(niss_t: str, base: str) -> ContratoTrabalho:
    return ContratoTrabalho.de_campos({"niss_trabalhador": niss_t, "modalidade_contrato": "A",
                                       "prestacao_trabalho": "P", "inicio_contrato": "2026-10-01",
                                       "profissao": "41101", "remuneracao_base": base})


@pytest.fixture
def exemplo(sandbox, tmp_path, ledger_url):
    """The sandbox's example employer (worker 10000000001, a contract since 2022-06-06) and a ledger (SQLite, and
    PostgreSQL when the suite started one)."""
    amb = Ambiente(sandbox, SimpleNamespace(port=0), tmp_path, ledger_url,
                   {"niss_ee": "20000003116", "nome": "Exemplo", "conn_id": "psi_x", "payroll_location": "file:///x"})
    ex, p = amb.execucao(), amb.portas()
    yield ex, p
    p.fechar()


def _linha_enviada(p, ex, c: ContratoTrabalho) -> dict:
    row = p.ledger.contratos.inserir(ex.niss_ee, c.niss_trabalhador, ex.mes, c.inicio_contrato, c.hash, c.campos())
    p.ledger.contratos.atualizar(row["id"], estado="SENT")  # a crash right after the POST
    return row


def test_a_sent_change_the_ss_already_holds_is_not_sent_again(sandbox, exemplo):
    ex, p = exemplo
    c = _alteracao("10000000001", "1700.00")
    with p.psi(ex.employer).get_soap_client() as soap:  # the earlier attempt reached the SS
        soap.alterar_contrato(c)
    row = _linha_enviada(p, ex, c)
    antes = _posts(sandbox, ALTERAR)
    r = contratos.comunicar_alteracoes(ex, p, [c])
    assert r.ja_aplicados == ["10000000001"] and r.enviados == []
    assert _posts(sandbox, ALTERAR) == antes  # 0 alterarContratoTrabalho POSTs
    assert p.ledger.contratos.por_hash(ex.niss_ee, "10000000001", c.hash)["estado"] == "ACKNOWLEDGED"
    assert row["id"] == p.ledger.contratos.por_hash(ex.niss_ee, "10000000001", c.hash)["id"]
    assert _posts(sandbox, "/ws/contrato/v1/contratos") == 2  # asked: pesquisaContratos + getDadosContratos


def test_a_lost_answer_is_resolved_by_asking_the_ss_one_post_in_all(sandbox, exemplo):
    ex, p = exemplo
    c = _alteracao("10000000001", "1750.00")
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": ALTERAR, "mode": "lost_ack", "times": 1})
    with pytest.raises(E.PsiError):
        contratos.comunicar_alteracoes(ex, p, [c])
    assert p.ledger.contratos.por_hash(ex.niss_ee, "10000000001", c.hash)["estado"] == "UNKNOWN"
    r = contratos.comunicar_alteracoes(ex, p, [c])
    assert r.ja_aplicados == ["10000000001"] and _posts(sandbox, ALTERAR) == 1


def test_a_sent_change_the_ss_does_not_hold_is_sent_once(sandbox, exemplo):
    ex, p = exemplo
    c = _alteracao("10000000001", "1800.00")
    _linha_enviada(p, ex, c)  # the crash happened before the POST left
    r = contratos.comunicar_alteracoes(ex, p, [c])
    assert r.enviados == ["10000000001"] and _posts(sandbox, ALTERAR) == 1


def test_a_sent_change_still_being_processed_at_the_ss_waits(sandbox, exemplo):
    ex, p = exemplo
    c = _alteracao("10000000001", "1800.00")
    _linha_enviada(p, ex, c)
    plantar_comunicacao(sandbox.url, ex.niss_ee, "10000000001", inicioContrato="2026-10-01")
    with pytest.raises(Repetivel, match="still being processed"):
        contratos.comunicar_alteracoes(ex, p, [c])
    assert _posts(sandbox, ALTERAR) == 0


def test_a_failed_query_sends_nothing(sandbox, exemplo):
    ex, p = exemplo
    c = _alteracao("10000000001", "1800.00")
    _linha_enviada(p, ex, c)
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "/ws/contrato/v1/contratos", "mode": "error",
                                         "status": 503})
    with pytest.raises(E.PsiRetryableError):
        contratos.comunicar_alteracoes(ex, p, [c])
    assert _posts(sandbox, ALTERAR) == 0


def test_several_changes_go_out_concurrently_each_once(sandbox, exemplo):
    ex, p = exemplo
    sandbox.admin("POST", "seed", json={"entidades": [{"niss": ex.niss_ee, "password": "sandbox", "trabalhadores": [
        {"niss-trabalhador": n, "enquadramento": "REGIME_GERAL", "inicio-vinculo": "2020-01-01",
         "modalidade-contrato": "A", "prestacao-trabalho": "P", "inicio-contrato": "2020-01-01", "profissao": "41101",
         "remuneracao-base": "1000.00"} for n in TRABS]}]})
    cs = [_alteracao(n, "1100.00") for n in TRABS]
    r = contratos.comunicar_alteracoes(ex, p, cs)
    assert sorted(r.enviados) == sorted(TRABS) and _posts(sandbox, ALTERAR) == len(TRABS)
    assert contratos.comunicar_alteracoes(ex, p, cs).enviados == [] and _posts(sandbox, ALTERAR) == len(TRABS)
    assert date(2026, 10, 1) == cs[0].inicio_contrato


def _trabs() -> list[str]:
    from ciclo.domain.niss import completar

    return [completar(f"1300000{i:03d}") for i in range(1, 7)]


TRABS = _trabs()
