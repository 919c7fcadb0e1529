"""``PsiHook``: the PSI clients built from one Airflow Connection per employer or representative.

Connection fields: host = ``qualidade`` | ``producao`` | ``sandbox`` | a base URL; login = the NISS that
authenticates; password = its password, or a Bearer JWT when extra has ``{"auth": "bearer"}`` (a token may also
be given as extra ``token``). Extra may carry ``timeout``, ``concurrency``, ``rate_per_second``, ``soap_host``.
Every secret is registered with Airflow's secret masker as soon as the connection is read.

Whose credential it is — extra ``"credencial": "ee"`` (default: the employer's own; login = the employer's NISS)
or ``"credencial": "representante"`` (an accounting office's own NISS or sub-user acting for many employers;
optional ``"entidades": ["<niss-ee>", ...]`` lists the employers it represents). ``hook.credenciais.tipo`` is then
``"EE"`` or ``"REPRESENTANTE"``; ``hook.representa(niss_ee)`` and ``hook.exigir_credencial_propria(niss_ee)`` (call
it before any SOAP contract call) read it. A Bearer token's expiry (JWT ``exp``) is checked when the credentials are
read: ``hook.aviso_token()`` returns the operator warning (expired or within 7 days), which is also logged.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk.bases.hook import BaseHook


class PsiHook(BaseHook):
    conn_name_attr = "psi_conn_id"
    default_conn_name = "psi_default"
    conn_type = "psi"
    hook_name = "Segurança Social PSI"

    def __init__(self, psi_conn_id: str = default_conn_name, **kwargs):
        super().__init__(**kwargs)
        self.psi_conn_id = psi_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "port"],
            "relabeling": {"host": "Environment (qualidade, producao, sandbox) or base URL", "login": "NISS",
                           "password": "Password or Bearer token"},
            "placeholders": {"extra": '{"auth": "basic|bearer", "credencial": "ee|representante", "entidades": [], '
                                      '"timeout": 30, "concurrency": 32, "rate_per_second": null}'},
        }

    @cached_property
    def _conn(self):
        return self.get_connection(self.psi_conn_id)

    @cached_property
    def extra(self) -> dict:
        return self._conn.extra_dejson or {}

    @cached_property
    def credenciais(self):
        from airflow.sdk.log import mask_secret

        from ciclo.psi.auth import Credenciais

        c, token = self._conn, self._token
        cred = Credenciais(self._login, password=None if token else c.password, token=token,
                           tipo=self.tipo_credencial)
        for segredo in cred.segredos():   # the Authorization header's value too
            mask_secret(segredo)
        return cred

    @cached_property
    def _login(self) -> str:
        if not self._conn.login:
            raise ValueError(f"connection {self.psi_conn_id!r} has no login (the NISS that authenticates)")
        return str(self._conn.login).strip()

    @cached_property
    def _token(self) -> str | None:
        """The Bearer token, if the connection has one; its password and token are masked first (even the password
        a token makes unused), so no later error text can carry them."""
        from airflow.sdk.log import mask_secret

        c, extra = self._conn, self.extra
        for segredo in {c.password, extra.get("token")} - {None, ""}:
            mask_secret(segredo)
        return extra.get("token") or (c.password if str(extra.get("auth", "")).lower() == "bearer" else None)

    @cached_property
    def tipo_credencial(self) -> str:
        """``"EE"`` (the employer's own credential) or ``"REPRESENTANTE"`` (from extra ``credencial``)."""
        v = str(self.extra.get("credencial", "ee")).strip().lower()
        tipos = {"ee": "EE", "entidade_empregadora": "EE", "propria": "EE", "representante": "REPRESENTANTE"}
        if v not in tipos:
            raise ValueError(f"connection {self.psi_conn_id!r}: extra 'credencial' must be 'ee' or 'representante', "
                             f"not {v!r}")
        return tipos[v]

    @property
    def entidades(self) -> list[str]:
        """The employers a representative's connection declares it acts for (extra ``entidades``)."""
        return [str(n) for n in self.extra.get("entidades") or []]

    def representa(self, niss_ee: str) -> bool:
        """True when this connection acts for ``niss_ee``: its own credential, or a representative listing it (a
        representative without an ``entidades`` list is trusted; the PSI answers 403 if it is not)."""
        cred = self.credenciais
        if cred.propria_de(niss_ee):
            return True
        return cred.representante and (not self.entidades or str(niss_ee) in self.entidades)

    def exigir_credencial_propria(self, niss_ee: str) -> None:
        """Raise ``PsiCredencialInadequada`` naming the credential needed when this connection cannot call the SOAP
        contract service for ``niss_ee`` (it authenticates as the employer itself)."""
        from ciclo.psi.auth import exigir_credencial_propria

        exigir_credencial_propria(self.credenciais, niss_ee)

    def aviso_token(self, agora=None) -> str | None:
        """The operator warning about the Bearer token's expiry (expired, or within 7 days), else None. Logged at
        WARNING when there is one. Reads the token alone, not the whole credential: every secret a process reads
        costs Airflow's log masker a recompile of one pattern of all of them (quadratic in the secrets read), and
        a run's start asks this of every employer — a Basic credential's derived header value is masked by the
        tasks that use it, each for its own employers."""
        from ciclo.psi.auth import Credenciais, aviso_expiracao

        token = self._token
        if not token:
            return None
        aviso = aviso_expiracao(Credenciais(self._login, token=token, tipo=self.tipo_credencial), agora)
        if aviso:
            self.log.warning("connection %s: %s", self.psi_conn_id, aviso)
        return aviso

    @cached_property
    def ambiente(self):
        from ciclo.psi.ambientes import Ambiente, resolver

        c = self._conn
        host = c.host or "sandbox"
        if c.port and "://" in host and host.count(":") == 1:
            host = f"{host}:{c.port}"
        amb = resolver(host)
        if self.extra.get("soap_host"):
            amb = Ambiente(amb.nome, amb.rest_host, self.extra["soap_host"])
        return amb

    @property
    def timeout(self) -> float:
        return float(self.extra.get("timeout", 30))

    @property
    def concurrency(self) -> int:
        return int(self.extra.get("concurrency", 32))

    @property
    def rate_per_second(self) -> float | None:
        v = self.extra.get("rate_per_second")
        return float(v) if v else None

    def get_conn(self):
        return self.get_client()

    def get_client(self, **kw):
        from ciclo.psi.rest import PsiClient

        return PsiClient(self.ambiente, self.credenciais, timeout=self.timeout, **kw)

    def get_async_client(self, **kw):
        from ciclo.psi.rest import AsyncPsiClient

        kw.setdefault("max_connections", self.concurrency)
        return AsyncPsiClient(self.ambiente, self.credenciais, timeout=self.timeout, **kw)

    def get_soap_client(self):
        from ciclo.psi.soap import ContratoSoapClient

        return ContratoSoapClient(self.ambiente.soap_endpoint("alterarContratoTrabalho"), self.credenciais,
                                  timeout=self.timeout)

    def test_connection(self) -> tuple[bool, str]:
        """Authenticate with one cheap read (the avisos of the login NISS)."""
        from ciclo.psi.errors import PsiError, PsiForbiddenError

        feito = f"authenticated as NISS {self.credenciais.niss} on {self.ambiente.nome}"
        aviso = self.aviso_token()
        if aviso:
            feito = f"{feito}; warning: {aviso}"
        try:
            with self.get_client() as c:
                c.avisos(self.credenciais.niss)
            return True, feito
        except PsiForbiddenError as exc:
            # 403 comes after the credentials were accepted (the SS checks 401 first): the connection works,
            # the NISS just may not read its own avisos (e.g. a representative)
            return True, f"{feito}; note: {exc}"
        except PsiError as exc:
            return False, str(exc)
