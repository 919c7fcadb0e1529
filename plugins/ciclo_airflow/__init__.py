"""Airflow adapters for the contribution cycle (the cycle itself is ``ciclo.app``, which imports no Airflow).

* ``resultado`` — builds the ports from Connections, runs a step, maps its outcome (skip / fail / retry);
* ``ledger_hook`` — where the ledger lives (a Connection or an explicit setting, never a guess);
* ``sensors`` / ``triggers`` — the deferrable apuramento wait;
* ``aprovacao`` — the operator's approval (HITL, declared);
* ``notifiers`` — failure and deadline notifications for operators.

Airflow puts ``plugins/`` on ``sys.path`` for the scheduler, workers and triggerer, so these import as
``ciclo_airflow.*``; the PSI hook is ``plugins/psi_hook.py``.
"""
