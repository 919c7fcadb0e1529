"""Clients for the Segurança Social's interoperability platform (PSI): REST (httpx) and SOAP (zeep)."""
