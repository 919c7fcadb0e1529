"""Test-wide set-up.

* Every test session gets an isolated Airflow home (a temp dir, no examples, this repo's dags/ and plugins/),
  set *before* anything imports Airflow. The metadata schema is created once per session, lazily, by the
  ``airflow_db`` fixture (only DAG tests pay for it).
* ``sandbox``: the PSI sandbox as a real process on a free loopback port (real HTTP), reset to its default
  seed data before each test that uses it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ciclo-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
# plugins/ is on sys.path for Airflow's own processes; make it importable for tests too.
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_db(airflow_home):
    """Create Airflow's metadata schema once per test session."""
    from airflow.utils import db

    db.resetdb()
    yield


from ciclo_dev.processo import SandboxProcess, free_port  # noqa: E402,F401


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    sb = SandboxProcess(tmp_path_factory.mktemp("sandbox") / "state.sqlite3").start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(sandbox_process):
    """The running sandbox, reset to its default seed data (faults cleared, log emptied)."""
    sandbox_process.reset()
    yield sandbox_process


pytest_plugins = ["tests.ledger_fixtures"]


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)
