"""Fixtures for the SOAP tests (see soap_fake.py)."""

from __future__ import annotations

import pytest

from soap_fake import FakeBackend, Servidor


@pytest.fixture(scope="module")
def servidor_soap():
    s = Servidor(FakeBackend()).start()
    yield s
    s.stop()


@pytest.fixture
def soap(servidor_soap):
    servidor_soap.backend.reset()
    return servidor_soap
