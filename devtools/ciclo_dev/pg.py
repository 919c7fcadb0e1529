"""A fresh PostgreSQL database on a server the tests or the drill started (``scripts/pg.sh``)."""

from __future__ import annotations

import uuid


def nova_base(url_servidor: str, prefixo: str = "t_") -> str:
    """Create an empty database on the server of ``url_servidor`` and return its URL."""
    import sqlalchemy as sa

    nome = prefixo + uuid.uuid4().hex[:12]
    admin = sa.create_engine(url_servidor, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {nome}")
    admin.dispose()
    return url_servidor.rsplit("/", 1)[0] + "/" + nome
