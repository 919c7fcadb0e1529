# Two commands matter: `make demo` (the main job on embedded defaults) and `make test` (the whole suite).
SHELL := /bin/bash
PY_SYS ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
UV := $(shell command -v uv 2>/dev/null)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup test unit sandbox demo airflow airflow-celery bench bench-cycle drill clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
ifdef UV
	test -x $(PY) || uv venv $(VENV) --python $(PY_SYS) -q
	uv pip install --python $(PY) -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	uv pip install --python $(PY) -q --no-deps -e .
else
	test -x $(PY) || $(PY_SYS) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e . || $(PY) -m pip install -q --no-deps -e .
endif
	# bytecode for every installed module, once: this environment sets PYTHONDONTWRITEBYTECODE, so without it every
	# process (each Airflow task, the sandbox, each test subprocess) compiled Airflow, GX, scipy... again (≈5 s each)
	$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import site; print(site.getsitepackages()[0])')" > /dev/null
	# development tooling (devtools/ciclo_dev) on the venv's path only: the production image does not ship it
	$(PY) -c 'import site,sys; open(site.getsitepackages()[0]+"/ciclo_dev.pth","w").write(sys.argv[1]+"\n")' $(CURDIR)/devtools
	touch $(STAMP)

# The whole suite. Services a test needs (the PSI sandbox, an SMTP server, PostgreSQL) are started by the
# tests' own fixtures or by scripts/test-services.sh, and stopped afterwards.
test: setup
	bash scripts/run-tests.sh

unit: setup
	$(PY) -m pytest -q tests/unit

# The PSI sandbox on http://127.0.0.1:8765 with its state in var/sandbox.sqlite3
sandbox: setup
	mkdir -p var
	$(PY) -m ciclo.sandbox --host 127.0.0.1 --port 8765 --state var/sandbox.sqlite3

demo: setup
	$(PY) scripts/demo.py

# The Airflow UI on embedded defaults (airflow standalone on SQLite + the sandbox + an SMTP catcher); prints URL and login
airflow: setup
	$(PY) scripts/airflow_local.py

# The fault drill (docs/RELIABILITY.md): each case on SQLite and PostgreSQL; one line per case, then a JSON line.
drill: setup
	bash scripts/drill.sh $(DRILL_ARGS)

# The production deployment (CeleryExecutor, two workers, PostgreSQL, Redis) on loopback without Docker, configured
# from deploy/ciclo.env like docker-compose.yaml; prints URL and login. See docs/OPERATIONS.md.
airflow-celery: setup
	$(PY) scripts/airflow_celery.py

bench: setup
	$(PY) bench/sandbox_throughput.py

# The whole cycle through the real DAG (dag.test()) against the sandbox; last line JSON. e.g.
# make bench-cycle CYCLE_ARGS="--employers 200 --workers 20 --latency-ms 20"  (add --scheduler for airflow standalone)
CYCLE_ARGS ?= --employers 1 --workers 10000 --latency-ms 20
bench-cycle: setup
	$(PY) bench/cycle.py $(CYCLE_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
