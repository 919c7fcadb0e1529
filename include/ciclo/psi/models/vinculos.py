"""The vínculo communications: a cessation (SOAP ``cessarVinculoTrabalhador``) and an admission (REST
``POST /ptss/rest/qlf/tco/vinculos/pedido``), and what the Segurança Social answers about the workers bound to
an employer (SOAP ``getQualificacoesTrabalhadoresVinculadosEE`` → ``getDados``).

Evidence (docs/psi-contract.md §Vínculos):

* endpoints — SPEC (``specs/psi-endpoints.txt``: "Cessar Vínculo Trabalhador", "Comunicar vínculo do trabalhador
  com indicação do enquadramento", "Consultar Trabalhadores");
* every field name below — PUBLIC-CLIENT: diegobarbosa88/atualizacao-app-magnetic-place,
  ``api/seguranca-social/_soapUtils.js`` (``buildCessacaoSoap``, ``buildAdmissaoRest``,
  ``buildPesquisaTrabalhadoresSoap``, ``parseGetDadosTrabalhadoresResponse``) and ``api/seguranca-social/index.js``
  (the calls). The admission body's keys are kebab-case, the NISS numbers JSON numbers, dates ``YYYY-MM-DD``;
  ``enquadramento`` defaults to ``REGE`` and ``local-trabalho`` to 1 in that client;
* ASSUMED: the mapping of this project's enquadramento codes to the admission's codes beyond ``REGE`` (none is
  mapped: any other enquadramento is admitted in Segurança Social Direta, never guessed), and the meaning of
  ``tipoQlf``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import Field

from ciclo.psi.models._base import Modelo

# This project's enquadramento code → the admission's ``enquadramento`` code. PUBLIC-CLIENT: only "REGE" (its
# default for the general scheme) is evidenced; other codes are not guessed.
ENQUADRAMENTO_ADMISSAO = {"REGIME_GERAL": "REGE"}
LOCAL_TRABALHO_PADRAO = 1  # PUBLIC-CLIENT default (buildAdmissaoRest: parseInt(localTrabalho) || 1)


@dataclass(frozen=True)
class CessacaoVinculo:
    """One ``<vo:cessarVinculo>`` request. The employer is the authenticated NISS (not in the body)."""

    niss_trabalhador: str
    data_fim_vinculo: date
    motivo_fim_vinculo: str            # VARCHAR2(4), e.g. CCCT, RAOT, RARC (codes from the payroll, never guessed)
    comunicacao_desemprego: bool = False
    fundamentacao: str | None = None   # required by the SS for RARC/RARD/RARE/RARR with comunicacao-desemprego 1

    def parametros(self) -> dict:
        """The SOAP element names and values, absent optional ones left out."""
        out = {"niss-trabalhador": str(self.niss_trabalhador), "data-fim-vinculo": self.data_fim_vinculo,
               "motivo-fim-vinculo": self.motivo_fim_vinculo, "comunicacao-desemprego": 1 if self.comunicacao_desemprego else 0}
        if self.fundamentacao:
            out["fundamentacao"] = self.fundamentacao
        return out

    def as_dict(self) -> dict:
        return {"niss_trabalhador": self.niss_trabalhador, "data_fim_vinculo": self.data_fim_vinculo.isoformat(),
                "motivo_fim_vinculo": self.motivo_fim_vinculo, "comunicacao_desemprego": self.comunicacao_desemprego,
                "fundamentacao": self.fundamentacao}

    @classmethod
    def de_dict(cls, d: dict) -> "CessacaoVinculo":
        return cls(str(d["niss_trabalhador"]), date.fromisoformat(str(d["data_fim_vinculo"])), str(d["motivo_fim_vinculo"]),
                   bool(d.get("comunicacao_desemprego")), d.get("fundamentacao") or None)


class PedidoAdmissao(Modelo):
    """``POST /ptss/rest/qlf/tco/vinculos/pedido`` body (PUBLIC-CLIENT ``buildAdmissaoRest``). Write it with
    ``corpo()`` (aliases, exact decimals, absent fields left out)."""

    niss_entidade_empregadora: int = Field(alias="niss-entidade-empregadora")
    niss_trabalhador: int = Field(alias="niss-trabalhador")
    data_nascimento: date = Field(alias="data-nascimento")
    modalidade_contrato: str = Field(alias="modalidade-contrato")
    prestacao_trabalho: str = Field("P", alias="prestacao-trabalho")
    inicio_contrato: date = Field(alias="inicio-contrato")
    profissao: str
    remuneracao_base: Decimal = Field(alias="remuneracao-base")
    enquadramento: str = "REGE"
    local_trabalho: int = Field(LOCAL_TRABALHO_PADRAO, alias="local-trabalho")
    fim_contrato: date | None = Field(None, alias="fim-contrato")
    percentagem_trabalho: Decimal | None = Field(None, alias="percentagem-trabalho")
    horas_trabalho: Decimal | None = Field(None, alias="horas-trabalho")
    dias_trabalho: Decimal | None = Field(None, alias="dias-trabalho")
    motivo_contrato: str | None = Field(None, alias="motivo-contrato")
    niss_trabalhador_substituir: int | None = Field(None, alias="niss-trabalhador-substituir")

    def corpo(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class TrabalhadorVinculado:
    """One ``trabalhadoresQualificacoes`` item of ``getDados`` (PUBLIC-CLIENT field names): a worker the Segurança
    Social holds as bound to the employer, with the qualification's period."""

    niss_ee: str
    niss_trabalhador: str
    data_inicio: date | None
    data_fim: date | None
    tipo: str | None = None

    def vinculado_em(self, inicio: date, fim: date) -> bool:
        """The qualification overlaps ``inicio``..``fim``."""
        return (self.data_inicio is None or self.data_inicio <= fim) and (self.data_fim is None or self.data_fim >= inicio)
