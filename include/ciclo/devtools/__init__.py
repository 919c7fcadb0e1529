"""Local stand-ins used by the demo and the tests (no Airflow imports)."""
