"""The parsed WSDL documents are shared by every SOAP client of a process (``soap.documento_wsdl``), each client
still sending with its own credentials."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ciclo.psi.auth import Credenciais
from ciclo.psi.soap import ContratoSoapClient, documento_wsdl
from ciclo.psi.soap_consulta import ConsultaSoapClient
from ciclo.psi.vinculos import CessacaoSoapClient


def test_one_document_per_wsdl_per_process():
    a = ContratoSoapClient("http://127.0.0.1:9/x", Credenciais("20000003116", password="a"))
    b = ContratoSoapClient("http://127.0.0.1:9/x", Credenciais("20000003124", password="b"))
    assert a._client.wsdl is b._client.wsdl
    c = CessacaoSoapClient("http://127.0.0.1:9/y", Credenciais("20000003116", password="a"))
    assert c._client.wsdl is not a._client.wsdl and c._client.wsdl is CessacaoSoapClient(
        "http://127.0.0.1:9/y", Credenciais("20000003124", password="b"))._client.wsdl
    d = ConsultaSoapClient("http://127.0.0.1:9/a", "http://127.0.0.1:9/b", Credenciais("20000003116", password="a"))
    assert documento_wsdl(a._client.wsdl.location) is a._client.wsdl
    d.close()


def test_clients_sharing_a_document_send_their_own_credentials():
    vistos: list[str] = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            vistos.append(self.headers.get("Authorization"))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/alterarContratoTrabalho"
        creds = [Credenciais("20000003116", password="um"), Credenciais("20000003124", password="dois")]
        clientes = [ContratoSoapClient(url, c, timeout=5) for c in creds]
        for cl in clientes:
            with pytest.raises(Exception):   # 503: each raises its own error; what matters is what was sent
                cl.alterar_contrato({"niss_trabalhador": "10000000001"})
    finally:
        srv.shutdown()
    assert vistos == [c.authorization() for c in creds]
