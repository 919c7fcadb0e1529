"""The payroll snapshot and the quality gate: the bytes checked are the bytes kept, and the payload sent is the
one built from them."""

from __future__ import annotations

import pytest

from ciclo.app import erros
from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.folha import carregar_snapshot, preparar_folha
from ciclo.app.portas import FontePastaLocal, Portas
from ciclo.domain import jsonexato
from ciclo.domain.periodo import AnoMes
from ciclo.ledger import Ledger

MES = "202610"


def _mundo(tmp_path, anomalies=None):
    from ciclo_dev.generate import generate

    g = generate(tmp_path / "payroll", employers=1, workers=12, ano_mes=MES, seed=5, anomalies=anomalies)
    [(ee, pasta)] = g.pastas.items()
    d = Definicoes(home=tmp_path / "home", ledger_url=f"sqlite:///{tmp_path / 'l.sqlite3'}")
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=None, fonte=FontePastaLocal())
    loc = str(pasta.parent.parent) + "/{niss_ee}/{ano_mes}"
    return Execucao(Employer(ee, "Gerada", "psi_x", loc), AnoMes.parse(MES)), p, pasta


def test_snapshot_keeps_the_exact_bytes_and_the_payload_that_passed(tmp_path):
    ex, p, pasta = _mundo(tmp_path)
    r = preparar_folha(ex, p)
    snap = p.ledger.folhas.ultima(ex.niss_ee, MES)
    assert snap["quality_ok"] and snap["content_hash"] == r.content_hash and snap["payload_hash"] == r.payload_hash
    guardados = p.ledger.folhas.ficheiros(r.content_hash)
    assert guardados == {f.name: f.read_bytes() for f in pasta.iterdir() if f.name in guardados}
    assert carregar_snapshot(ex, p, r.content_hash).content_hash == r.content_hash
    payload = jsonexato.loads(snap["payload_json"])
    assert payload["anoMes"] == MES and payload["trabalhadores"]
    assert p.ledger.reconciliacoes.n_internos(ex.niss_ee, MES) == r.trabalhadores  # totals computed once, here
    # the export changes on disk afterwards: the verified snapshot does not
    rem = pasta / "remuneracoes.csv"
    rem.write_bytes(rem.read_bytes() + b"\n")
    assert p.ledger.folhas.ficheiros(r.content_hash) == guardados
    p.fechar()


def test_a_payroll_with_errors_is_blocked_and_carries_no_payload(tmp_path):
    ex, p, _ = _mundo(tmp_path, anomalies="DQ-NISS-02:1")
    with pytest.raises(erros.BloqueadoQualidade, match="data-quality error"):
        preparar_folha(ex, p)
    snap = p.ledger.folhas.ultima(ex.niss_ee, MES)
    assert not snap["quality_ok"] and snap["payload_json"] is None and snap["report_path"].endswith(".html")
    p.fechar()


def test_an_unreadable_location_says_what_and_where(tmp_path):
    ex, p, _ = _mundo(tmp_path)
    ex = Execucao(Employer(ex.niss_ee, "x", "psi_x", f"file://{tmp_path}/nao-existe/{{ano_mes}}"), ex.ano_mes)
    with pytest.raises(erros.Definitivo, match=f"payroll folder .*nao-existe/{MES} does not exist"):
        preparar_folha(ex, p)
    p.fechar()


def test_a_lote_is_checked_together_and_each_employer_keeps_its_own_outcome(tmp_path):
    """Three employers of one lote: one clean, one with a quality error, one whose export is missing. The quality
    rules run for the lote at once; each employer gets exactly its own verdict, and only the clean one a payload."""
    from ciclo.app.folha import preparar_folhas
    from ciclo_dev.generate import generate

    g = generate(tmp_path / "payroll", employers=2, workers=12, ano_mes=MES, seed=5,
                 anomalies="DQ-NISS-02:1")   # planted in the first employer only
    (ee_mau, pasta_mau), (ee_bom, pasta_bom) = g.pastas.items()
    d = Definicoes(home=tmp_path / "home", ledger_url=f"sqlite:///{tmp_path / 'l.sqlite3'}")
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=None, fonte=FontePastaLocal())
    loc = str(pasta_bom.parent.parent) + "/{niss_ee}/{ano_mes}"
    ref = AnoMes.parse(MES)
    exs = [Execucao(Employer(ee_mau, "Má", "psi_x", loc), ref), Execucao(Employer(ee_bom, "Boa", "psi_x", loc), ref),
           Execucao(Employer("25000000000", "Sem folha", "psi_x", f"file://{tmp_path}/nao-existe/{{ano_mes}}"), ref)]
    mau, bom, sem = preparar_folhas(exs, p)
    assert isinstance(mau, erros.BloqueadoQualidade) and ee_mau in str(mau)
    assert isinstance(sem, erros.Definitivo) and "nao-existe" in str(sem)
    assert bom.erros == 0 and bom.payload_hash
    assert not p.ledger.folhas.ultima(ee_mau, MES)["quality_ok"] and p.ledger.folhas.ultima(ee_bom, MES)["quality_ok"]
    assert p.ledger.folhas.ultima("25000000000", MES) is None
    # the same verdicts as one at a time
    assert preparar_folha(exs[1], p).content_hash == bom.content_hash
    with pytest.raises(erros.BloqueadoQualidade):
        preparar_folha(exs[0], p)
    p.fechar()


def test_a_small_snapshot_is_parsed_once_per_process_and_a_large_one_is_not_kept(tmp_path, monkeypatch):
    from ciclo.app import folha

    ex, p, _ = _mundo(tmp_path)
    folha._MEMO.clear()
    r = preparar_folha(ex, p)
    lidos = []
    ler = p.ledger.folhas.ficheiros
    monkeypatch.setattr(p.ledger.folhas, "ficheiros", lambda h: lidos.append(h) or ler(h))
    kept = carregar_snapshot(ex, p, r.content_hash)          # the quality step's parse, kept for the later steps
    assert lidos == [] and kept.content_hash == r.content_hash
    folha._MEMO.clear()
    a = carregar_snapshot(ex, p, r.content_hash)
    b = carregar_snapshot(ex, p, r.content_hash)
    assert a is b and lidos == [r.content_hash]            # read from the ledger and parsed once
    folha._MEMO.clear()
    monkeypatch.setattr(folha, "MEMO_MAX_BYTES_FOLHA", 10)  # "large": parsed where needed, not kept
    c = carregar_snapshot(ex, p, r.content_hash)
    d = carregar_snapshot(ex, p, r.content_hash)
    assert c is not d and c.content_hash == d.content_hash == r.content_hash and not folha._MEMO
    # within one step that shares its payrolls (the review's providers), a large one is parsed once, and let go after
    with folha.folhas_partilhadas():
        e = carregar_snapshot(ex, p, r.content_hash)
        assert carregar_snapshot(ex, p, r.content_hash) is e and not folha._MEMO
        # another thread (another employer of the lote) has its own scope: nothing leaks across
        import threading

        noutro = []
        t = threading.Thread(target=lambda: noutro.append(carregar_snapshot(ex, p, r.content_hash)))
        t.start()
        t.join()
        assert noutro[0] is not e
    assert carregar_snapshot(ex, p, r.content_hash) is not e and not folha._MEMO
    p.fechar()


def test_the_review_parses_a_large_payroll_once(tmp_path, monkeypatch):
    from ciclo.app import folha, revisao

    ex, p, _ = _mundo(tmp_path)
    preparar_folha(ex, p)
    folha._MEMO.clear()
    monkeypatch.setattr(folha, "MEMO_MAX_BYTES_FOLHA", 10)  # every export is "large"
    cargas = []
    real = folha._carregar
    monkeypatch.setattr(folha, "_carregar", lambda *a: cargas.append(a[2:]) or real(*a))
    monkeypatch.setattr(revisao, "_provedores", lambda: [_Leitor(), _Leitor()])
    from ciclo.app import contratos_ss

    monkeypatch.setattr(contratos_ss, "comunicacoes_pendentes", lambda ex, p: [])  # no SS in this world
    revisao.rever(ex, p)
    assert cargas == [(folha.TIPOS_CONTRATOS,)] and not folha._MEMO   # once, and the contract files only
    p.fechar()


def test_the_contract_steps_parse_the_contract_files_and_a_whole_payroll_kept_serves_them(tmp_path):
    from ciclo.app import folha
    from ciclo.app.folha import TIPOS_CONTRATOS

    ex, p, _ = _mundo(tmp_path)
    folha._MEMO.clear()
    r = preparar_folha(ex, p)
    kept = carregar_snapshot(ex, p, r.content_hash)
    assert carregar_snapshot(ex, p, r.content_hash, tipos=TIPOS_CONTRATOS) is kept   # the whole one serves
    folha._MEMO.clear()
    parte = carregar_snapshot(ex, p, r.content_hash, tipos=TIPOS_CONTRATOS)
    assert parte.remuneracoes is None and len(parte.contratos) == len(kept.contratos)
    assert carregar_snapshot(ex, p, r.content_hash, tipos=TIPOS_CONTRATOS) is parte
    todo = carregar_snapshot(ex, p, r.content_hash)          # a part kept never stands for the whole
    assert todo is not parte and len(todo.remuneracoes) == len(kept.remuneracoes) > 0
    p.fechar()


class _Leitor:
    """A review provider that reads the month's snapshot, as the contract check and the vínculos do."""

    TIPO = "LEITOR"

    def propostas(self, ex, p):
        from ciclo.app.folha import TIPOS_CONTRATOS, carregar_snapshot

        carregar_snapshot(ex, p, p.ledger.folhas.ultima(ex.niss_ee, ex.mes)["content_hash"], tipos=TIPOS_CONTRATOS)
        return []


def test_the_incidence_per_natureza_is_stored_when_the_payroll_passes_and_read_by_the_report(tmp_path, monkeypatch):
    from decimal import Decimal

    from ciclo.app import folha, relatorio
    from ciclo.payroll.incidencia import bruto_isento_sujeito

    ex, p, _ = _mundo(tmp_path)
    r = preparar_folha(ex, p)
    # the same figures as computed from the payroll, per natureza, summed in Decimal
    esperado: dict[str, list] = {}
    for linha in bruto_isento_sujeito(carregar_snapshot(ex, p, r.content_hash)):
        t = esperado.setdefault(linha["natureza"], [Decimal(0)] * 3)
        for i, k in enumerate(("bruto", "isento", "sujeito")):
            t[i] += linha[k]
    guardada = p.ledger.reconciliacoes.incidencia(ex.niss_ee, MES)
    assert {g["natureza"]: [g["bruto"], g["isento"], g["sujeito"]] for g in guardada} == esperado
    assert esperado  # the generated payroll has remuneration lines
    # the report reads them from the ledger: the payroll is not parsed again
    monkeypatch.setattr(folha, "carregar_snapshot", lambda *a, **k: pytest.fail("payroll parsed by the report"))
    assert relatorio.incidencia_por_natureza(ex, p) == guardada
    # a month whose internal totals were stored before migration 0009 (none per natureza): computed, the same
    monkeypatch.undo()
    with p.ledger.reconciliacoes._begin() as c:
        c.execute(p.ledger.reconciliacoes.t["interno_incidencia"].delete())
    assert p.ledger.reconciliacoes.incidencia(ex.niss_ee, MES) is None
    assert relatorio.incidencia_por_natureza(ex, p) == guardada
    p.fechar()
