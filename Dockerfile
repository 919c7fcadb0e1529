# The Airflow image for production-like use (docker-compose.yaml): the pinned Airflow plus this project's
# dependencies (requirements.txt, constrained by constraints.txt) and the `ciclo` package.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt constraints.txt pyproject.toml /opt/ciclo/
COPY --chown=airflow:root include /opt/ciclo/include
COPY --chown=airflow:root expectations /opt/ciclo/expectations
RUN pip install --no-cache-dir -r /opt/ciclo/requirements.txt -c /opt/ciclo/constraints.txt \
 && pip install --no-cache-dir --no-deps -e /opt/ciclo
ENV CICLO_SQL_DIR=/opt/airflow/include/sql \
    CICLO_EXPECTATIONS_DIR=/opt/airflow/expectations
