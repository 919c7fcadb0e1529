"""Airflow glue for the contribution cycle: the apuramento trigger and sensor, notifiers.

Airflow puts ``plugins/`` on ``sys.path`` for the scheduler, workers and triggerer, so these import as
``ciclo_airflow.*``. The domain logic lives in the ``ciclo`` package, which imports no Airflow.
"""
