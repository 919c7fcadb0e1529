"""Cessations and admissions: the vínculos of the payroll, communicated to the Segurança Social.

**Cessations** (``comunicar_cessacoes``): every worker whose vínculo ends inside the reference month (payroll
``contratos.fim_vinculo``) is communicated with SOAP ``cessarVinculoTrabalhador`` by day 10 of the following month —
DR 1-A/2011 art. 8.º n.º 1 (as amended in 2025, ``specs/decreto-regulamentar-ciclo-contributivo.txt``): "As
declarações da entidade empregadora relativas à cessação ... são efetuadas até ao dia 10 do mês seguinte ao da sua
ocorrência"; a deadline on a weekend or holiday moves to the next working day (Código Civil art. 279.º e),
``ciclo.domain.calendario``). After the deadline the cessation is still communicated, and flagged as late to the
operator (result, log, notification). Motive and unemployment flag come from the payroll (``motivo_fim_vinculo``,
``comunicacao_desemprego``): a cessation without them is reported, never sent with a guess.

**Admissions** (a provider of ``ciclo.app.revisao``: ``TIPO``, ``propostas``, ``aplicar``): a worker in the payroll
whom the Segurança Social does not hold as bound to the employer in the month is reported *before* the values are
sent, with the admission (REST ``qlf/tco/vinculos/pedido``) proposed to the operator. An admission is legally due
before work starts (Código dos Regimes Contributivos art. 29.º, DR 1-A/2011 art. 5.º n.º 1): the pipeline never
sends one without approval.

How the pipeline knows the SS does not know a worker: it asks the Segurança Social itself — the "Consultar
Trabalhadores" service (``getQualificacoesTrabalhadoresVinculadosEE`` → ``getDados``, PUBLIC-CLIENT), which lists
the workers the SS holds as bound to the employer in a window; the month is one window. That is the SS's own record
of the vínculo (the fact an admission creates), before anything is sent — stronger than inferring it after the
apuramento (a worker without valores apurados, "TRABALHADOR_SEM_VALORES_SS") or from a ``SEM_VINCULO`` alert.

Exactly once, for both: a lease per operation (``app.concessao``), a PENDING ledger row committed before each call
(``ledger.vinculos``), an audit row per call. A row already ACKNOWLEDGED is never sent again; a row left SENT or
UNKNOWN (a lost answer, a crash) is resolved by asking the SS (the same query: does the vínculo now end on that
date / exist from that date?) before anything is resent; and a cessation refused with "Vínculo já cessado em <the
same date>" on such a retry is taken as the earlier call having been applied.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo, Repetivel
from ciclo.app.portas import Portas
from ciclo.app.revisao import Proposta

log = logging.getLogger(__name__)

TIPO = "ADMISSAO"
CESSACAO = "CESSACAO"
LISBOA = ZoneInfo("Europe/Lisbon")
OP_CESSACAO = "cessarVinculoTrabalhador"
OP_ADMISSAO = "vinculos-pedido"
JA_CESSADO = "Vínculo já cessado em"   # the sandbox's (ASSUMED) text for an already ended vínculo
_SIM = {"S", "SIM", "1", "TRUE", "Y", "YES"}
_NAO = {"N", "NAO", "NÃO", "0", "FALSE", "NO"}


def _hoje() -> date:
    return datetime.now(LISBOA).date()


def _vazio(v) -> bool:
    from ciclo.domain.contrato_trabalho import _em_falta

    return _em_falta(v)


def _data(v) -> date | None:
    if _vazio(v):
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


# ================================================================================================= cessations
@dataclass(frozen=True)
class ResultadoCessacoes:
    """What ``comunicar_cessacoes`` did. ``fora_de_prazo``: communicated (or still due) after the legal deadline."""

    prazo: date                      # the legal deadline (day 10 of M+1, next working day)
    a_comunicar: int                 # cessations of the month not yet acknowledged before this run
    enviadas: list[str] = field(default_factory=list)          # NISS sent now (codigo 1)
    ja_comunicadas: list[str] = field(default_factory=list)    # acknowledged in an earlier run: not sent again
    ja_no_ss: list[str] = field(default_factory=list)          # the SS already showed the end date: not sent
    recusadas: list[dict] = field(default_factory=list)        # {niss_trabalhador, codigo, mensagens}
    incompletas: list[dict] = field(default_factory=list)      # {niss_trabalhador, falta}: not sent (payroll data)
    fora_de_prazo: bool = False
    aviso: str | None = None         # what the operator is told (Portuguese), None when nothing to flag
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"prazo": self.prazo.isoformat(), "a_comunicar": self.a_comunicar, "enviadas": list(self.enviadas),
                "ja_comunicadas": list(self.ja_comunicadas), "ja_no_ss": list(self.ja_no_ss),
                "recusadas": list(self.recusadas), "incompletas": list(self.incompletas),
                "fora_de_prazo": self.fora_de_prazo, "aviso": self.aviso, "dry_run": self.dry_run}


def prazo_cessacoes(ex: Execucao):
    """The deadline of the month's cessations: day 10 of M+1 (DR 1-A/2011 art. 8.º n.º 1), as a ``Prazo``."""
    from ciclo.domain.calendario import prazos

    return replace(prazos(ex.mes)["contratos"], passo="cessações",
                   fonte="Art. 8.º n.º 1 DR 1-A/2011 (red. 2025): cessação até ao dia 10 do mês seguinte")


def cessacoes_do_mes(payroll, ex: Execucao) -> tuple[list, list[dict]]:
    """(``CessacaoVinculo`` per worker whose vínculo ends in the month, [{niss_trabalhador, falta}] for those the
    payroll does not say enough about). The latest contract row of the worker with a ``fim_vinculo`` decides."""
    from ciclo.psi.models.vinculos import CessacaoVinculo

    df = payroll.contratos
    if df is None or len(df) == 0 or "fim_vinculo" not in df.columns:
        return [], []
    por_trab: dict[str, dict] = {}
    for row in df.to_dict("records"):
        fim = _data(row.get("fim_vinculo"))
        niss = row.get("niss_trabalhador")
        if fim is None or _vazio(niss) or not ex.ano_mes.contem(fim):
            continue
        atual = por_trab.get(niss)
        if atual is None or (_data(row.get("inicio_contrato")) or date.min) >= (_data(atual.get("inicio_contrato")) or date.min):
            por_trab[str(niss)] = row
    out, incompletas = [], []
    for niss, row in sorted(por_trab.items()):
        motivo = None if _vazio(row.get("motivo_fim_vinculo")) else str(row["motivo_fim_vinculo"]).strip().upper()
        des = None if _vazio(row.get("comunicacao_desemprego")) else str(row["comunicacao_desemprego"]).strip().upper()
        falta = []
        if not motivo:
            falta.append("motivo_fim_vinculo")
        if des not in _SIM | _NAO:
            falta.append("comunicacao_desemprego (S/N)")
        if falta:
            incompletas.append({"niss_trabalhador": niss, "data_fim_vinculo": _data(row["fim_vinculo"]).isoformat(),
                                "falta": falta})
            continue
        fund = None if _vazio(row.get("fundamentacao_fim_vinculo")) else str(row["fundamentacao_fim_vinculo"]).strip()
        out.append(CessacaoVinculo(niss, _data(row["fim_vinculo"]), motivo, des in _SIM, fund))
    return out, incompletas


def comunicar_cessacoes(ex: Execucao, p: Portas, content_hash: str | None = None, *,
                        hoje: date | None = None) -> ResultadoCessacoes:
    """Communicate each cessation of the verified payroll's month once (see the module docstring). Refusals and
    incomplete payroll data do not stop the employer's values: they are in the result and told to the operator."""
    from ciclo.app.concessao import concessao
    from ciclo.app.folha import TIPOS_CONTRATOS, carregar_snapshot, snapshot_verificado

    snap = snapshot_verificado(ex, p, content_hash)
    payroll = carregar_snapshot(ex, p, snap["content_hash"], tipos=TIPOS_CONTRATOS)
    cessacoes, incompletas = cessacoes_do_mes(payroll, ex)
    prazo = prazo_cessacoes(ex)
    dia = hoje or _hoje()
    fora = dia > prazo.data
    repo = p.ledger.vinculos

    def pendentes():
        out = []
        for c in cessacoes:
            row = repo.obter(ex.niss_ee, c.niss_trabalhador, CESSACAO, c.data_fim_vinculo)
            if row is None or row["estado"] != "ACKNOWLEDGED":
                out.append(c)
        return out

    a_fazer = pendentes()
    ja = [c.niss_trabalhador for c in cessacoes if c not in a_fazer]
    base = ResultadoCessacoes(prazo.data, len(a_fazer), ja_comunicadas=ja, incompletas=incompletas,
                              fora_de_prazo=fora and bool(a_fazer or incompletas), dry_run=ex.dry_run)
    if ex.dry_run or not a_fazer:
        return _avisar(ex, p, base, prazo)
    with concessao(ex, p, OP_CESSACAO):
        # under the lease the ledger is read again: another execution may have sent some meanwhile
        a_fazer = pendentes()
        ja = [c.niss_trabalhador for c in cessacoes if c not in a_fazer]
        res = _cessar(ex, p, a_fazer, prazo.data, fora)
    res = replace(res, ja_comunicadas=ja, incompletas=incompletas,
                  fora_de_prazo=fora and bool(a_fazer or incompletas))
    return _avisar(ex, p, res, prazo)


def _cessar(ex: Execucao, p: Portas, a_fazer: list, prazo: date, fora: bool) -> ResultadoCessacoes:
    from ciclo.psi import errors as E
    from ciclo.psi import vinculos as V
    from ciclo.psi.auth import exigir_credencial_propria

    repo = p.ledger.vinculos
    ligacao = p.psi(ex.employer)
    exigir_credencial_propria(ligacao.credenciais, ex.niss_ee, OP_CESSACAO)
    soap, consulta = V.cliente_cessacao(ligacao), V.cliente_trabalhadores(ligacao)
    enviadas, ja_no_ss, recusadas = [], [], []
    try:
        # Ask the SS once for the month: a cessation it already holds (an earlier run whose answer was lost, or one
        # the employer made in Segurança Social Direta) is recorded, not sent again.
        fins = _fins_no_ss(ex, p, consulta)
        for c in a_fazer:
            niss_t = c.niss_trabalhador
            row = repo.obter(ex.niss_ee, niss_t, CESSACAO, c.data_fim_vinculo)
            retoma = row is not None and row["estado"] in ("SENT", "UNKNOWN")
            if c.data_fim_vinculo in fins.get(niss_t, set()):
                if row is None:
                    row = repo.inserir(ex.niss_ee, niss_t, CESSACAO, c.data_fim_vinculo, ex.mes, c.as_dict(),
                                       prazo=prazo, fora_de_prazo=fora)
                repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                               mensagens="o vínculo já termina nesta data na Segurança Social (consulta de trabalhadores)")
                ja_no_ss.append(niss_t)
                continue
            if row is None:
                row = repo.inserir(ex.niss_ee, niss_t, CESSACAO, c.data_fim_vinculo, ex.mes, c.as_dict(),
                                   prazo=prazo, fora_de_prazo=fora)  # PENDING, committed before the call
            repo.atualizar(row["id"], estado="SENT", tentativas=int(row["tentativas"] or 0) + 1)
            t0 = time.monotonic()
            try:
                soap.cessar(c)
            except (V.CessacaoRecusada, V.CessacaoParametroEmFalta) as exc:
                msgs = list(exc.mensagens or [str(exc)])
                if retoma and any(m.startswith(f"{JA_CESSADO} {c.data_fim_vinculo.isoformat()}") for m in msgs):
                    repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                                   mensagens="aplicada numa tentativa anterior (confirmado pela resposta do SS)")
                    _auditar(p, ex, OP_CESSACAO, "ok", t0, None, niss_t)
                    ja_no_ss.append(niss_t)
                    continue
                repo.atualizar(row["id"], estado="FAILED", codigo_resultado=exc.codigo, mensagens="; ".join(msgs))
                recusadas.append({"niss_trabalhador": niss_t, "codigo": exc.codigo, "mensagens": "; ".join(msgs)})
                _auditar(p, ex, OP_CESSACAO, "erro", t0, exc, niss_t)
                continue
            except E.PsiError as exc:
                # codigo 0 says "not registered"; anything else after the request left may have been applied:
                # the next attempt asks the SS first (and reads "Vínculo já cessado" on a resend as applied)
                desconhecido = not isinstance(exc, V.CessacaoErroInterno)
                repo.atualizar(row["id"], estado="UNKNOWN" if desconhecido else "PENDING",
                               mensagens=type(exc).__name__)
                _auditar(p, ex, OP_CESSACAO, "desconhecido" if desconhecido else "erro", t0, exc, niss_t)
                raise
            repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1, mensagens=None)
            _auditar(p, ex, OP_CESSACAO, "ok", t0, None, niss_t)
            enviadas.append(niss_t)
    finally:
        soap.close()
        consulta.close()
    log.info("cessations %s: %d sent, %d already at the SS, %d refused", ex.rotulo, len(enviadas), len(ja_no_ss),
             len(recusadas))
    return ResultadoCessacoes(prazo, len(a_fazer), enviadas, [], ja_no_ss, recusadas, fora_de_prazo=fora)


def _fins_no_ss(ex: Execucao, p: Portas, consulta) -> dict[str, set[date]]:
    """NISS → the end dates of the vínculos the SS holds for the employer in the month."""
    out: dict[str, set[date]] = {}
    for t in _consultar(ex, p, consulta, ex.ano_mes.primeiro_dia, ex.ano_mes.ultimo_dia):
        if t.data_fim is not None:
            out.setdefault(t.niss_trabalhador, set()).add(t.data_fim)
    return out


def _consultar(ex: Execucao, p: Portas, consulta, inicio: date, fim: date, niss: str | None = None):
    t0 = time.monotonic()
    try:
        out = consulta.trabalhadores_vinculados(inicio, fim, niss)
    except Exception as exc:
        _auditar(p, ex, "consultarTrabalhadores", "erro", t0, exc, niss)
        raise
    _auditar(p, ex, "consultarTrabalhadores", "ok", t0, None, niss)
    return out


def _avisar(ex: Execucao, p: Portas, res: ResultadoCessacoes, prazo) -> ResultadoCessacoes:
    """The operator is told about late, refused or incomplete cessations (result, log and notification)."""
    partes = []
    if res.fora_de_prazo:
        partes.append(f"cessações de {ex.mes[4:]}/{ex.mes[:4]} comunicadas fora de prazo (prazo legal "
                      f"{prazo.data.strftime('%d/%m/%Y')}, {prazo.fonte})")
    if res.recusadas:
        partes.append("cessações recusadas pela Segurança Social: " + "; ".join(
            f"{r['niss_trabalhador']}: {r['mensagens']}" for r in res.recusadas[:20]))
    if res.incompletas:
        partes.append("cessações por comunicar por falta de dados na folha: " + "; ".join(
            f"{r['niss_trabalhador']} (fim {r['data_fim_vinculo']}; falta {', '.join(r['falta'])})"
            for r in res.incompletas[:20]))
    if not partes:
        return res
    aviso = f"{ex.rotulo}: " + " — ".join(partes)
    log.warning("%s", aviso)
    if p.notificador is not None and not res.dry_run:
        p.notificador.notificar({"tipo": "cessacoes", "niss_ee": ex.niss_ee, "ano_mes": ex.mes, **res.as_dict(),
                                 "aviso": aviso}, f"Ciclo contributivo: {aviso}")
    return replace(res, aviso=aviso)


def _auditar(p: Portas, ex: Execucao, servico: str, resultado: str, t0: float, exc: Exception | None,
             niss_t: str | None) -> None:
    p.ledger.auditoria.registar(servico, "POST", resultado, int((time.monotonic() - t0) * 1000), niss_ee=ex.niss_ee,
                                ano_mes=ex.mes, erro_classe=type(exc).__name__ if exc else None,
                                status=getattr(exc, "status", None), referencia=niss_t)


# ================================================================================================= admissions
def _nome_mes(ex: Execucao) -> str:
    return f"{ex.mes[4:]}/{ex.mes[:4]}"


def _trabalhadores_do_mes(payroll, ex: Execucao) -> dict[str, dict]:
    """NISS → {nome, data_nascimento, enquadramento, contrato (the first row in force in the month)} for every payroll
    worker whose vínculo overlaps the month."""
    m0, m1 = ex.ano_mes.primeiro_dia, ex.ano_mes.ultimo_dia
    info = {str(r["niss_trabalhador"]): r for r in payroll.trabalhadores.to_dict("records")
            if not _vazio(r.get("niss_trabalhador"))}
    out: dict[str, dict] = {}
    linhas = sorted(payroll.contratos.to_dict("records"), key=lambda r: _data(r.get("inicio_contrato")) or date.min)
    for r in linhas:
        niss = None if _vazio(r.get("niss_trabalhador")) else str(r["niss_trabalhador"])
        iv = _data(r.get("inicio_vinculo")) or _data(r.get("inicio_contrato"))
        fv = _data(r.get("fim_vinculo"))
        if niss is None or iv is None or iv > m1 or (fv is not None and fv < m0) or niss in out:
            continue
        t = info.get(niss, {})
        out[niss] = {"nome": t.get("nome") or "", "data_nascimento": _data(t.get("data_nascimento")),
                     "enquadramento": t.get("enquadramento"), "inicio_vinculo": iv, "contrato": r}
    return out


def _pedido(ex: Execucao, niss: str, t: dict) -> tuple[dict | None, str | None]:
    """(the admission body as JSON-safe dict, None) or (None, why the pipeline cannot build it)."""
    from ciclo.domain.contrato_trabalho import ContratoTrabalho
    from ciclo.domain import jsonexato
    from ciclo.psi.models.vinculos import ENQUADRAMENTO_ADMISSAO, PedidoAdmissao

    if t["data_nascimento"] is None:
        return None, "a folha não tem a data de nascimento do trabalhador (obrigatória na admissão)"
    enq = ENQUADRAMENTO_ADMISSAO.get(str(t["enquadramento"] or ""))
    if enq is None:
        return None, (f"o enquadramento {t['enquadramento']} não tem código conhecido na comunicação de admissão "
                      f"(só REGE, regime geral, está documentado)")
    c = ContratoTrabalho.de_campos(t["contrato"])
    campos = {"niss-entidade-empregadora": int(ex.niss_ee), "niss-trabalhador": int(niss),
              "data-nascimento": t["data_nascimento"], "modalidade-contrato": c.modalidade_contrato,
              "prestacao-trabalho": c.prestacao_trabalho or "P", "inicio-contrato": t["inicio_vinculo"],
              "profissao": c.profissao, "remuneracao-base": c.remuneracao_base, "enquadramento": enq,
              "fim-contrato": c.fim_contrato, "percentagem-trabalho": c.percentagem_trabalho,
              "horas-trabalho": c.horas_trabalho, "dias-trabalho": c.dias_trabalho,
              "motivo-contrato": c.motivo_contrato,
              "niss-trabalhador-substituir": int(c.niss_trabalhador_substituir) if c.niss_trabalhador_substituir else None}
    try:
        pedido = PedidoAdmissao.model_validate({k: v for k, v in campos.items() if v is not None})
    except ValueError as exc:
        return None, f"o contrato da folha não chega para a admissão ({str(exc).splitlines()[0]})"
    # JSON-safe (strings for dates and exact decimals) so the proposal travels through XCom and the approval
    return jsonexato.loads(jsonexato.dumps(pedido.corpo())), None


def propostas(ex: Execucao, p: Portas) -> list[Proposta]:
    """One ``ADMISSAO`` proposal per payroll worker of the month whom the Segurança Social does not hold as bound
    to the employer in the month (asked with "Consultar Trabalhadores"). Nothing is sent here."""
    from ciclo.app.folha import TIPOS_CONTRATOS, carregar_snapshot, snapshot_verificado
    from ciclo.psi import vinculos as V
    from ciclo.psi.auth import exigir_credencial_propria

    snap = snapshot_verificado(ex, p)
    payroll = carregar_snapshot(ex, p, snap["content_hash"], tipos=TIPOS_CONTRATOS)
    trabalhadores = _trabalhadores_do_mes(payroll, ex)
    if not trabalhadores:
        return []
    ligacao = p.psi(ex.employer)
    exigir_credencial_propria(ligacao.credenciais, ex.niss_ee, V.SERVICO_TRABALHADORES)
    consulta = V.cliente_trabalhadores(ligacao)
    try:
        no_ss = _consultar(ex, p, consulta, ex.ano_mes.primeiro_dia, ex.ano_mes.ultimo_dia)
    finally:
        consulta.close()
    conhecidos = {t.niss_trabalhador for t in no_ss
                  if t.vinculado_em(ex.ano_mes.primeiro_dia, ex.ano_mes.ultimo_dia)}
    hoje = _hoje()
    out = []
    for niss, t in sorted(trabalhadores.items()):
        if niss in conhecidos:
            continue
        row = p.ledger.vinculos.obter(ex.niss_ee, niss, TIPO, t["inicio_vinculo"])
        if row is not None and row["estado"] == "ACKNOWLEDGED":
            log.warning("%s: admission of %s acknowledged on %s but not yet listed by the Segurança Social",
                        ex.rotulo, niss, row["updated_at"])
            continue
        pedido, impedimento = _pedido(ex, niss, t)
        out.append(Proposta(TIPO, f"{TIPO}:{niss}", _descricao(ex, niss, t, pedido, impedimento, hoje),
                            {"niss_trabalhador": niss, "nome": t["nome"], "inicio": t["inicio_vinculo"].isoformat(),
                             "pedido": pedido, "impedimento": impedimento}))
    if out:
        log.warning("%s: %d worker(s) in the payroll unknown to the Segurança Social: %s", ex.rotulo, len(out),
                    ", ".join(pr.dados["niss_trabalhador"] for pr in out))
    return out


def _descricao(ex: Execucao, niss: str, t: dict, pedido: dict | None, impedimento: str | None, hoje: date) -> str:
    quem = f"{t['nome']} (NISS {niss})" if t["nome"] else f"NISS {niss}"
    inicio = t["inicio_vinculo"].strftime("%d/%m/%Y")
    texto = (f"{quem} está na folha de {_nome_mes(ex)} mas a Segurança Social não o tem como trabalhador desta "
             f"entidade empregadora nesse mês (consulta de trabalhadores vinculados). ")
    if pedido is not None:
        base = Decimal(str(pedido["remuneracao-base"]))
        texto += (f"Se aprovar, é comunicada a admissão: vínculo desde {inicio}, contrato "
                  f"{pedido['modalidade-contrato']}, profissão {pedido['profissao']}, remuneração base "
                  f"{format(base, '.2f').replace('.', ',')} €, enquadramento {pedido['enquadramento']}. ")
    else:
        texto += (f"A admissão (vínculo desde {inicio}) não pode ser comunicada pelo ciclo: {impedimento}; "
                  f"comunique-a na Segurança Social Direta. ")
    texto += ("A admissão é legalmente devida antes do início do trabalho (Código dos Regimes Contributivos "
              "art. 29.º; DR 1-A/2011 art. 5.º)")
    texto += ", pelo que esta comunicação já é tardia. " if t["inicio_vinculo"] <= hoje else ". "
    texto += "Sem ela, os valores deste trabalhador não são considerados no apuramento."
    return texto


def aplicar(ex: Execucao, p: Portas, proposta: Proposta, *, aprovado_por: str | None = None) -> dict:
    """Communicate an approved admission, once: asks the Segurança Social first (he may be bound already — an
    earlier attempt whose answer was lost, or an admission made in Segurança Social Direta)."""
    from ciclo.app.concessao import concessao
    from ciclo.domain import jsonexato
    from ciclo.psi import errors as E
    from ciclo.psi import vinculos as V
    from ciclo.psi.models.vinculos import PedidoAdmissao

    if proposta.tipo != TIPO:
        raise ValueError(f"{ex.rotulo}: {proposta.chave} is not an {TIPO} proposal")
    d = proposta.dados
    niss = str(d["niss_trabalhador"])
    if not d.get("pedido"):
        raise Definitivo(f"{ex.rotulo}: the admission of {niss} cannot be sent by the pipeline: {d.get('impedimento')}; "
                         f"communicate it in Segurança Social Direta")
    pedido = PedidoAdmissao.model_validate(d["pedido"])
    if ex.dry_run:
        return {"tipo": TIPO, "niss_trabalhador": niss, "estado": "DRY_RUN"}
    if str(pedido.niss_entidade_empregadora).zfill(11) != ex.niss_ee:
        raise Definitivo(f"{ex.rotulo}: proposal {proposta.chave} belongs to another employer")
    inicio = pedido.inicio_contrato
    repo = p.ledger.vinculos
    with concessao(ex, p, OP_ADMISSAO):
        row = repo.obter(ex.niss_ee, niss, TIPO, inicio)
        if row is not None and row["estado"] == "ACKNOWLEDGED":
            return {"tipo": TIPO, "niss_trabalhador": niss, "estado": "JA_COMUNICADA"}
        if row is not None and row["estado"] == "FAILED":
            if row["campos_json"] == jsonexato.dumps(pedido.corpo()):
                raise Definitivo(f"{ex.rotulo}: the admission of {niss} was refused by the Segurança Social "
                                 f"({row['mensagens']}); fix the payroll or communicate it in Segurança Social Direta")
            # the payroll was fixed since the refusal: the corrected admission is a new attempt of the same event
            repo.atualizar(row["id"], estado="PENDING", campos_json=jsonexato.dumps(pedido.corpo()),
                           aprovado_por=aprovado_por, codigo_resultado=None, mensagens=None)
            row = repo.obter(ex.niss_ee, niss, TIPO, inicio)
        ligacao = p.psi(ex.employer)
        consulta = V.cliente_trabalhadores(ligacao)
        try:
            if _vinculado(ex, p, consulta, niss, inicio):
                if row is None:
                    row = repo.inserir(ex.niss_ee, niss, TIPO, inicio, ex.mes, pedido.corpo(), aprovado_por=aprovado_por)
                repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                               mensagens="já vinculado na Segurança Social (consulta de trabalhadores)")
                return {"tipo": TIPO, "niss_trabalhador": niss, "estado": "JA_NO_SS"}
            if row is None:
                row = repo.inserir(ex.niss_ee, niss, TIPO, inicio, ex.mes, pedido.corpo(),
                                   aprovado_por=aprovado_por)  # PENDING, committed before the POST
            repo.atualizar(row["id"], estado="SENT", tentativas=int(row["tentativas"] or 0) + 1)
            try:
                with p.cliente(ex) as client:   # audited REST client
                    V.comunicar_admissao(client, pedido)
            except E.PsiValidationError as exc:
                repo.atualizar(row["id"], estado="FAILED", codigo_resultado=exc.status, mensagens=exc.ss_message[:2000])
                raise Definitivo(f"{ex.rotulo}: the Segurança Social refused the admission of {niss}: "
                                 f"{exc.ss_message}") from None
            except (E.PsiAuthError, E.PsiForbiddenError, E.PsiCredencialInadequada) as exc:
                repo.atualizar(row["id"], estado="FAILED", mensagens=type(exc).__name__)
                raise
            except E.PsiError as exc:
                repo.atualizar(row["id"], estado="UNKNOWN", mensagens=f"{type(exc).__name__}: {exc}"[:2000])
                if _vinculado(ex, p, consulta, niss, inicio):
                    repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                                   mensagens="sem resposta, mas vinculado na Segurança Social")
                    return {"tipo": TIPO, "niss_trabalhador": niss, "estado": "COMUNICADA"}
                raise Repetivel(f"{ex.rotulo}: no answer to the admission of {niss} ({type(exc).__name__}) and the "
                                f"Segurança Social does not show him yet; a retry asks again before resending") from None
        finally:
            consulta.close()
    repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1, mensagens=None)
    log.info("%s: admission of %s communicated (vínculo from %s)", ex.rotulo, niss, inicio)
    return {"tipo": TIPO, "niss_trabalhador": niss, "estado": "COMUNICADA"}


def _vinculado(ex: Execucao, p: Portas, consulta, niss: str, inicio: date) -> bool:
    """The Segurança Social holds ``niss`` as bound to the employer on ``inicio``."""
    return any(t.niss_trabalhador == niss and t.vinculado_em(inicio, inicio)
               for t in _consultar(ex, p, consulta, inicio, inicio, niss))
