"""One repository per aggregate of the ledger. Nothing outside ``ciclo.ledger`` reads or writes these tables
(the reporting SQL in ``include/sql/`` is run through them too). Money is stored as integer cents."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ciclo.domain import jsonexato
from ciclo.domain.dinheiro import from_cent, to_cent

# rows per INSERT of a large set (the internal totals of a 50,000-worker month): one statement's parameters at a time
LOTE_INSERCAO = 5000


def _now():
    from ciclo.ledger.db import now

    return now()


def _dicts(resultado) -> list[dict]:
    """The rows of ``resultado`` as dicts, the column names read once (``.mappings()`` builds a key view per row:
    0.7 s for a 10,000-worker month's report)."""
    colunas = list(resultado.keys())
    return [dict(zip(colunas, linha)) for linha in resultado]


def _data(v) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _apagar(repo: "_Repo", tabelas: tuple[str, ...], niss_ee: str, ano_mes: str) -> None:
    with repo._begin() as c:
        for nome in tabelas:
            t = repo.t[nome]
            c.execute(t.delete().where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))


class _Repo:
    def __init__(self, db):
        self._db = db

    @property
    def t(self):
        return self._db.t

    def _begin(self):
        return self._db.begin()

    def _ler(self):
        return self._db.ler()

    def _um(self, q) -> dict | None:
        with self._ler() as c:
            r = c.execute(q).mappings().first()
        return dict(r) if r else None

    def _todos(self, q) -> list[dict]:
        with self._ler() as c:
            return _dicts(c.execute(q))


# ------------------------------------------------------------------------------------------------ payroll snapshots
class Folhas(_Repo):
    """The payroll export of an EE and month, kept byte for byte by content hash, with the quality verdict and the
    payload built from it (the only payload sending accepts)."""

    def guardar_ficheiros(self, content_hash: str, ficheiros: dict[str, tuple[str, bytes]]) -> None:
        """``ficheiros``: name → (kind, bytes). Idempotent: the same hash always names the same bytes."""
        t = self.t["payroll_ficheiro"]
        with self._begin() as c:
            existentes = {r[0] for r in c.execute(sa.select(t.c.nome).where(t.c.content_hash == content_hash))}
            novos = [{"content_hash": content_hash, "nome": n, "tipo": k, "dados": d}
                     for n, (k, d) in sorted(ficheiros.items()) if n not in existentes]
            if novos:
                c.execute(t.insert(), novos)

    def ficheiros(self, content_hash: str) -> dict[str, bytes]:
        t = self.t["payroll_ficheiro"]
        with self._ler() as c:
            return {r.nome: bytes(r.dados) for r in c.execute(sa.select(t.c.nome, t.c.dados)
                                                               .where(t.c.content_hash == content_hash))}

    def registar(self, niss_ee: str, ano_mes: str, content_hash: str, *, n_trabalhadores: int, n_remuneracoes: int,
                 quality_ok: bool, n_erros: int, n_avisos: int, report_path: str | None,
                 payload_hash: str | None = None, payload_json: str | None = None) -> None:
        with self._begin() as c:
            self._db.upsert(c, "payroll_snapshot", [{
                "niss_ee": niss_ee, "ano_mes": ano_mes, "content_hash": content_hash,
                "n_trabalhadores": n_trabalhadores, "n_remuneracoes": n_remuneracoes, "quality_ok": quality_ok,
                "n_erros": n_erros, "n_avisos": n_avisos, "report_path": report_path, "created_at": _now(),
                "payload_hash": payload_hash, "payload_json": payload_json,
            }], keys=["niss_ee", "ano_mes", "content_hash"])

    def ultima(self, niss_ee: str, ano_mes: str) -> dict | None:
        t = self.t["payroll_snapshot"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes)
                        .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1))

    def por_hash(self, niss_ee: str, ano_mes: str, content_hash: str) -> dict | None:
        t = self.t["payroll_snapshot"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes,
                                           t.c.content_hash == content_hash))


# ------------------------------------------------------------------------------------------------ audit
class Auditoria(_Repo):
    """One row per external call: service, method, HTTP status, outcome, duration, the SS's reference. Never
    secrets, never amounts."""

    def registar(self, servico: str, metodo: str, resultado: str, duracao_ms: int, *, status: int | None = None,
                 niss_ee: str | None = None, ano_mes: str | None = None, erro_classe: str | None = None,
                 referencia: str | None = None) -> None:
        # in one transaction with the rows other threads (a lote's employers) write at the same time
        self._db.inserir_agrupado("chamada_externa", dict(
            niss_ee=niss_ee, ano_mes=ano_mes, servico=servico, metodo=metodo, status=status, resultado=resultado,
            duracao_ms=int(duracao_ms), erro_classe=erro_classe, referencia=referencia, created_at=_now()))

    def linhas(self, niss_ee: str | None = None, ano_mes: str | None = None) -> list[dict]:
        t = self.t["chamada_externa"]
        q = sa.select(t).order_by(t.c.id)
        if niss_ee:
            q = q.where(t.c.niss_ee == niss_ee)
        if ano_mes:
            q = q.where(t.c.ano_mes == ano_mes)
        return self._todos(q)


# ------------------------------------------------------------------------------------------------ submissions
class Submissoes(_Repo):
    """Valores de remuneração submissions: PENDING → SENT → ACKNOWLEDGED (or FAILED / UNKNOWN)."""

    def do_mes(self, niss_ee: str, ano_mes: str) -> list[dict]:
        t = self.t["submissao"]
        return self._todos(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes).order_by(t.c.id))

    def por_chave(self, key: str) -> dict | None:
        t = self.t["submissao"]
        return self._um(sa.select(t).where(t.c.idempotency_key == key))

    def inserir(self, key: str, niss_ee: str, ano_mes: str, payload_hash: str, n_trabalhadores: int,
                correcao: bool) -> dict:
        """Commit a PENDING row *before* the POST (a crash after this leaves evidence to resume from)."""
        with self._begin() as c:
            c.execute(self.t["submissao"].insert().values(
                idempotency_key=key, niss_ee=niss_ee, ano_mes=ano_mes, payload_hash=payload_hash, estado="PENDING",
                correcao=correcao, n_trabalhadores=n_trabalhadores, tentativas=0, created_at=_now(),
                updated_at=_now()))
        return self.por_chave(key)

    def atualizar(self, key: str, **values) -> dict:
        values["updated_at"] = _now()
        t = self.t["submissao"]
        with self._begin() as c:
            c.execute(t.update().where(t.c.idempotency_key == key).values(**values))
        return self.por_chave(key)

    def comprovativos_conhecidos(self, niss_ee: str, ano_mes: str) -> set[str]:
        return {s["comprovativo_entrega"] for s in self.do_mes(niss_ee, ano_mes) if s["comprovativo_entrega"]}


# ------------------------------------------------------------------------------------------------ contract changes
class Contratos(_Repo):
    """Contract changes communicated through SOAP, one row per (worker, contract version)."""

    def por_hash(self, niss_ee: str, niss_trabalhador: str, campos_hash: str) -> dict | None:
        t = self.t["contrato_comunicado"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.niss_trabalhador == niss_trabalhador,
                                           t.c.campos_hash == campos_hash))

    def comunicados(self, niss_ee: str) -> dict[str, dict]:
        """Latest acknowledged contract per worker of an EE."""
        t = self.t["contrato_comunicado"]
        out: dict[str, dict] = {}
        for r in self._todos(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.estado == "ACKNOWLEDGED")
                             .order_by(t.c.inicio_contrato, t.c.id)):
            out[r["niss_trabalhador"]] = r
        return out

    def inserir(self, niss_ee: str, niss_trabalhador: str, ano_mes: str, inicio: date, campos_hash: str,
                campos: dict) -> dict:
        with self._begin() as c:
            c.execute(self.t["contrato_comunicado"].insert().values(
                niss_ee=niss_ee, niss_trabalhador=niss_trabalhador, ano_mes=ano_mes, inicio_contrato=inicio,
                campos_hash=campos_hash, campos_json=jsonexato.dumps(campos), estado="PENDING", created_at=_now(),
                updated_at=_now()))
        return self.por_hash(niss_ee, niss_trabalhador, campos_hash)

    def atualizar(self, row_id: int, **values) -> None:
        values["updated_at"] = _now()
        t = self.t["contrato_comunicado"]
        with self._begin() as c:
            c.execute(t.update().where(t.c.id == row_id).values(**values))

    def do_ee(self, niss_ee: str, ano_mes: str | None = None) -> list[dict]:
        t = self.t["contrato_comunicado"]
        q = sa.select(t).where(t.c.niss_ee == niss_ee).order_by(t.c.id)
        if ano_mes:
            q = q.where(t.c.ano_mes == ano_mes)
        return self._todos(q)


# ------------------------------------------------------------------------------------------------ apuramento
class Apuramentos(_Repo):
    """The apuramento of an EE's month as last seen at the Segurança Social."""

    def apagar_mes(self, niss_ee: str, ano_mes: str) -> None:
        """Forget the month's apuramento (a correction makes the SS compute it again)."""
        _apagar(self, ("apuramento",), niss_ee, ano_mes)

    def registar(self, niss_ee: str, ano_mes: str, estado: str, *, n_trabalhadores: int | None = None,
                 total_remuneracao=None, total_obrigacao=None, data_limite_pagamento=None) -> None:
        with self._begin() as c:
            self._db.upsert(c, "apuramento", [{
                "niss_ee": niss_ee, "ano_mes": ano_mes, "estado": estado, "n_trabalhadores": n_trabalhadores,
                "total_remuneracao_cent": None if total_remuneracao is None else to_cent(total_remuneracao),
                "total_obrigacao_cent": None if total_obrigacao is None else to_cent(total_obrigacao),
                "data_limite_pagamento": _data(data_limite_pagamento), "verificado_em": _now(),
            }], keys=["niss_ee", "ano_mes"])

    def obter(self, niss_ee: str, ano_mes: str) -> dict | None:
        t = self.t["apuramento"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))


# ------------------------------------------------------------------------------------------------ valores apurados
class Apurados(_Repo):
    """The Segurança Social's valores apurados per worker, raw and summarised by natureza and enquadramento."""

    def apagar_mes(self, niss_ee: str, ano_mes: str) -> None:
        """Forget the month's valores apurados: after a correction every worker is fetched again."""
        _apagar(self, ("apurado_remuneracao", "apurado_contribuicao", "valores_apurados"), niss_ee, ano_mes)

    def guardar(self, niss_ee: str, ano_mes: str, docs: list[dict]) -> None:
        """Store raw per-worker valores apurados (dicts as received, amounts Decimal or numbers) and their lines,
        in one transaction (callers batch a few hundred documents). The raw document is the text received when the
        dict carries it (``jsonexato.ObjetoRecebido``, from the bulk fetch: not written again, ≈45 µs each)."""
        if not docs:
            return
        va, rem, con = [], [], []
        t = _now()
        for d in docs:
            niss_t = str(d["nissTrabalhador"]).zfill(11)
            remuneracoes = d.get("remuneracoes") or []
            va.append({
                "niss_ee": niss_ee, "ano_mes": ano_mes, "niss_trabalhador": niss_t,
                "total_remuneracao_cent": to_cent(d.get("totalRemuneracao") or 0),
                "total_contribuicao_cent": to_cent(d.get("totalContribuicao") or 0),
                "total_reducao_cent": to_cent(d.get("totalReducao") or 0),
                "total_obrigacao_cent": to_cent(d.get("totalObrigacao") or 0),
                "dias_trabalho": _soma_dias_p(remuneracoes, "diasTrabalho"),
                "dias_inatividade": _soma_dias_p(remuneracoes, "diasInatividade"),
                # the SS's text as received when the client kept it (jsonexato.ObjetoRecebido), else written again
                "raw_json": texto if (texto := getattr(d, "texto", None)) is not None else jsonexato.dumps(d),
                "obtido_em": t,
            })
            por_natureza: dict[str, dict] = {}
            for r in remuneracoes:
                n = str(r.get("natureza"))
                acc = por_natureza.setdefault(n, {"niss_ee": niss_ee, "ano_mes": ano_mes, "niss_trabalhador": niss_t,
                                                  "natureza": n, "remuneracao_cent": 0, "dias_trabalho": Decimal(0),
                                                  "origem": r.get("origem")})
                acc["remuneracao_cent"] += to_cent(r.get("remuneracao") or 0)
                acc["dias_trabalho"] += Decimal(str(r.get("diasTrabalho") or 0))
            rem.extend(por_natureza.values())
            por_enq: dict[str, dict] = {}
            for c in d.get("contribuicoes") or []:
                e = str(c.get("enquadramento"))
                acc = por_enq.setdefault(e, {"niss_ee": niss_ee, "ano_mes": ano_mes, "niss_trabalhador": niss_t,
                                             "enquadramento": e, "valor_cotizacao_cent": 0, "valor_contribuicao_cent": 0,
                                             "obrigacao_cent": 0, "taxa_cotizacao": _dec(c.get("taxaCotizacao")),
                                             "taxa_contribuicao": _dec(c.get("taxaContribuicao"))})
                acc["valor_cotizacao_cent"] += to_cent(c.get("valorCotizacao") or 0)
                acc["valor_contribuicao_cent"] += to_cent(c.get("valorContribuicao") or 0)
                acc["obrigacao_cent"] += to_cent(c.get("obrigacao") or 0)
            con.extend(por_enq.values())
        with self._begin() as conn:
            self._db.upsert(conn, "valores_apurados", va, keys=["niss_ee", "ano_mes", "niss_trabalhador"])
            nisses = [v["niss_trabalhador"] for v in va]
            for table in ("apurado_remuneracao", "apurado_contribuicao"):
                tb = self.t[table]
                conn.execute(tb.delete().where(tb.c.niss_ee == niss_ee, tb.c.ano_mes == ano_mes,
                                               tb.c.niss_trabalhador.in_(nisses)))
            if rem:
                conn.execute(self.t["apurado_remuneracao"].insert(), rem)
            if con:
                conn.execute(self.t["apurado_contribuicao"].insert(), con)

    def obtidos(self, niss_ee: str, ano_mes: str) -> set[str]:
        t = self.t["valores_apurados"]
        with self._ler() as c:
            return {r[0] for r in c.execute(
                sa.select(t.c.niss_trabalhador).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))}

    def em_falta(self, niss_ee: str, ano_mes: str, esperados: Iterable[str], *,
                 obtidos: set[str] | None = None) -> list[str]:
        """The expected workers not yet fetched, in order; ``obtidos`` when the caller already read them."""
        ja = self.obtidos(niss_ee, ano_mes) if obtidos is None else obtidos
        return sorted({str(n).zfill(11) for n in esperados} - ja)

    def do_mes(self, niss_ee: str, ano_mes: str) -> list[dict]:
        t = self.t["valores_apurados"]
        return self._todos(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes)
                           .order_by(t.c.niss_trabalhador))


def _dec(v) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _soma_dias_p(remuneracoes: list[dict], campo: str) -> Decimal | None:
    """Days of work (or inactivity) of the month: the sum over the permanent-remuneration (P) periods — other
    naturezas carry their own day counts (e.g. meal allowance days) that are not days of work."""
    vals = [Decimal(str(r.get(campo))) for r in remuneracoes if r.get("natureza") == "P" and r.get(campo) is not None]
    return sum(vals, Decimal(0)) if vals else None


# ------------------------------------------------------------------------------------------------ reconciliation
class Reconciliacoes(_Repo):
    """The internal (payroll-side) totals, the differences found and the reconciliation of each EE's month."""

    def apagar_resultado(self, niss_ee: str, ano_mes: str) -> None:
        _apagar(self, ("diferenca", "reconciliacao"), niss_ee, ano_mes)

    def gravar_internos(self, niss_ee: str, ano_mes: str, trabalhadores: Iterable[dict], remuneracoes: Iterable[dict],
                        incidencia: Iterable[dict] | None = None) -> None:
        """Replace the internal totals of (EE, month), in one transaction: rows already in cents, keyed by worker (and
        natureza); ``incidencia``: gross, exempt and subject per natureza (``{natureza, bruto_cent, isento_cent,
        sujeito_cent}``). The rows may be iterators: they are read and inserted ``LOTE_INSERCAO`` at a time."""
        with self._begin() as conn:
            for nome in ("interno_incidencia", "interno_remuneracao", "interno_trabalhador"):
                t = self.t[nome]
                conn.execute(t.delete().where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))
            chave = {"niss_ee": niss_ee, "ano_mes": ano_mes}
            for nome, linhas in (("interno_trabalhador", trabalhadores), ("interno_remuneracao", remuneracoes),
                                 ("interno_incidencia", incidencia or ())):
                it = iter(linhas)
                while lote := [{**chave, **r} for r in itertools.islice(it, LOTE_INSERCAO)]:
                    conn.execute(self.t[nome].insert(), lote)

    def incidencia(self, niss_ee: str, ano_mes: str) -> list[dict] | None:
        """Gross, exempt and subject per natureza (Decimal), by natureza; None when the month's internal totals were
        stored without them (before ledger migration 0009)."""
        t, w = self.t["interno_incidencia"], self.t["interno_trabalhador"]
        with self._ler() as c:
            linhas = _dicts(c.execute(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes)
                                      .order_by(t.c.natureza)))
            if not linhas and c.execute(sa.select(w.c.niss_ee).where(w.c.niss_ee == niss_ee, w.c.ano_mes == ano_mes)
                                        .limit(1)).first() is not None:
                return None
        return [{"natureza": r["natureza"], "bruto": from_cent(r["bruto_cent"]), "isento": from_cent(r["isento_cent"]),
                 "sujeito": from_cent(r["sujeito_cent"])} for r in linhas]

    def n_internos(self, niss_ee: str, ano_mes: str) -> int:
        t = self.t["interno_trabalhador"]
        with self._ler() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(t)
                                 .where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes)).scalar_one())

    def consultar(self, sql: str, params: dict) -> list[dict]:
        """Run one of the reporting queries of ``include/sql/`` (read-only) against the ledger."""
        with self._ler() as c:
            return _dicts(c.execute(sa.text(sql), params))

    def gravar_resultado(self, niss_ee: str, ano_mes: str, diferencas: list[dict], resumo: dict) -> None:
        """Replace the differences and the reconciliation row of (EE, month) in one transaction."""
        with self._begin() as conn:
            t = self.t["diferenca"]
            conn.execute(t.delete().where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))
            if diferencas:
                conn.execute(t.insert(), [{**d, "niss_ee": niss_ee, "ano_mes": ano_mes, "created_at": _now()}
                                          for d in diferencas])
            self._db.upsert(conn, "reconciliacao", [{"niss_ee": niss_ee, "ano_mes": ano_mes, **resumo,
                                                     "reconciliado_em": _now()}], keys=["niss_ee", "ano_mes"])

    def obter(self, niss_ee: str, ano_mes: str) -> dict | None:
        t = self.t["reconciliacao"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))

    def diferencas(self, niss_ee: str, ano_mes: str) -> list[dict]:
        t = self.t["diferenca"]
        return self._todos(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes).order_by(t.c.id))


# ------------------------------------------------------------------------------------------------ decision
class Decisoes(_Repo):
    """The confirmation of the valores apurados (automatic, approved by the operator, or silence by day 20), or
    the operator's rejection. Recorded once; a re-run never confirms twice."""

    def apagar(self, niss_ee: str, ano_mes: str) -> None:
        """A correction asks for the decision again (the values it was about are gone)."""
        _apagar(self, ("confirmacao",), niss_ee, ano_mes)

    def obter(self, niss_ee: str, ano_mes: str) -> dict | None:
        t = self.t["confirmacao"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))

    def registar(self, niss_ee: str, ano_mes: str, estado: str, modo: str, decidido_por: str | None = None,
                 nota: str | None = None, data_confirmacao: str | None = None) -> dict:
        atual = self.obter(niss_ee, ano_mes)
        with self._begin() as c:
            self._db.upsert(c, "confirmacao", [{
                "niss_ee": niss_ee, "ano_mes": ano_mes, "estado": estado, "modo": modo, "decidido_por": decidido_por,
                "nota": nota, "data_confirmacao": data_confirmacao,
                "created_at": atual["created_at"] if atual else _now(), "updated_at": _now(),
            }], keys=["niss_ee", "ano_mes"])
        return self.obter(niss_ee, ano_mes)


# ------------------------------------------------------------------------------------------------ payment documents
class Documentos(_Repo):
    """Payment-document emission requests (by ``ambito``) and the documents received."""

    def apagar_pedidos(self, niss_ee: str, ano_mes: str) -> None:
        """Emission requests of the month (the documents received stay: they are history finance has seen)."""
        _apagar(self, ("pedido_emissao",), niss_ee, ano_mes)

    def pedido(self, niss_ee: str, ano_mes: str, ambito: int) -> dict | None:
        t = self.t["pedido_emissao"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes, t.c.ambito == ambito))

    def gravar_pedido(self, niss_ee: str, ano_mes: str, ambito: int, **values) -> dict:
        atual = self.pedido(niss_ee, ano_mes, ambito) or {"created_at": _now()}
        row = {"niss_ee": niss_ee, "ano_mes": ano_mes, "ambito": ambito, "chave": atual.get("chave"),
               "codigo_resultado": atual.get("codigo_resultado"), "estado": atual.get("estado", "PENDING"),
               "created_at": atual["created_at"], "updated_at": _now()}
        row.update(values)
        with self._begin() as c:
            self._db.upsert(c, "pedido_emissao", [row], keys=["niss_ee", "ano_mes", "ambito"])
        return self.pedido(niss_ee, ano_mes, ambito)

    def do_mes(self, niss_ee: str, ano_mes: str) -> list[dict]:
        t = self.t["documento_pagamento"]
        return self._todos(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes).order_by(t.c.numero))

    def gravar(self, niss_ee: str, ano_mes: str, docs: list[dict]) -> list[dict]:
        """Store documents as received (dicts in the wire's camelCase)."""
        rows = []
        for raw in docs:
            ref = raw.get("referenciaDocumentoPagamento") or {}
            mb = ref.get("pagamentoMultibanco") or {}
            tb = ref.get("pagamentoTransferenciaBancaria") or {}
            rows.append({
                "niss_ee": niss_ee, "ano_mes": ano_mes, "numero": str(raw["numeroDocumentoPagamento"]),
                "tipo": raw.get("tipo"), "subtipo": raw.get("subtipo"), "valor_cent": to_cent(raw["valor"]),
                "data_validade": _data(raw.get("dataValidade")),
                "entidade_mb": _s(mb.get("entidadeMultibanco")), "referencia_mb": _s(mb.get("referenciaMultibanco")),
                "iban": tb.get("iban"), "raw_json": jsonexato.dumps(raw), "obtido_em": _now(),
            })
        with self._begin() as c:
            self._db.upsert(c, "documento_pagamento", rows, keys=["niss_ee", "ano_mes", "numero"])
        return rows


def _s(v):
    return None if v is None else str(v)


# ------------------------------------------------------------------------------------------------ finance emails
class Emails(_Repo):
    """Finance emails sent, keyed by the hash of what they report (sent once per content)."""

    def ja_enviado(self, conteudo_hash: str) -> dict | None:
        t = self.t["email_financas"]
        return self._um(sa.select(t).where(t.c.conteudo_hash == conteudo_hash))

    def registar(self, conteudo_hash: str, ano_mes: str, niss_ees: list[str], destinatarios: list[str]) -> None:
        with self._begin() as c:
            self._db.upsert(c, "email_financas", [{
                "conteudo_hash": conteudo_hash, "ano_mes": ano_mes, "niss_ees": ",".join(niss_ees),
                "destinatarios": ",".join(destinatarios), "enviado_em": _now()}], keys=["conteudo_hash"])


# ------------------------------------------------------------------------------------------------ leases
class ConcessaoOcupada(RuntimeError):
    """Another execution holds the lease for this write; it names the holder and until when."""

    def __init__(self, message: str, *, dono: str):
        super().__init__(message)
        self.dono = dono


class Concessoes(_Repo):
    """A lease per (employer, month, operation), held in the ledger database, so that two executions of the same
    month (two runs, a ``dags test`` beside a deployment, a zombie) never both send."""

    def tomar(self, niss_ee: str, ano_mes: str, operacao: str, dono: str, segundos: float,
              substituir: str | None = None) -> None:
        """Take (or renew) the lease; ``substituir`` names a holder known to be dead, whose lease is taken over."""
        from datetime import timedelta

        agora = _now()
        t = self.t["concessao"]
        if self._db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(t).values(niss_ee=niss_ee, ano_mes=ano_mes, operacao=operacao, dono=dono,
                                expira_em=agora + timedelta(seconds=segundos))
        stmt = stmt.on_conflict_do_update(
            index_elements=["niss_ee", "ano_mes", "operacao"],
            set_={"dono": stmt.excluded.dono, "expira_em": stmt.excluded.expira_em},
            where=sa.or_(t.c.expira_em < agora, t.c.dono == stmt.excluded.dono,
                         t.c.dono == (substituir or stmt.excluded.dono)))
        with self._begin() as c:
            c.execute(stmt)
            atual = c.execute(sa.select(t.c.dono, t.c.expira_em).where(
                t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes, t.c.operacao == operacao)).one()
        if atual.dono != dono:
            raise ConcessaoOcupada(f"{operacao} of EE {niss_ee} {ano_mes} is being done by another execution "
                                   f"({atual.dono}, lease until {atual.expira_em}); not sending in parallel",
                                   dono=atual.dono)

    def largar(self, niss_ee: str, ano_mes: str, operacao: str, dono: str) -> None:
        t = self.t["concessao"]
        with self._begin() as c:
            c.execute(t.delete().where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes, t.c.operacao == operacao,
                                       t.c.dono == dono))


# ------------------------------------------------------------------------------------------------ reports (read-only)
def _sql_relatorio(nome: str) -> str:
    from ciclo.ledger.db import sql_dir

    texto = (sql_dir() / "relatorio" / nome).read_text(encoding="utf-8")
    return "\n".join(l for l in texto.splitlines() if not l.strip().startswith("--"))


class Relatorios(_Repo):
    """What the finance report and the portfolio view read, in one consistent snapshot per call (reporting SQL in
    ``include/sql/relatorio/``)."""

    def mes(self, niss_ee: str, ano_mes: str, meses: list[str]) -> dict:
        """Every row of one employer's month the report shows, plus the obligation of ``meses`` (history). Per worker
        (``trabalhadores``: tuples, ``include/sql/relatorio/trabalhadores.sql``) only the columns the report reads."""
        t = self.t

        def um(c, nome):
            tb = t[nome]
            r = c.execute(sa.select(tb).where(tb.c.niss_ee == niss_ee, tb.c.ano_mes == ano_mes)).mappings().first()
            return dict(r) if r else None

        def todos(c, nome, ordem):
            tb = t[nome]
            return _dicts(c.execute(sa.select(tb).where(tb.c.niss_ee == niss_ee, tb.c.ano_mes == ano_mes)
                                    .order_by(tb.c[ordem])))

        v, ap = t["valores_apurados"], t["apuramento"]
        with self._ler() as c:
            return {
                "reconciliacao": um(c, "reconciliacao"),
                # per worker, only what the report shows, joined here and kept as tuples: a 50,000-worker
                # month's whole rows (the SS's raw documents among them) took ≈ 200 MB as dicts, the two sides
                # as dicts and the merged rows ≈ 96 MB more
                "trabalhadores": [tuple(r) for r in c.execute(sa.text(_sql_relatorio("trabalhadores.sql")),
                                                              {"niss_ee": niss_ee, "ano_mes": ano_mes})],
                "diferencas": todos(c, "diferenca", "id"),
                "documentos": todos(c, "documento_pagamento", "numero"),
                "confirmacao": um(c, "confirmacao"),
                "apuramento": um(c, "apuramento"),
                "historico_apuramento": {r["ano_mes"]: r["total_obrigacao_cent"] for r in c.execute(
                    sa.select(ap.c.ano_mes, ap.c.total_obrigacao_cent)
                    .where(ap.c.niss_ee == niss_ee, ap.c.ano_mes.in_(meses))).mappings()},
                "historico_apurados": {r["ano_mes"]: r["s"] for r in c.execute(
                    sa.select(v.c.ano_mes, sa.func.sum(v.c.total_obrigacao_cent).label("s"))
                    .where(v.c.niss_ee == niss_ee, v.c.ano_mes.in_(meses)).group_by(v.c.ano_mes)).mappings()},
                "submissoes": todos(c, "submissao", "id"),
                "chamadas": todos(c, "chamada_externa", "id"),
                "contratos": todos(c, "contrato_comunicado", "id"),
                "naturezas": _dicts(c.execute(sa.text(_sql_relatorio("naturezas.sql")),
                                              {"niss_ee": niss_ee, "ano_mes": ano_mes})),
            }

    def carteira(self, ano_mes: str, ano_mes_anterior: str) -> list[dict]:
        """One row per employer the ledger has for the month (``include/sql/relatorio/carteira.sql``)."""
        with self._ler() as c:
            return _dicts(c.execute(sa.text(_sql_relatorio("carteira.sql")),
                                    {"ano_mes": ano_mes, "ano_mes_anterior": ano_mes_anterior}))


# ------------------------------------------------------------------------------------------------ payments
class Pagamentos(_Repo):
    """The payment state of each month's documents, as the SS's receipts show it."""

    def registar(self, niss_ee: str, ano_mes: str, estado: str, devido, pago) -> None:
        with self._begin() as c:
            self._db.upsert(c, "pagamento_mes", [{
                "niss_ee": niss_ee, "ano_mes": ano_mes, "estado": estado, "devido_cent": to_cent(devido),
                "pago_cent": to_cent(pago), "verificado_em": _now()}], keys=["niss_ee", "ano_mes"])

    def obter(self, niss_ee: str, ano_mes: str) -> dict | None:
        t = self.t["pagamento_mes"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes))

    def meses_por_verificar(self, niss_ee: str, antes_de: str) -> dict[str, list[tuple[str, int]]]:
        """Months before ``antes_de`` with payment documents not yet known to be paid: month → [(number, cents)]."""
        d, pg = self.t["documento_pagamento"], self.t["pagamento_mes"]
        pagos = {r["ano_mes"] for r in self._todos(sa.select(pg.c.ano_mes).where(
            pg.c.niss_ee == niss_ee, pg.c.estado == "PAGO"))}
        out: dict[str, list[tuple[str, int]]] = {}
        for r in self._todos(sa.select(d.c.ano_mes, d.c.numero, d.c.valor_cent).where(
                d.c.niss_ee == niss_ee, d.c.ano_mes < antes_de).order_by(d.c.ano_mes, d.c.numero)):
            if r["ano_mes"] not in pagos:
                out.setdefault(r["ano_mes"], []).append((r["numero"], r["valor_cent"]))
        return out


# ------------------------------------------------------------------------------------------------ the SS's contract data
class VerificacoesContratos(_Repo):
    """Each check of the Segurança Social's contract data against the payroll (``ciclo.app.contratos_ss``)."""

    def registar(self, niss_ee: str, ano_mes: str, content_hash: str, *, n_trabalhadores: int,
                 divergencias: list[dict], comunicacoes: list[dict]) -> None:
        with self._begin() as c:
            c.execute(self.t["contrato_verificacao"].insert().values(
                niss_ee=niss_ee, ano_mes=ano_mes, content_hash=content_hash, n_trabalhadores=int(n_trabalhadores),
                n_divergencias=len(divergencias), n_comunicacoes=len(comunicacoes),
                divergencias_json=jsonexato.dumps(divergencias), comunicacoes_json=jsonexato.dumps(comunicacoes),
                verificado_em=_now()))

    def ultima(self, niss_ee: str, ano_mes: str) -> dict | None:
        t = self.t["contrato_verificacao"]
        r = self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes).order_by(t.c.id.desc()).limit(1))
        if r:
            r["divergencias"] = jsonexato.loads(r["divergencias_json"])
            r["comunicacoes"] = jsonexato.loads(r["comunicacoes_json"])
        return r


# ------------------------------------------------------------------------------------------------ vínculos
class Vinculos(_Repo):
    """Vínculo communications (cessations and admissions), one row per (worker, kind, date of the event)."""

    def obter(self, niss_ee: str, niss_trabalhador: str, tipo: str, data_evento: date) -> dict | None:
        t = self.t["vinculo_comunicado"]
        return self._um(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.niss_trabalhador == niss_trabalhador,
                                           t.c.tipo == tipo, t.c.data_evento == data_evento))

    def inserir(self, niss_ee: str, niss_trabalhador: str, tipo: str, data_evento: date, ano_mes: str, campos: dict,
                *, prazo: date | None = None, fora_de_prazo: bool = False, aprovado_por: str | None = None) -> dict:
        """A PENDING row, committed before the call (a concurrent insert of the same event keeps the first)."""
        t = self.t["vinculo_comunicado"]
        try:
            with self._begin() as c:
                c.execute(t.insert().values(
                    niss_ee=niss_ee, niss_trabalhador=niss_trabalhador, tipo=tipo, data_evento=data_evento,
                    ano_mes=ano_mes, campos_json=jsonexato.dumps(campos), estado="PENDING", prazo=prazo,
                    fora_de_prazo=bool(fora_de_prazo), aprovado_por=aprovado_por, created_at=_now(), updated_at=_now()))
        except sa.exc.IntegrityError:
            pass
        return self.obter(niss_ee, niss_trabalhador, tipo, data_evento)

    def atualizar(self, row_id: int, **values) -> None:
        values["updated_at"] = _now()
        t = self.t["vinculo_comunicado"]
        with self._begin() as c:
            c.execute(t.update().where(t.c.id == row_id).values(**values))

    def do_mes(self, niss_ee: str, ano_mes: str, tipo: str | None = None) -> list[dict]:
        t = self.t["vinculo_comunicado"]
        q = sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes).order_by(t.c.id)
        if tipo:
            q = q.where(t.c.tipo == tipo)
        return self._todos(q)
# ------------------------------------------------------------------------------------------------ Pedidos (art. 26.º)
class PedidosCorrecao(_Repo):
    """Corrections of a closed month through the eeaoc Pedidos: PENDING → SENT → ACKNOWLEDGED (numero_pedido known;
    or FAILED / UNKNOWN), and the SS's state of the Pedido (estado_ss) until it is decided."""

    def do_mes(self, niss_ee: str, ano_mes: str) -> list[dict]:
        t = self.t["pedido_correcao"]
        return self._todos(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes).order_by(t.c.id))

    def por_chave(self, key: str) -> dict | None:
        t = self.t["pedido_correcao"]
        return self._um(sa.select(t).where(t.c.idempotency_key == key))

    def inserir(self, key: str, niss_ee: str, ano_mes: str, payload_hash: str, content_hash: str, *,
                n_trabalhadores: int, n_anulacoes: int, fora_de_prazo: bool, limite: date | None,
                aprovado_por: str | None) -> dict:
        """Commit a PENDING row *before* the POST (a crash after this leaves evidence to resume from)."""
        with self._begin() as c:
            c.execute(self.t["pedido_correcao"].insert().values(
                idempotency_key=key, niss_ee=niss_ee, ano_mes=ano_mes, payload_hash=payload_hash,
                content_hash=content_hash, estado="PENDING", fora_de_prazo=fora_de_prazo, limite=limite,
                n_trabalhadores=n_trabalhadores, n_anulacoes=n_anulacoes, aprovado_por=aprovado_por, tentativas=0,
                created_at=_now(), updated_at=_now()))
        return self.por_chave(key)

    def atualizar(self, key: str, **values) -> dict:
        values["updated_at"] = _now()
        t = self.t["pedido_correcao"]
        with self._begin() as c:
            c.execute(t.update().where(t.c.idempotency_key == key).values(**values))
        return self.por_chave(key)

    def numeros_conhecidos(self, niss_ee: str, ano_mes: str) -> set[str]:
        return {r["numero_pedido"] for r in self.do_mes(niss_ee, ano_mes) if r["numero_pedido"]}
