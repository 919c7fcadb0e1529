"""SOAP client (zeep) for the Segurança Social's own contract data and pending communications (#14).

``ConsultaSoapClient(ambiente, credenciais)`` loads the WSDLs shipped in this package (``wsdl/contratos.wsdl``,
``wsdl/obterComunicacoes.wsdl``; never fetched from the network) and calls:

- ``pesquisa_contratos(data_inicio, data_fim, niss_trabalhadores)`` → the ``chave`` (step 1);
- ``dados_contratos(chave)`` → ``ResultadoDadosContratos`` (step 2): ``PRONTO`` with the contracts, ``SEM_RESULTADOS``,
  ``POR_PROCESSAR`` (ask again later) or ``EXPIRADO`` (search again) — codigo 0 covers the last two and an unknown
  key, told apart only by the message (PUBLIC-CLIENT diegobarbosa88/atualizacao-app-magnetic-place,
  api/seguranca-social/_soapUtils.js, ``parseGetDadosContratosResponse``);
- ``contratos(data_inicio, data_fim, niss_trabalhadores)`` → both steps, asking again while the request is processed
  (bounded by ``espera_max``) and searching again once if the key expired;
- ``obter_comunicacoes(niss_trabalhadores)`` → the communications still being processed or not accepted.

Errors, as ``ContratoSoapClient`` maps them (``ciclo.psi.soap``): HTTP 401 → ``ConsultaCredenciaisRejeitadas``
(``PsiAuthError``; "Token expirado." → ``ConsultaTokenExpirado``), 403 → ``ConsultaNaoAutorizada``
(``PsiForbiddenError``), codigo 2/3 → ``ConsultaInvalida`` (``PsiValidationError``: fix the request), codigo 0
(other than "being processed"/"expired") → ``ConsultaErroInterno`` (retryable), a Fault with codigo-resultado 408 →
``ConsultaTimeout`` (retryable), another Fault → ``ConsultaFault``; could not connect, no complete answer, 429 or 5xx
→ ``PsiRetryableError`` (these are reads: asking again is always safe). Nothing here logs amounts or secrets.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import requests
import zeep
from zeep import xsd
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, XMLSyntaxError
from zeep.transports import Transport

from ciclo.psi.auth import Credenciais
from ciclo.psi.errors import (
    PsiAuthError, PsiContractError, PsiError, PsiForbiddenError, PsiRetryableError, PsiTokenExpirado,
    PsiValidationError,
)
from ciclo.psi.soap import _detalhe_fault, documento_wsdl, separar_mensagens

log = logging.getLogger("ciclo.psi.soap_consulta")

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
NS_IF = "http://interfaces.webservice.contrato.segsocial.pt"
BINDING_CONTRATOS = f"{{{NS_IF}}}contratosSEIBinding"
BINDING_COMUNICACOES = f"{{{NS_IF}}}obterComunicacoesSEIBinding"
SERVICO_CONTRATOS = "contratos"            # the endpoint's last path segment (both contract operations)
SERVICO_COMUNICACOES = "obterComunicacoes"


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ContratoSS:
    """One contract version as the Segurança Social holds it (``getDadosContratos``' ``contrato``). Field names are
    the SOAP element names with underscores, as in ``ciclo.domain.contrato.CAMPOS``; amounts are Decimal."""

    niss_trabalhador: str
    modalidade_contrato: str | None = None
    prestacao_trabalho: str | None = None
    inicio_contrato: date | None = None
    fim_contrato: date | None = None
    inicio_informacao_contrato: date | None = None
    fim_informacao_contrato: date | None = None
    profissao: str | None = None
    remuneracao_base: Decimal | None = None
    diuturnidades: Decimal | None = None
    percentagem_trabalho: Decimal | None = None
    horas_trabalho: Decimal | None = None
    dias_trabalho: Decimal | None = None
    motivo_contrato: str | None = None
    niss_trabalhador_substituir: str | None = None

    def em_vigor(self, dia: date) -> bool:
        """Whether this version is the one that holds on ``dia`` (its period of information)."""
        ini = self.inicio_informacao_contrato or self.inicio_contrato
        fim = self.fim_informacao_contrato or self.fim_contrato
        return ini is not None and ini <= dia and (fim is None or dia <= fim)


@dataclass(frozen=True)
class ResultadoDadosContratos:
    estado: str                       # PRONTO | SEM_RESULTADOS | POR_PROCESSAR | EXPIRADO
    contratos: list[ContratoSS] = field(default_factory=list)
    mensagem: str | None = None


@dataclass(frozen=True)
class ComunicacaoSS:
    """A vínculo communication still being processed (``tipo`` "0") or not accepted ("1")."""

    tipo: str
    niss_trabalhador: str | None
    data_comunicacao: str | None = None
    inicio_contrato: str | None = None
    motivo: str | None = None
    data_processamento: str | None = None

    @property
    def rejeitada(self) -> bool:
        return self.tipo == "1"

    @property
    def descricao_tipo(self) -> str:
        return {"0": "a processar", "1": "não aceite"}.get(self.tipo, f"tipo {self.tipo}")


# --------------------------------------------------------------------------------------------- errors


class ConsultaSoapError(PsiError):
    codigo: int | None = None

    def __init__(self, message: str, *, servico: str, mensagens: list[str] | None = None, status: int | None = 200):
        PsiError.__init__(self, message, servico=servico, status=status)  # not the subclasses' own __init__
        self.mensagens = list(mensagens or [])


class ConsultaInvalida(ConsultaSoapError, PsiValidationError):
    """codigo-resultado 2 (a parameter missing) or 3 (a validation failed): the request must be fixed."""

    def __init__(self, message: str, *, codigo: int, **kw):
        ConsultaSoapError.__init__(self, message, **kw)
        self.ss_message = "; ".join(self.mensagens)
        self.parametro = None
        self.codigo = codigo


class ConsultaErroInterno(ConsultaSoapError, PsiRetryableError):
    """codigo-resultado 0 that is not "being processed" nor "expired" (an unknown key, an internal error)."""

    codigo = 0


class ConsultaFault(ConsultaSoapError):
    """A SOAP Fault: the service could not read the request."""


class ConsultaTimeout(ConsultaFault, PsiRetryableError):
    """A SOAP Fault with codigo-resultado 408 in its detail (the service timed out; PUBLIC-CLIENT _soapUtils.js)."""


class ConsultaCredenciaisRejeitadas(PsiAuthError):
    """HTTP 401."""


class ConsultaTokenExpirado(ConsultaCredenciaisRejeitadas, PsiTokenExpirado):
    """HTTP 401 with "Token expirado."."""


class ConsultaNaoAutorizada(PsiForbiddenError):
    """HTTP 403."""


# --------------------------------------------------------------------------------------------- client


class _Transporte(Transport):
    """zeep's Transport without its DEBUG dump of envelopes (the contracts carry salaries)."""

    def __init__(self, verificar, **kw):
        super().__init__(**kw)
        self._verificar = verificar

    def post(self, address, message, headers):
        response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        self._verificar(response, address)
        return response


def _dec(v) -> Decimal | None:
    if v is None or str(v).strip() == "":
        return None
    try:
        return Decimal(str(v).strip())
    except InvalidOperation:
        raise PsiContractError("getDadosContratos: a numeric field of a contract is not a number") from None


def _dia(v) -> date | None:
    if v is None or str(v).strip() == "":
        return None
    if isinstance(v, date):
        return v
    texto = str(v).strip()[:10]
    try:
        return date.fromisoformat(texto)
    except ValueError:
        raise PsiContractError("getDadosContratos: a date field of a contract is not YYYY-MM-DD") from None


def _txt(v) -> str | None:
    return None if v is None or str(v).strip() == "" else str(v).strip()


def _campo(obj, nome: str):
    if obj is None:
        return None
    try:
        return obj[nome]
    except (KeyError, TypeError, AttributeError):
        return getattr(obj, nome, None)


class ConsultaSoapClient:
    def __init__(self, endpoint_contratos: str, endpoint_comunicacoes: str, credenciais: Credenciais, *,
                 timeout: float = 30.0, intervalo: float = 1.0, espera_max: float = 60.0):
        self.endpoint_contratos = endpoint_contratos
        self.endpoint_comunicacoes = endpoint_comunicacoes
        self.credenciais = credenciais
        self.timeout = timeout
        self.intervalo = intervalo
        self.espera_max = espera_max
        self._session = requests.Session()
        self._session.headers["Authorization"] = credenciais.authorization()
        self._session.trust_env = False  # a .netrc would override Authorization
        transporte = _Transporte(self._verificar_http, session=self._session, timeout=timeout,
                                 operation_timeout=timeout)
        c1 = zeep.Client(wsdl=documento_wsdl(WSDL_DIR / "contratos.wsdl"), transport=transporte)
        c2 = zeep.Client(wsdl=documento_wsdl(WSDL_DIR / "obterComunicacoes.wsdl"), transport=transporte)
        self._contratos = c1.create_service(BINDING_CONTRATOS, endpoint_contratos)
        self._comunicacoes = c2.create_service(BINDING_COMUNICACOES, endpoint_comunicacoes)

    @classmethod
    def de_ambiente(cls, ambiente, credenciais: Credenciais, **kw) -> "ConsultaSoapClient":
        """From a ``ciclo.psi.ambientes.Ambiente`` (quality, production, the sandbox)."""
        return cls(ambiente.soap_endpoint(SERVICO_CONTRATOS), ambiente.soap_endpoint(SERVICO_COMUNICACOES),
                   credenciais, **kw)

    def __repr__(self) -> str:
        return f"<ConsultaSoapClient {self.endpoint_contratos} NISS {self.credenciais.niss} ({self.credenciais.esquema})>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------------------------------- HTTP layer
    def _verificar_http(self, r: requests.Response, address: str) -> None:
        s = r.status_code
        servico = address.rstrip("/").rsplit("/", 1)[-1]
        niss = self.credenciais.niss
        if s == 401 and b"token expirado" in r.content.lower():
            raise ConsultaTokenExpirado(
                f"{servico}: the Segurança Social answered \"Token expirado.\" (HTTP 401) for NISS {niss}: create a new "
                f"Bearer token in Segurança Social Direta and update the connection", servico=servico, status=s)
        if s == 401:
            raise ConsultaCredenciaisRejeitadas(f"credentials rejected for NISS {niss} ({servico}, HTTP 401): check "
                                                f"the connection's password or token", servico=servico, status=s)
        if s == 403:
            raise ConsultaNaoAutorizada(f"NISS {niss} is not authorised for {servico} — ask suporte-psi with NISS "
                                        f"{niss} and endpoint {address}", servico=servico, status=s)
        if s == 200:
            return
        if s == 500 and "xml" in (r.headers.get("content-type") or "").lower() and b"Fault" in r.content:
            return  # a SOAP 1.1 Fault: zeep reads it
        if s == 429 or s >= 500:
            ra = r.headers.get("retry-after")
            raise PsiRetryableError(f"{servico}: the Segurança Social answered HTTP {s}; ask again later",
                                    servico=servico, status=s,
                                    retry_after=float(ra) if ra and ra.strip().isdigit() else None)
        raise PsiError(f"{servico}: unexpected HTTP {s} from {address}", servico=servico, status=s)

    def _chamar(self, operacao: str, fn, **params):
        try:
            return fn(**params)
        except PsiError:
            raise
        except Fault as f:
            codigo, msg = _detalhe_fault(f)
            if codigo == "408":
                raise ConsultaTimeout(f"{operacao}: the Segurança Social timed out (SOAP Fault with codigo-resultado "
                                      f"408): {msg or f.message}; ask again later", servico=operacao,
                                      mensagens=[msg or f.message], status=500) from None
            raise ConsultaFault(f"{operacao} refused the request with a SOAP Fault [{f.code}]: {f.message}",
                                servico=operacao, mensagens=[f.message] if f.message else [], status=500) from None
        except requests.exceptions.RequestException as exc:
            raise PsiRetryableError(f"{operacao}: no complete answer ({type(exc).__name__}); this is a query, ask "
                                    f"again", servico=operacao) from None
        except (TransportError, XMLSyntaxError, ZeepError) as exc:
            raise PsiContractError(f"{operacao}: unreadable answer ({type(exc).__name__}): the wire contract "
                                   f"(docs/psi-contract.md) may need updating", servico=operacao) from None

    @staticmethod
    def _codigo(operacao: str, resposta) -> tuple[str, list[str]]:
        codigo = str(_campo(resposta, "codigo-resultado") or "").strip()
        mensagens = separar_mensagens(_campo(resposta, "mensagens-erro"))
        if codigo in ("2", "3"):
            raise ConsultaInvalida(f"{operacao}: the request was refused (codigo {codigo}): {'; '.join(mensagens)}",
                                   codigo=int(codigo), servico=operacao, mensagens=mensagens)
        return codigo, mensagens

    @staticmethod
    def _lista_niss(niss_trabalhadores) -> list[str]:
        return [str(n).strip() for n in (niss_trabalhadores or ())]

    # ----------------------------------------------------------------------------------------- operations
    def pesquisa_contratos(self, data_inicio: date, data_fim: date, niss_trabalhadores=()) -> str:
        """Step 1: ask for the contracts of the employer's workers (all, or those listed) in the period."""
        trabs = self._lista_niss(niss_trabalhadores)
        params = {"data-inicio": data_inicio, "data-fim": data_fim,
                  "trabalhadores": {"niss-trabalhador": trabs} if trabs else xsd.SkipValue}
        t0 = time.monotonic()
        r = self._chamar("pesquisaContratos", self._contratos.pesquisaContratos, **params)
        codigo, mensagens = self._codigo("pesquisaContratos", r)
        chave = _txt(_campo(r, "chave"))
        log.info("pesquisaContratos %s..%s (%d workers) → codigo %s in %d ms", data_inicio, data_fim, len(trabs),
                 codigo or "?", int((time.monotonic() - t0) * 1000))
        if codigo == "1" and chave:
            return chave
        if codigo == "0":
            raise ConsultaErroInterno(f"pesquisaContratos: error of the Segurança Social (codigo 0): "
                                      f"{'; '.join(mensagens) or 'Erro interno'}; ask again later",
                                      servico="pesquisaContratos", mensagens=mensagens)
        raise PsiContractError(f"pesquisaContratos: answer without a chave (codigo {codigo!r})",
                               servico="pesquisaContratos")

    def dados_contratos(self, chave: str) -> ResultadoDadosContratos:
        """Step 2: the contracts of a search, by its chave."""
        r = self._chamar("getDadosContratos", self._contratos.getDadosContratos, chave=chave)
        codigo, mensagens = self._codigo("getDadosContratos", r)
        texto = "; ".join(mensagens)
        if codigo == "4":
            return ResultadoDadosContratos("SEM_RESULTADOS", [], texto or None)
        if codigo == "0":
            # one codigo, three situations, told apart by the text (PUBLIC-CLIENT _soapUtils.js)
            if re.search(r"n.o foi processado|tente mais tarde|tenta mais tarde", texto, re.I):
                return ResultadoDadosContratos("POR_PROCESSAR", [], texto)
            if re.search(r"expir", texto, re.I):
                return ResultadoDadosContratos("EXPIRADO", [], texto)
            raise ConsultaErroInterno(f"getDadosContratos: codigo 0: {texto or 'Erro interno'}",
                                      servico="getDadosContratos", mensagens=mensagens)
        if codigo != "1":
            raise PsiContractError(f"getDadosContratos: unexpected codigo-resultado {codigo!r}",
                                   servico="getDadosContratos")
        if _campo(r, "ficheiro-dados") is not None:
            raise PsiContractError("getDadosContratos: the answer came as a file (500 contracts or more, MTOM/XOP), "
                                   "which this client does not read; search fewer workers at a time",
                                   servico="getDadosContratos")
        bloco = _campo(r, "contratos")
        lista = _campo(bloco, "contrato") or []
        out = []
        for c in lista:
            niss = _txt(_campo(c, "niss-trabalhador"))
            if not niss:
                raise PsiContractError("getDadosContratos: a contract without niss-trabalhador",
                                       servico="getDadosContratos")
            out.append(ContratoSS(
                niss_trabalhador=niss, modalidade_contrato=_txt(_campo(c, "modalidade-contrato")),
                prestacao_trabalho=_txt(_campo(c, "prestacao-trabalho")),
                inicio_contrato=_dia(_campo(c, "inicio-contrato")), fim_contrato=_dia(_campo(c, "fim-contrato")),
                inicio_informacao_contrato=_dia(_campo(c, "inicio-informacao-contrato")),
                fim_informacao_contrato=_dia(_campo(c, "fim-informacao-contrato")),
                profissao=_txt(_campo(c, "profissao")), remuneracao_base=_dec(_campo(c, "remuneracao-base")),
                diuturnidades=_dec(_campo(c, "diuturnidades")),
                percentagem_trabalho=_dec(_campo(c, "percentagem-trabalho")),
                horas_trabalho=_dec(_campo(c, "horas-trabalho")), dias_trabalho=_dec(_campo(c, "dias-trabalho")),
                motivo_contrato=_txt(_campo(c, "motivo-contrato")),
                niss_trabalhador_substituir=_txt(_campo(c, "niss-trabalhador-substituir"))))
        return ResultadoDadosContratos("PRONTO", out)

    def contratos(self, data_inicio: date, data_fim: date, niss_trabalhadores=()) -> list[ContratoSS]:
        """Both steps: search, then ask by chave until ready (at most ``espera_max`` seconds, every ``intervalo``);
        an expired key is searched again once. Still not ready → ``PsiRetryableError``."""
        fim = time.monotonic() + self.espera_max
        for _tentativa in range(2):
            chave = self.pesquisa_contratos(data_inicio, data_fim, niss_trabalhadores)
            while True:
                r = self.dados_contratos(chave)
                if r.estado in ("PRONTO", "SEM_RESULTADOS"):
                    return r.contratos
                if r.estado == "EXPIRADO":
                    break
                if time.monotonic() + self.intervalo > fim:
                    raise PsiRetryableError(f"getDadosContratos: the search was not processed within "
                                            f"{self.espera_max:.0f} s; ask again later", servico="getDadosContratos")
                time.sleep(self.intervalo)
        raise PsiRetryableError("getDadosContratos: the search expired twice; ask again later",
                                servico="getDadosContratos")

    def obter_comunicacoes(self, niss_trabalhadores=()) -> list[ComunicacaoSS]:
        trabs = self._lista_niss(niss_trabalhadores)
        params = {"list-niss-trabalhador": {"niss-trabalhador": trabs} if trabs else xsd.SkipValue}
        r = self._chamar("obterComunicacoes", self._comunicacoes.obterComunicacoes, **params)
        codigo, mensagens = self._codigo("obterComunicacoes", r)
        if codigo == "4":
            return []
        if codigo == "0":
            raise ConsultaErroInterno(f"obterComunicacoes: codigo 0: {'; '.join(mensagens) or 'Erro interno'}",
                                      servico="obterComunicacoes", mensagens=mensagens)
        if codigo != "1":
            raise PsiContractError(f"obterComunicacoes: unexpected codigo-resultado {codigo!r}",
                                   servico="obterComunicacoes")
        lista = _campo(_campo(r, "comunicacoes"), "comunicacao") or []
        return [ComunicacaoSS(tipo=_txt(_campo(c, "tipoComunicacao")) or "?",
                              niss_trabalhador=_txt(_campo(c, "nissTrabalhador")),
                              data_comunicacao=_txt(_campo(c, "dataComunicacao")),
                              inicio_contrato=_txt(_campo(c, "inicioContrato")), motivo=_txt(_campo(c, "motivo")),
                              data_processamento=_txt(_campo(c, "dataProcessamento"))) for c in lista]


def cliente_consulta(ligacao) -> ConsultaSoapClient:
    """The query client of an employer's PSI connection (``LigacaoDireta``, ``PsiHook`` or a test double): its own
    factory when it has one, else built from its environment, credentials and timeout."""
    fabrica = getattr(ligacao, "get_consulta_soap_client", None)
    if fabrica is not None:
        return fabrica()
    return ConsultaSoapClient.de_ambiente(ligacao.ambiente, ligacao.credenciais,
                                          timeout=float(getattr(ligacao, "timeout", 30.0) or 30.0))
