"""The confirmation decision in words (who, when, why), the same sentence in the email, workbook and portfolio."""

from __future__ import annotations

from ciclo.relatorio.formato import data_hora_pt, data_pt, datas_iso_para_pt, nome_decisor


def decisao_texto(confirmacao: dict | None, prazos: dict | None = None) -> str:
    """``confirmacao`` is the ledger's row (estado, modo, decidido_por, nota, data_confirmacao, updated_at)."""
    limite = prazos["confirmacao"].data if prazos else None
    if not confirmacao:
        return ("Sem decisão registada" + (f": sem resposta até {data_pt(limite)}, o silêncio vale como aceitação "
                                           "dos valores apurados." if limite else "."))
    estado, modo = confirmacao.get("estado"), confirmacao.get("modo")
    quem = nome_decisor(confirmacao.get("decidido_por"))
    quando = data_hora_pt(confirmacao.get("updated_at")) if confirmacao.get("updated_at") else None
    nota = (confirmacao.get("nota") or "").strip()
    em = f" em {quando}" if quando else ""
    por = f" por {quem}" if quem else ""
    porque = f" Motivo: «{nota}»." if nota else ""
    ss = confirmacao.get("data_confirmacao")
    na_ss = f" Confirmação registada na Segurança Social em {_data_ss(ss)}." if ss else ""
    if estado == "REJEITADO":
        return (f"Rejeitada{por}{em}.{porque} Os valores apurados não foram confirmados e não foram pedidos "
                "documentos de pagamento.")
    if estado == "PENDING":
        return f"Confirmação pedida{em}{por}; ainda sem resposta da Segurança Social.{porque}"
    if estado == "UNKNOWN":
        return f"Confirmação enviada{em} com resultado desconhecido: verificar no portal da Segurança Social.{porque}"
    if estado != "CONFIRMADO":
        raise ValueError(f"unknown confirmation state {estado!r}")
    if modo == "automatica":
        return f"Confirmada automaticamente{em}: sem diferenças fora da tolerância.{na_ss}"
    if modo == "silencio":
        return (f"Aceite por silêncio: sem resposta do operador até {data_pt(limite) if limite else 'ao dia 20'}, "
                f"os valores apurados consideram-se aceites.{na_ss}")
    if modo == "aprovada":
        return f"Aprovada{por}{em}, apesar das diferenças.{porque}{na_ss}"
    raise ValueError(f"unknown confirmation mode {modo!r}")


def _data_ss(valor) -> str:
    texto = str(valor)
    try:
        return data_hora_pt(texto) if "T" in texto or " " in texto else data_pt(texto)
    except ValueError:
        return datas_iso_para_pt(texto)
