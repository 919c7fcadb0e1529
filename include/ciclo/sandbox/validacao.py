"""Validation of request bodies, in the order and with the texts of docs/psi-contract.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.domain.inatividades import MOTIVOS_INATIVIDADE
from ciclo.domain.naturezas import natureza_valida
from ciclo.domain.niss import formato_valido
from ciclo.domain.periodo import AnoMes, AnoMesInvalido

MSG_ANO_MES = "Ano/mês não cumpre os requisitos da estrutura definida YYYYMM"
MSG_ANO = "Ano não cumpre os requisitos da estrutura definida YYYY"
MSG_NISS_EE = "NISS entidade empregadora com formato inválido."
MSG_NISS_TRAB = "NISS trabalhador com formato inválido."


class ErroPedido(Exception):
    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code


def ano_mes(texto: object) -> AnoMes:
    try:
        return AnoMes.parse(texto)
    except AnoMesInvalido:
        raise ErroPedido(MSG_ANO_MES) from None


def niss_ee(texto: object) -> str:
    if isinstance(texto, bool) or not formato_valido(texto):
        raise ErroPedido(MSG_NISS_EE)
    return str(texto)


def niss_trab(texto: object) -> str:
    if isinstance(texto, bool) or not formato_valido(texto):
        raise ErroPedido(MSG_NISS_TRAB)
    return str(texto)


def _data(v: object) -> date:
    try:
        return date.fromisoformat(str(v))
    except (TypeError, ValueError):
        raise ErroPedido(f"Corpo do pedido inválido: data inválida {v!r}") from None


def _montante(v: object) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        raise ErroPedido(f"Valor de remuneração inválido: {v}")
    d = Decimal(v)
    if not d.is_finite() or d < 0 or d.as_tuple().exponent < -2:
        raise ErroPedido(f"Valor de remuneração inválido: {v}")
    return d


def _periodo(obj: dict, ref: AnoMes) -> tuple[date, date]:
    d0, d1 = _data(obj.get("dataInicio")), _data(obj.get("dataFim"))
    if not (ref.contem(d0) and ref.contem(d1) and d0 <= d1):
        raise ErroPedido(f"Período fora do ano/mês de referência: {d0.isoformat()}..{d1.isoformat()}")
    return d0, d1


def valores_remuneracao(body: object) -> dict:
    """Validate and normalise a valores de remuneração body (ASSUMED shape). Raises ErroPedido (first failure)."""
    if not isinstance(body, dict):
        raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
    ref = ano_mes(body.get("anoMes"))
    trabs = body.get("trabalhadores")
    if not isinstance(trabs, list):
        raise ErroPedido("Corpo do pedido inválido: 'trabalhadores' tem de ser uma lista")
    out = []
    for t in trabs:
        if not isinstance(t, dict):
            raise ErroPedido("Corpo do pedido inválido: cada trabalhador tem de ser um objeto")
        niss = niss_trab(t.get("nissTrabalhador"))
        rems, inas = [], []
        linhas = t.get("remuneracoes") or []
        if not isinstance(linhas, list):
            raise ErroPedido("Corpo do pedido inválido: 'remuneracoes' tem de ser uma lista")
        for ln in linhas:
            if not isinstance(ln, dict):
                raise ErroPedido("Corpo do pedido inválido: cada remuneração tem de ser um objeto")
            nat = ln.get("natureza")
            if not natureza_valida(nat):
                raise ErroPedido(f"Natureza de remuneração inválida: {nat}")
            valor = _montante(ln.get("remuneracao"))
            d0, d1 = _periodo(ln, ref)
            dias = ln.get("diasTrabalho", 0)
            if isinstance(dias, bool) or not isinstance(dias, (int, Decimal)) or not (0 <= dias <= 30):
                raise ErroPedido(f"Dias de trabalho inválidos: {dias}")
            rems.append({"dataInicio": d0.isoformat(), "dataFim": d1.isoformat(), "natureza": str(nat),
                         "remuneracao": valor, "diasTrabalho": Decimal(dias)})
        inat = t.get("inatividades") or []
        if not isinstance(inat, list):
            raise ErroPedido("Corpo do pedido inválido: 'inatividades' tem de ser uma lista")
        for ina in inat:
            if not isinstance(ina, dict):
                raise ErroPedido("Corpo do pedido inválido: cada inatividade tem de ser um objeto")
            motivo = ina.get("motivo")
            if motivo not in MOTIVOS_INATIVIDADE:
                raise ErroPedido(f"Motivo de inatividade inválido: {motivo}")
            d0, d1 = _periodo(ina, ref)
            inas.append({"dataInicio": d0.isoformat(), "dataFim": d1.isoformat(), "motivo": motivo})
        out.append({"nissTrabalhador": niss, "remuneracoes": rems, "inatividades": inas})
    return {"anoMes": str(ref), "trabalhadores": out}
