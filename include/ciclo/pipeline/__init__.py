"""The monthly cycle's steps as plain functions (no Airflow): the DAG in dags/ only wires them."""
