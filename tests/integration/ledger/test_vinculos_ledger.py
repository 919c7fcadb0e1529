"""The vínculo communications' ledger rows on a real database (SQLite, and PostgreSQL when the suite started one):
one row per (employer, worker, kind, date), PENDING before the call, a second insert of the same event keeps it."""

from datetime import date


def test_one_row_per_event_pending_first_and_kept_on_a_second_insert(ledger):
    r = ledger.vinculos
    a = r.inserir("20000003116", "10000000001", "CESSACAO", date(2026, 10, 14), "202610",
                  {"motivo_fim_vinculo": "CCCT"}, prazo=date(2026, 11, 10), fora_de_prazo=True)
    assert a["estado"] == "PENDING" and a["fora_de_prazo"] and a["prazo"] == date(2026, 11, 10)
    r.atualizar(a["id"], estado="ACKNOWLEDGED", codigo_resultado=1, tentativas=1)
    b = r.inserir("20000003116", "10000000001", "CESSACAO", date(2026, 10, 14), "202610", {})
    assert b["id"] == a["id"] and b["estado"] == "ACKNOWLEDGED" and b["tentativas"] == 1
    r.inserir("20000003116", "10000000001", "ADMISSAO", date(2026, 10, 1), "202610", {}, aprovado_por="ana")
    assert [x["tipo"] for x in r.do_mes("20000003116", "202610")] == ["CESSACAO", "ADMISSAO"]
    assert [x["aprovado_por"] for x in r.do_mes("20000003116", "202610", "ADMISSAO")] == ["ana"]
    assert r.obter("20000003116", "10000000001", "CESSACAO", date(2026, 10, 15)) is None
