"""The request body built worker by worker (``app.envio.corpo_validado``) is byte for byte the body built whole, and
its hash the hash of the whole canonical form: the hash is the idempotency key of every submission already in a
ledger, so a different byte would make a sent month look unsent."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from ciclo.app.envio import canonical_trabalhadores, corpo_validado, payload_hash
from ciclo.domain import jsonexato
from ciclo.payroll import load_payroll, to_valores_remuneracao
from ciclo.psi.models import ValoresRemuneracao
from ciclo_dev.generate import generate


def _inteiro(payroll) -> tuple[str, str]:
    """The body as it was built before (whole model, whole dump, whole canonical copy)."""
    payload = ValoresRemuneracao.model_validate(to_valores_remuneracao(payroll)).model_dump(exclude_none=True)
    canon = {"anoMes": str(payload["anoMes"]), "trabalhadores": canonical_trabalhadores(payload["trabalhadores"])}
    return jsonexato.dumps(payload), hashlib.sha256(jsonexato.dumps(canon).encode()).hexdigest()


@pytest.mark.parametrize("seed,fmt", [(11, "csv"), (12, "csv-pt"), (13, "xlsx")])
def test_o_mesmo_corpo_e_o_mesmo_hash(tmp_path, seed, fmt):
    g = generate(tmp_path, workers=40, ano_mes="202506", seed=seed, format=fmt)
    ee, pasta = next(iter(g.pastas.items()))
    payroll = load_payroll(pasta, "202506", ee)
    texto, h = corpo_validado(payroll)
    assert (texto, h) == _inteiro(payroll)
    assert payload_hash(jsonexato.loads(texto)) == h  # what sending recomputes from the stored text
    assert len(jsonexato.loads(texto)["trabalhadores"]) > 20


def test_hash_independente_da_ordem_e_igual_ao_canonico_inteiro():
    def trab(niss, valor, nat="R"):
        return {"nissTrabalhador": niss, "remuneracoes": [
            {"dataInicio": "2025-06-01", "dataFim": "2025-06-30", "natureza": nat, "remuneracao": Decimal(valor),
             "diasTrabalho": 30}], "inatividades": []}

    a = {"anoMes": "202506", "trabalhadores": [trab("12345678901", "10.5"), trab("10987654321", "7.00"),
                                               trab("12345678901", "3.00", "F")]}
    b = {"anoMes": "202506", "trabalhadores": list(reversed(a["trabalhadores"]))}
    canon = {"anoMes": "202506", "trabalhadores": canonical_trabalhadores(a["trabalhadores"])}
    assert payload_hash(a) == hashlib.sha256(jsonexato.dumps(canon).encode()).hexdigest()
    # the same worker twice keeps its lines in the order given (a stable sort), as the whole canonical form does
    canon_b = {"anoMes": "202506", "trabalhadores": canonical_trabalhadores(b["trabalhadores"])}
    assert payload_hash(b) == hashlib.sha256(jsonexato.dumps(canon_b).encode()).hexdigest()
    assert payload_hash({**a, "anoMes": "202507"}) != payload_hash(a)


def test_um_trabalhador_invalido_e_nomeado(tmp_path, monkeypatch):
    g = generate(tmp_path, workers=5, ano_mes="202506", seed=3)
    ee, pasta = next(iter(g.pastas.items()))
    payroll = load_payroll(pasta, "202506", ee)
    import ciclo.payroll as mod

    real = mod.to_valores_remuneracao

    trabs = real(payroll)["trabalhadores"]
    i = next(i for i, t in enumerate(trabs) if i and t["remuneracoes"])

    def estragado(p):
        corpo = real(p)
        corpo["trabalhadores"][i]["remuneracoes"][0]["remuneracao"] = Decimal("-1.00")
        return corpo

    monkeypatch.setattr(mod, "to_valores_remuneracao", estragado)
    niss = trabs[i]["nissTrabalhador"]
    with pytest.raises(ValueError, match=rf"trabalhadores\[{i}\] \(NISS {niss}\)(.|\n)*greater than or equal to 0"):
        corpo_validado(payroll)
