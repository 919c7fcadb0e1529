"""The portfolio page inside the Airflow UI (Airflow 3 plugin: a FastAPI app + an external view in the nav bar).

``/ciclo/carteira/?ano_mes=YYYYMM`` shows, for the month, every employer's state from the ledger (computed by
``ciclo.relatorio.carteira``) with links to its task instances in the ``contribution_cycle`` runs of that month
and to its reports. Secured by Airflow's own auth: the caller must be logged in (the UI's ``_token`` cookie or a
Bearer token) and allowed to read the DAG's runs; report files are served only from the month's report folder.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)

DAG_ID = "contribution_cycle"
PREFIXO = "/ciclo/carteira"
MESES_NA_LISTA = 12
GRUPOS_POR_EE = ("ciclo_ee.",)  # the task group the DAG expands over the employers of a run
# Report files finance gets, by suffix; nothing else is served from the report folder.
TIPOS = {".html": "text/html", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".pdf": "application/pdf", ".json": "application/json"}

app = FastAPI(title="Carteira do ciclo contributivo", docs_url=None, redoc_url=None, openapi_url=None)
_acesso = [Depends(requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=DAG_ID))]


def _ciclo_home() -> Path:
    return Path(os.environ.get("CICLO_HOME", "var")).resolve()


def _ledger():
    """The ledger the pipeline writes, found as the tasks find it (``LedgerHook``: a Connection or an explicit
    setting, never a guess)."""
    from ciclo_airflow.ledger_hook import LedgerHook

    return LedgerHook().get_conn()


def _employers() -> tuple[list[dict], str | None]:
    from ciclo.app.configuracao import ConfigError, Definicoes

    try:
        return [{"niss_ee": e.niss_ee, "nome": e.nome} for e in Definicoes.do_ambiente().employers()], None
    except ConfigError as exc:
        return [], f"Lista de entidades indisponível ({exc}); mostram-se as entidades que o ledger tem para o mês."


def _ano_mes_da_execucao(run) -> str:
    """The month a run works on: its ``ano_mes`` param, else the month before the run (as the DAG resolves it)."""
    from ciclo.domain.periodo import AnoMes

    conf = run.conf or {}
    if conf.get("ano_mes"):
        return str(AnoMes.parse(conf["ano_mes"]))
    return str(AnoMes.de_data(run.run_after.date()).anterior())


def _tarefas_por_ee(ano_mes: str) -> dict[str, list[tuple[str, str, str]]]:
    """niss_ee → [(task, state, UI href)] over the month's runs (latest run last, so its tasks win).

    The map index of an employer is its position in the list ``preparar`` returned (the DAG expands over it)."""
    import sqlalchemy as sa

    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    out: dict[str, list[tuple[str, str, str]]] = {}
    with create_session() as s:
        runs = [r for r in s.scalars(sa.select(DagRun).where(DagRun.dag_id == DAG_ID).order_by(DagRun.run_after))
                if _ano_mes_da_execucao(r) == ano_mes]
        for run in runs:
            xcom = s.scalar(sa.select(XComModel).where(
                XComModel.dag_id == DAG_ID, XComModel.run_id == run.run_id, XComModel.task_id == "preparar",
                XComModel.key == "return_value", XComModel.map_index == -1))
            lotes = XComModel.deserialize_value(xcom) if xcom is not None else []
            # each entry is a lote as XCom: {"numero", "rotulo", "execucoes": [{"employer": {"niss_ee"...}}...]};
            # the lote's position is the map index of its group's task instances
            indice = {ex["employer"]["niss_ee"]: i for i, l in enumerate(lotes or []) if isinstance(l, dict)
                      for ex in l.get("execucoes") or []}
            tis = s.scalars(sa.select(TaskInstance).where(TaskInstance.dag_id == DAG_ID,
                                                          TaskInstance.run_id == run.run_id,
                                                          TaskInstance.map_index >= 0)).all()
            # only the per-lote groups are mapped over the lotes; other mapped tasks (batches) are not
            tis = [t for t in tis if t.task_id.startswith(GRUPOS_POR_EE)]
            for ee, mi in indice.items():
                linhas = []
                for ti in sorted((t for t in tis if t.map_index == mi), key=lambda t: (t.start_date is None, t.start_date, t.task_id)):
                    href = (f"../../dags/{DAG_ID}/runs/{quote(run.run_id, safe='')}/tasks/{quote(ti.task_id, safe='')}"
                            f"/mapped/{mi}")
                    linhas.append((ti.task_id.split(".")[-1], str(ti.state or "none"), href))
                if linhas:  # a later run still queued does not hide the one that did the work
                    out[ee] = linhas
    return out


def _meses(ano_mes: str) -> list[str]:
    from ciclo.domain.periodo import AnoMes

    m = AnoMes.de_data(date.today())
    lista = []
    for _ in range(MESES_NA_LISTA):
        lista.append(str(m))
        m = m.anterior()
    return lista if ano_mes in lista else [ano_mes, *lista]


@app.get("/", response_class=HTMLResponse, dependencies=_acesso)
def pagina(user: GetUserDep, ano_mes: str | None = Query(None, pattern=r"^[0-9]{4}(0[1-9]|1[0-2])$")) -> HTMLResponse:
    from ciclo.domain.periodo import AnoMes
    from ciclo.relatorio.carteira import estado_carteira, render_carteira

    ano_mes = ano_mes or str(AnoMes.de_data(date.today()).anterior())
    employers, aviso = _employers()
    lg = _ledger()
    try:
        linhas = estado_carteira(lg, ano_mes, employers)
    finally:
        lg.dispose()
    tarefas = _tarefas_por_ee(ano_mes)
    for linha in linhas:
        linha.tarefas = tarefas.get(linha.niss_ee, [])
        pasta = _ciclo_home() / "reports" / linha.niss_ee / ano_mes
        if pasta.is_dir():
            linha.ligacoes = [(p.name, f"relatorio/{linha.niss_ee}/{ano_mes}/{quote(p.name)}")
                              for p in sorted(pasta.iterdir()) if p.is_file() and p.suffix in TIPOS]
    return HTMLResponse(render_carteira(linhas, ano_mes, meses=_meses(ano_mes), utilizador=user.get_name(), aviso=aviso))


@app.get("/relatorio/{niss_ee}/{ano_mes}/{ficheiro}", dependencies=_acesso)
def relatorio(niss_ee: str, ano_mes: str, ficheiro: str) -> FileResponse:
    if not (niss_ee.isdigit() and len(niss_ee) == 11 and ano_mes.isdigit() and len(ano_mes) == 6):
        raise HTTPException(404, "relatório não encontrado")
    pasta = (_ciclo_home() / "reports" / niss_ee / ano_mes).resolve()
    p = (pasta / ficheiro).resolve()
    if p.parent != pasta or p.suffix not in TIPOS or not p.is_file():
        raise HTTPException(404, "relatório não encontrado")
    return FileResponse(p, media_type=TIPOS[p.suffix], filename=p.name if p.suffix != ".html" else None)


class CarteiraPlugin(AirflowPlugin):
    name = "ciclo_carteira"
    fastapi_apps = [{"app": app, "url_prefix": PREFIXO, "name": "Carteira do ciclo contributivo"}]
    external_views = [{"name": "Carteira", "href": PREFIXO.lstrip("/") + "/", "destination": "nav",
                       "url_route": "carteira", "category": "browse"}]
