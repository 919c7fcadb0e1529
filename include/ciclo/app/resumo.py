"""Step 11: the run's verdict, per employer, from the ledger — judged against *this run's* payroll.

An employer is done when the payroll this run verified is what the Segurança Social holds (its payload's
submission acknowledged), the apuramento is fetched in full, the month is decided and the payment documents are
issued (or the SS said there is nothing to pay). Anything short of what the run meant to do fails the run, naming
the employer and where it stopped. Writes ``$CICLO_HOME/summary-<ano_mes>.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)

FEITOS = ("CONCLUIDO", "VERIFICADO_DRY_RUN")


@dataclass(frozen=True)
class Resumo:
    ano_mes: str
    ficheiro: str
    linhas: list[dict]

    @property
    def incompletos(self) -> list[dict]:
        return [l for l in self.linhas if l["estado"] not in FEITOS]

    def as_dict(self) -> dict:
        return {"ano_mes": self.ano_mes, "summary": self.ficheiro, "employers": self.linhas}


def linha_do_employer(ex: Execucao, p: Portas) -> dict:
    lg, ee, mes = p.ledger, ex.niss_ee, ex.mes
    snap = lg.folhas.ultima(ee, mes)
    subs = lg.submissoes.do_mes(ee, mes)
    deste = [s for s in subs if snap and s["payload_hash"] == snap["payload_hash"]]
    apur = lg.apuramentos.obter(ee, mes)
    conf = lg.decisoes.obter(ee, mes)
    pedido = lg.documentos.pedido(ee, mes, 11)
    # a closed month's correction goes through a Pedido (app.pedidos, art. 26.º), not a submission
    corr = [r for r in lg.pedidos.do_mes(ee, mes) if snap and r["payload_hash"] == snap["payload_hash"]
            and r["estado"] == "ACKNOWLEDGED"]
    docs = lg.documentos.do_mes(ee, mes)
    relatorio = p.definicoes.home / "reports" / ee / mes / "relatorio.html"
    linha = {
        "niss_ee": ee, "nome": ex.employer.nome,
        "trabalhadores": snap["n_trabalhadores"] if snap else None,
        "qualidade": None if not snap else ("ok" if snap["quality_ok"] else "bloqueado"),
        "erros_qualidade": snap["n_erros"] if snap else None,
        "avisos_qualidade": snap["n_avisos"] if snap else None,
        "relatorio_qualidade": snap["report_path"] if snap else None,
        "envio": deste[-1]["estado"] if deste else None,
        "correcao": bool(deste and deste[-1]["correcao"]) or bool(corr),
        "pedido_correcao": ({"numero": corr[-1]["numero_pedido"], "estado": corr[-1]["estado_ss"],
                             "fora_de_prazo": bool(corr[-1]["fora_de_prazo"])} if corr else None),
        "comprovativo": deste[-1]["comprovativo_entrega"] if deste else None,
        "apuramento": apur["estado"] if apur else None,
        "apurados_esperados": apur["n_trabalhadores"] if apur else None,
        "apurados_obtidos": len(lg.apurados.obtidos(ee, mes)),
        "confirmacao": f"{conf['estado']} ({conf['modo']})" if conf else None,
        "documentos_pagamento": [d["numero"] for d in docs],
        "sem_valores_a_pagar": bool(pedido and pedido["estado"] == "sem_valores"),
        "relatorio": str(relatorio) if relatorio.exists() else None,
    }
    linha["estado"] = _estado(linha, ex.dry_run)
    return linha


def _estado(l: dict, dry_run: bool) -> str:
    if l["qualidade"] is None:
        return "FOLHA_NAO_CARREGADA"
    if l["qualidade"] == "bloqueado":
        return "BLOQUEADO_QUALIDADE"
    if dry_run:
        return "VERIFICADO_DRY_RUN"
    if l["envio"] != "ACKNOWLEDGED" and l["pedido_correcao"]:
        if l["pedido_correcao"]["estado"] != "DEFERIDO":   # the SS holds this payroll once it accepts the Pedido
            return f"PEDIDO_{l['pedido_correcao']['estado'] or 'POR_ACOMPANHAR'}"
    elif l["envio"] != "ACKNOWLEDGED":
        # this run's payroll is not what the SS holds (not sent, refused, a correction not allowed, unknown)
        return f"ENVIO_{l['envio'] or 'POR_FAZER'}"
    if l["apuramento"] not in ("APURADO", "CONFIRMADO"):
        return f"APURAMENTO_{l['apuramento'] or 'POR_VERIFICAR'}"
    if l["apurados_esperados"] is not None and l["apurados_obtidos"] < l["apurados_esperados"]:
        return "OBTENCAO_INCOMPLETA"
    if not l["confirmacao"] or not l["confirmacao"].startswith("CONFIRMADO"):
        return f"CONFIRMACAO_{(l['confirmacao'] or 'POR_FAZER').split(' ')[0]}"
    if not l["documentos_pagamento"] and not l["sem_valores_a_pagar"]:
        return "DOCUMENTOS_POR_EMITIR"
    return "CONCLUIDO"


def resumir(execucoes: list[Execucao], p: Portas) -> Resumo:
    """The verdict of the run; raises ``Definitivo`` naming every employer that did not get through."""
    from ciclo.app.relatorio import email_da_execucao

    ano_mes = execucoes[0].mes
    linhas = [linha_do_employer(ex, p) for ex in execucoes]
    email = email_da_execucao(execucoes, p)
    out = p.definicoes.home / f"summary-{ano_mes}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"ano_mes": ano_mes, "employers": linhas, "email_execucao": email},
                              ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    for l in linhas:
        log.info("%s %s: %s (workers %s, envio %s, apurados %s/%s)", l["niss_ee"], ano_mes, l["estado"],
                 l["trabalhadores"], l["envio"], l["apurados_obtidos"], l["apurados_esperados"])
    r = Resumo(ano_mes, str(out), linhas)
    if r.incompletos:
        raise Definitivo(f"{len(r.incompletos)} of {len(linhas)} employer(s) did not complete {ano_mes}: "
                         + "; ".join(f"{l['niss_ee']} ({l['estado']})" for l in r.incompletos) + f". Summary: {out}")
    return r


def resumir_xcom(execucoes: list[dict] | None, p: Portas) -> Resumo:
    """``resumir`` over the run's contexts as XCom; a run whose employers could not even be resolved says so."""
    if not execucoes:
        raise Definitivo("the run's month and employers could not be resolved (see the task 'preparar'); nothing ran")
    return resumir([Execucao.de_xcom(e) for e in execucoes], p)


def resumir_lotes(lotes: list[dict] | None, p: Portas) -> Resumo:
    """``resumir`` over the run's lotes as XCom (every employer of every lote)."""
    if not lotes:
        raise Definitivo("the run's month and employers could not be resolved (see the task 'preparar'); nothing ran")
    return resumir([Execucao.de_xcom(e) for l in lotes for e in l["execucoes"]], p)
