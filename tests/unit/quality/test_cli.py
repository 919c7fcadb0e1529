from __future__ import annotations

from ciclo.quality.__main__ import main


def test_cli_limpo_sai_0_e_plantado_sai_1(limpo, plantado, tmp_path, capsys):
    g, _, _ = limpo
    ee = next(iter(g.pastas))
    assert main([str(g.out), "--ano-mes", "202506", "--report", str(tmp_path / "a"), "--niss-ee", ee,
                 "--hoje", "2025-07-05"]) == 0
    out = capsys.readouterr().out
    assert "PODE ENVIAR" in out and "quality-report.html" in out
    gp, _, _ = plantado
    assert main([str(next(iter(gp.pastas.values()))), "--ano-mes", "202506", "--report", str(tmp_path / "b"),
                 "--hoje", "2025-07-05"]) == 1
    assert (tmp_path / "b" / "quality-violations.csv").exists()


def test_cli_pasta_inexistente_sai_2(tmp_path, capsys):
    assert main([str(tmp_path / "nada"), "--ano-mes", "202506", "--report", str(tmp_path / "r"), "--niss-ee",
                 "20000003116"]) == 2
    assert "does not exist" in capsys.readouterr().err
