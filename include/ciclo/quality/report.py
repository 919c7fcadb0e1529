"""The data-quality report a person reads: ``quality-report.html`` (Jinja2, autoescaped) and
``quality-violations.csv`` (every violation; ``;``-separated UTF-8 with BOM so Excel in Portugal opens it as is)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import jinja2

from ciclo.domain.regras import REGRAS
from ciclo.domain.violacao import COLUNAS

MAX_LINHAS_HTML = 5000

_TEMPLATE = """<!doctype html>
<html lang="pt"><head><meta charset="utf-8">
<title>Qualidade da folha {{ r.niss_ee }} {{ r.ano_mes }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222} table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f3f3f3} .error{color:#a00;font-weight:600} .warning{color:#a60} .ok{color:#070;font-weight:600}
.num{text-align:right} code{font-size:.95em}
</style></head><body>
<h1>Qualidade da folha de remunerações — EE {{ r.niss_ee }}, {{ r.ano_mes }}</h1>
{% if r.ok %}<p class="ok">Sem erros: o envio à Segurança Social pode prosseguir.</p>
{% else %}<p class="error">{{ r.n_erros }} erro(s) bloqueiam o envio: nada foi enviado à Segurança Social.
Corrija a exportação da folha nas linhas indicadas e volte a executar.</p>{% endif %}
<p>{{ r.n_avisos }} aviso(s). {{ r.linhas }} linhas verificadas. Ficheiros:
{% for tipo, nome in r.ficheiros.items() %}<code>{{ nome or ("(" ~ tipo ~ " em falta)") }}</code>{% if not loop.last %}, {% endif %}{% endfor %}.
Impressão digital dos ficheiros (sha256): <code>{{ r.content_hash[:16] }}</code></p>
<h2>Regras violadas</h2>
{% if contagens %}<table><tr><th>Regra</th><th>Gravidade</th><th>Descrição</th><th class="num">Violações</th><th>Fonte</th></tr>
{% for rid, n in contagens %}{% set g = regras[rid] %}<tr><td><a href="#{{ rid }}">{{ rid }}</a></td>
<td class="{{ g.severidade }}">{{ "erro" if g.severidade == "error" else "aviso" }}</td><td>{{ g.titulo }}</td>
<td class="num">{{ n }}</td><td>{{ g.fonte }}</td></tr>
{% endfor %}</table>{% else %}<p>Nenhuma.</p>{% endif %}
<h2>Violações{% if truncado %} (primeiras {{ linhas|length }} de {{ total }}; todas em quality-violations.csv){% endif %}</h2>
{% if linhas %}<table><tr><th>Regra</th><th>Gravidade</th><th>Ficheiro</th><th class="num">Linha</th><th>NISS</th><th>Coluna</th><th>Valor</th><th>O que corrigir</th></tr>
{% for v in linhas %}<tr id="{{ v.rule_id if loop.first or linhas[loop.index0 - 1].rule_id != v.rule_id else '' }}">
<td>{{ v.rule_id }}</td><td class="{{ v.severity }}">{{ "erro" if v.severity == "error" else "aviso" }}</td>
<td>{{ v.ficheiro or "(pasta)" }}</td><td class="num">{{ v.linha if v.linha is not none else "" }}</td>
<td>{{ v.niss or "" }}</td><td>{{ v.coluna or "" }}</td><td><code>{{ v.valor if v.valor is not none else "" }}</code></td>
<td>{{ v.mensagem }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>Todas as regras verificadas</h2>
<table><tr><th>Regra</th><th>Gravidade</th><th>Descrição</th><th>Fonte</th></tr>
{% for g in regras.values() %}<tr><td>{{ g.id }}</td><td class="{{ g.severidade }}">{{ "erro" if g.severidade == "error" else "aviso" }}</td>
<td>{{ g.titulo }}</td><td>{{ g.fonte }}</td></tr>{% endfor %}</table>
</body></html>
"""


@functools.cache
def _modelo() -> jinja2.Template:
    """The report's template, compiled once per process."""
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(_TEMPLATE)


def render_html(result) -> str:
    v = result.violations
    por_regra = v.sort_values("rule_id", kind="stable") if len(v) else v
    linhas = por_regra.head(MAX_LINHAS_HTML).to_dict("records")
    cont = result.counts_by_rule
    contagens = sorted(cont.items(), key=lambda kv: (REGRAS[kv[0]].severidade != "error", -kv[1]))
    return _modelo().render(r=result, regras=REGRAS, contagens=contagens, linhas=linhas,
                                               total=len(v), truncado=len(v) > MAX_LINHAS_HTML)


def write_report(result, outdir: str | Path) -> dict[str, Path]:
    """Write ``quality-report.html`` and ``quality-violations.csv`` into ``outdir``; returns {"html": ..., "csv": ...}."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    html = out / "quality-report.html"
    html.write_text(render_html(result), encoding="utf-8")
    p_csv = out / "quality-violations.csv"
    with p_csv.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(COLUNAS)
        for r in result.violations[list(COLUNAS)].itertuples(index=False):
            w.writerow(["" if x is None else x for x in r])
    return {"html": html, "csv": p_csv}
