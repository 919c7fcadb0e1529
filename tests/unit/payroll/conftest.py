from tests.unit.quality.conftest import limpo  # noqa: F401  (one generated dataset per session, shared)
