-- The ledger lives in its own database, beside (never inside) Airflow's metadata database.
CREATE DATABASE ciclo_ledger;
