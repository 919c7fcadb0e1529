"""Helpers for the SOAP tests — the router in isolation: an in-memory ``SoapBackend`` in a FastAPI app served by a real uvicorn on a free
loopback port (a thread), so zeep and httpx talk real HTTP to it."""

from __future__ import annotations

import base64
import socket
import threading
import time
from datetime import date
from decimal import Decimal

import fastapi
import pytest
import uvicorn
from fastapi import HTTPException, Request, Response

from ciclo.sandbox.soap import fault_xml, make_soap_router

EE = "20000003116"
PASSWORD = "s3cr3t-pw"
TOKEN = "tok.en.value"
EE_SEM_ACESSO = "20000000019"  # valid credentials, not authorised for the service → 403
TRAB = "10000000001"
SUB = "10000000002"
HOJE = date(2025, 10, 5)


class FakeBackend:
    def __init__(self):
        self.reset()

    def reset(self):
        self.vinc = {(EE, TRAB): [(date(2022, 6, 6), None)], (EE, SUB): [(date(2021, 1, 1), None)]}
        self.contr = {(EE, TRAB): [{"modalidade_contrato": "A", "inicio_contrato": date(2022, 6, 6), "fim_contrato": None,
                                    "remuneracao_base": Decimal("1600.00"), "muito_curta_duracao": False}]}
        self.registados: list[tuple[str, str, dict]] = []
        self.auth_headers: list[str | None] = []
        self.falhar = False

    def autenticar(self, request: Request) -> str:
        h = request.headers.get("authorization")
        self.auth_headers.append(h)
        if h == f"Bearer {TOKEN}":
            return EE
        if h and h.startswith("Basic "):
            niss, _, pw = base64.b64decode(h[6:]).decode().partition(":")
            if pw == PASSWORD and niss == EE:
                return EE
            if pw == PASSWORD and niss == EE_SEM_ACESSO:
                raise HTTPException(403, "Forbidden")
        raise HTTPException(401, "Unauthorized")

    def vinculos(self, niss_ee, niss_trabalhador):
        return list(self.vinc.get((niss_ee, niss_trabalhador), []))

    def contratos(self, niss_ee, niss_trabalhador):
        if self.falhar:
            raise RuntimeError("database is locked")
        return list(self.contr.get((niss_ee, niss_trabalhador), []))

    def foi_trabalhador(self, niss_ee, niss):
        return (niss_ee, niss) in self.vinc

    def registar_contrato(self, niss_ee, niss_trabalhador, contrato):
        self.registados.append((niss_ee, niss_trabalhador, contrato))
        self.contr.setdefault((niss_ee, niss_trabalhador), []).append(contrato)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servidor:
    def __init__(self, backend: FakeBackend):
        self.backend = backend
        app = fastapi.FastAPI()
        app.include_router(make_soap_router(backend, hoje=lambda: HOJE))

        @app.post("/stub/fault")
        async def stub_fault():
            return Response(fault_xml("Unexpected element 'x' in alterarContratoTrabalho"), status_code=500,
                            media_type="text/xml; charset=utf-8")

        @app.post("/stub/503")
        async def stub_503():
            return Response('{"code": 503, "message": "Service Unavailable"}', status_code=503,
                            media_type="application/json")

        @app.post("/stub/codigo9")
        async def stub_codigo9():
            return Response('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
                            '<vo:alterarContratoTrabalhoResponse xmlns:vo="http://vo.webservice.contrato.segsocial.pt">'
                            '<codigo-resultado>9</codigo-resultado></vo:alterarContratoTrabalhoResponse>'
                            '</soapenv:Body></soapenv:Envelope>', media_type="text/xml")

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.url}/ws/contrato/v1/alterarContratoTrabalho"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


