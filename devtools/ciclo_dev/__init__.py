"""Development tooling, kept out of the production image: the payroll generator and anomaly planter, the demo
scenario, the sandbox/SMTP-catcher process helpers and the simulated operator of `make demo` and the tests.

Installed for development only (`make setup` puts this folder on the venv's path); the shipped package `ciclo`
never imports it."""
