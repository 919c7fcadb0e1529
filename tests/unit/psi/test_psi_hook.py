"""PsiHook builds the clients from a real Airflow Connection (from the environment) and masks its secrets."""

import json

import pytest


@pytest.fixture
def conn(monkeypatch):
    def _set(conn_id, **fields):
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "psi", **fields}))
        from psi_hook import PsiHook

        return PsiHook(conn_id)
    return _set


def test_basic_connection_to_quality(conn):
    h = conn("psi_basic", host="qualidade", login="20000003116", password="s3nha-secreta-123")
    assert h.ambiente.rest_base == "https://extwww.seg-social.pt/ptss/rest"
    assert h.ambiente.soap_endpoint() == "https://extservices.seg-social.pt/ws/contrato/v1/alterarContratoTrabalho"
    assert h.credenciais.esquema == "Basic" and h.credenciais.niss == "20000003116"
    assert "s3nha" not in repr(h.credenciais) and "s3nha" not in repr(h.get_client())


def test_bearer_token_in_password_with_extra(conn):
    h = conn("psi_bearer", host="producao", login="20000003116", password="eyJhbGciOi.token.sig",
             extra={"auth": "bearer", "concurrency": 8, "rate_per_second": 20, "timeout": 5})
    assert h.credenciais.esquema == "Bearer" and h.credenciais.authorization() == "Bearer eyJhbGciOi.token.sig"
    assert h.ambiente.rest_host == "https://app.seg-social.pt"
    assert (h.concurrency, h.rate_per_second, h.timeout) == (8, 20.0, 5.0)


def test_sandbox_url_and_missing_login(conn):
    h = conn("psi_sb", host="http://127.0.0.1:8765", login="20000003116", password="sandbox")
    assert h.ambiente.rest_base == "http://127.0.0.1:8765/ptss/rest"
    with pytest.raises(ValueError, match="no login"):
        _ = conn("psi_nologin", host="sandbox", password="x").credenciais


def test_secrets_registered_with_the_masker(conn):
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    h = conn("psi_mask", host="qualidade", login="20000003116", password="palavra-passe-muito-secreta")
    _ = h.credenciais
    assert "***" in _secrets_masker().redact("a palavra-passe-muito-secreta b")


def test_the_run_starts_token_check_reads_no_more_secrets_than_the_connection_holds(conn):
    """``aviso_token`` (asked of every employer when a run starts) masks the connection's password and token, not
    the Basic header's value derived from them: Airflow's masker recompiles one pattern of every secret for each
    new one, so a run of 1,500 employers paid that for 3,000 secrets in one task (docs/BENCHMARKS.md). The tasks
    that build a client mask the header value, each for its own employers."""
    import base64

    from airflow.sdk._shared.secrets_masker import _secrets_masker

    h = conn("psi_so_token", host="qualidade", login="20000003116", password="outra-senha-bem-secreta")
    cabecalho = base64.b64encode(b"20000003116:outra-senha-bem-secreta").decode()
    antes = len(_secrets_masker().patterns)
    assert h.aviso_token() is None                                # Basic: nothing expires
    assert len(_secrets_masker().patterns) - antes <= 1           # the password (already masked by Airflow)
    assert "outra-senha-bem-secreta" not in _secrets_masker().redact("x outra-senha-bem-secreta y")
    assert cabecalho in _secrets_masker().redact(f"Authorization: Basic {cabecalho}")
    _ = h.get_client()                                            # a task that calls the SS
    assert cabecalho not in _secrets_masker().redact(f"Authorization: Basic {cabecalho}")


def test_token_in_extra_and_every_secret_masked(conn):
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    h = conn("psi_tok", host="sandbox", login="20000003116", password="senha-que-nao-se-usa",
             extra={"token": "eyJ0b2tlbi1uby1leHRyYQ.payload.assinatura"})
    assert h.credenciais.authorization() == "Bearer eyJ0b2tlbi1uby1leHRyYQ.payload.assinatura"
    linha = _secrets_masker().redact("pw=senha-que-nao-se-usa tok=eyJ0b2tlbi1uby1leHRyYQ.payload.assinatura")
    assert "senha-que-nao-se-usa" not in linha and "eyJ0b2tlbi1uby1leHRyYQ" not in linha


def test_clients_are_configured_from_the_connection(conn):
    import asyncio

    from ciclo.psi.rest import AsyncPsiClient, PsiClient
    from ciclo.psi.soap import ContratoSoapClient

    h = conn("psi_cfg", host="http://127.0.0.1", port=9911, login="20000003116", password="sandbox",
             extra={"timeout": 7, "concurrency": 12, "soap_host": "http://127.0.0.1:9912"})
    with h.get_client() as c:
        assert isinstance(c, PsiClient) and str(c._http.base_url) == "http://127.0.0.1:9911/ptss/rest/"
        assert c._http.timeout.read == 7.0
    a = h.get_async_client()
    assert isinstance(a, AsyncPsiClient) and sum(s._transport._pool._max_connections for s in a._shards) == 12
    asyncio.run(a.aclose())
    soap = h.get_soap_client()
    assert isinstance(soap, ContratoSoapClient)
    assert soap.endpoint == "http://127.0.0.1:9912/ws/contrato/v1/alterarContratoTrabalho" and soap.timeout == 7.0


def _jwt(exp: float) -> str:
    import base64

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': '20000003116', 'exp': int(exp)})}.assinatura-qualquer"


def test_representative_connection_says_whose_credential_it_is(conn):
    from ciclo.psi.errors import PsiCredencialInadequada

    h = conn("psi_rep", host="sandbox", login="25000000014", password="sandbox",
             extra={"credencial": "representante", "entidades": ["20000003116", "20000000108"]})
    assert h.credenciais.tipo == "REPRESENTANTE" and h.credenciais.representante
    assert h.representa("20000003116") and not h.representa("20000000019")
    with pytest.raises(PsiCredencialInadequada, match="needs the employer's own PSI credential \\(login NISS 20000003116"):
        h.exigir_credencial_propria("20000003116")
    propria = conn("psi_own", host="sandbox", login="20000003116", password="sandbox")
    assert propria.credenciais.tipo == "EE" and propria.representa("20000003116")
    propria.exigir_credencial_propria("20000003116")  # no error
    with pytest.raises(PsiCredencialInadequada):
        propria.exigir_credencial_propria("20000000108")  # an EE's own credential is not another EE's
    with pytest.raises(ValueError, match="'credencial' must be 'ee' or 'representante'"):
        _ = conn("psi_bad", host="sandbox", login="1", password="x", extra={"credencial": "gabinete"}).credenciais


def test_bearer_token_expiring_within_a_week_warns_the_operator(conn, capsys):
    import time

    h = conn("psi_exp", host="sandbox", login="20000003116", password=_jwt(time.time() + 3 * 86400),
             extra={"auth": "bearer"})
    aviso = h.aviso_token()
    assert aviso and "expires on" in aviso and "Tokens de acesso" in aviso and "assinatura-qualquer" not in aviso
    assert "in 3 day(s)" in aviso
    logged = capsys.readouterr().out  # Airflow's task logger (structlog) writes to stdout
    assert "warning" in logged and "expires on" in logged and "assinatura-qualquer" not in logged
    longe = conn("psi_ok", host="sandbox", login="20000003116", password=_jwt(time.time() + 30 * 86400),
                 extra={"auth": "bearer"})
    assert longe.aviso_token() is None
