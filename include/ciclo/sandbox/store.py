"""Sandbox state in one SQLite file (WAL): logins, EEs, vínculos, contracts, submissions, apuramentos,
payment documents, request log, config. Used from the event-loop thread only (one connection).

Also implements the SOAP developer's ``SoapBackend`` protocol (autenticar, vinculos, contratos,
foi_trabalhador, registar_contrato).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import sqlite3
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import jwt

from ciclo.domain import contrato as C
from ciclo.domain import jsonexato
from ciclo.domain.niss import formato_valido
from ciclo.domain.periodo import AnoMes, data_limite_pagamento
from ciclo.domain.taxas import EnquadramentoDesconhecido, taxa
from ciclo.sandbox import engine, jsonout
from ciclo.sandbox.seed import ANO_MES_EXEMPLO, DATA_LIMITE_EXEMPLO, EE_EXEMPLO, default_seed
from ciclo.sandbox.validacao import ErroPedido

LISBOA = ZoneInfo("Europe/Lisbon")
LIMITE_MULTIBANCO = Decimal("99999.99")
ENTIDADE_MULTIBANCO = "20638"  # sandbox value
IBAN_SS = "PT50078101120000000120376"  # sandbox value (IGCP-style IBAN of the Segurança Social)
SWIFT_SS = "IGCPPTPL"  # sandbox value (IGCP's BIC)

MODALIDADES = {"A", "C", "AA", "AB", "S", "B", "D", "BA", "BB", "R", "E", "EA", "EB", "O", "F", "FA", "FB", "N",
               "G", "GA", "GB", "Q", "H", "HA", "HB", "P"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (chave TEXT PRIMARY KEY, valor TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS utilizadores (niss TEXT PRIMARY KEY, password_sha256 TEXT NOT NULL, tipo TEXT NOT NULL, nome TEXT);
CREATE TABLE IF NOT EXISTS representacoes (niss_rep TEXT NOT NULL, niss_ee TEXT NOT NULL, PRIMARY KEY (niss_rep, niss_ee));
CREATE TABLE IF NOT EXISTS vinculos (id INTEGER PRIMARY KEY, niss_ee TEXT NOT NULL, niss_trab TEXT NOT NULL,
  inicio TEXT NOT NULL, fim TEXT, enquadramento TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS vinculos_ee ON vinculos (niss_ee, niss_trab);
CREATE TABLE IF NOT EXISTS contratos (id INTEGER PRIMARY KEY, niss_ee TEXT NOT NULL, niss_trab TEXT NOT NULL,
  inicio TEXT NOT NULL, fim TEXT, dados TEXT NOT NULL, origem TEXT NOT NULL, registado_em TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS contratos_ee ON contratos (niss_ee, niss_trab);
CREATE TABLE IF NOT EXISTS submissoes (comprovativo TEXT PRIMARY KEY, seq INTEGER NOT NULL, niss_ee TEXT NOT NULL,
  ano_mes TEXT NOT NULL, data_hora TEXT NOT NULL, estado TEXT NOT NULL, n_trab INTEGER NOT NULL,
  com_alertas INTEGER NOT NULL, payload TEXT NOT NULL, normalizado TEXT NOT NULL, autenticado TEXT);
CREATE INDEX IF NOT EXISTS submissoes_ee ON submissoes (niss_ee, ano_mes);
CREATE TABLE IF NOT EXISTS alertas (id INTEGER PRIMARY KEY, comprovativo TEXT NOT NULL, niss_ee TEXT NOT NULL,
  ano_mes TEXT NOT NULL, niss_trab TEXT NOT NULL, codigo TEXT NOT NULL, mensagem TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alertas_ee ON alertas (niss_ee, ano_mes);
CREATE TABLE IF NOT EXISTS apuramentos (niss_ee TEXT NOT NULL, ano_mes TEXT NOT NULL, estado TEXT NOT NULL,
  due_at REAL, data_apuramento TEXT, data_limite TEXT, n_trab INTEGER NOT NULL DEFAULT 0,
  total_rem TEXT NOT NULL DEFAULT '0.00', total_contrib TEXT NOT NULL DEFAULT '0.00',
  total_red TEXT NOT NULL DEFAULT '0.00', total_obrig TEXT NOT NULL DEFAULT '0.00', data_confirmacao TEXT,
  disponivel_em REAL, PRIMARY KEY (niss_ee, ano_mes));
CREATE TABLE IF NOT EXISTS apurados (niss_ee TEXT NOT NULL, ano_mes TEXT NOT NULL, niss_trab TEXT NOT NULL,
  corpo TEXT NOT NULL, total_rem TEXT NOT NULL, total_contrib TEXT NOT NULL, total_red TEXT NOT NULL,
  total_obrig TEXT NOT NULL, PRIMARY KEY (niss_ee, ano_mes, niss_trab)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pedidos_emissao (chave TEXT PRIMARY KEY, niss_ee TEXT NOT NULL, ambito INTEGER NOT NULL,
  ano_mes TEXT NOT NULL, criado_em TEXT NOT NULL, pronto_em REAL NOT NULL, estado TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documentos (numero TEXT PRIMARY KEY, chave TEXT NOT NULL, niss_ee TEXT NOT NULL,
  ano_mes TEXT NOT NULL, ambito INTEGER NOT NULL, valor TEXT NOT NULL, data_validade TEXT NOT NULL,
  referencia_mb TEXT, estado TEXT NOT NULL DEFAULT 'EMITIDO', debito_direto TEXT);
CREATE TABLE IF NOT EXISTS pagamentos (numero_documento TEXT PRIMARY KEY, niss_ee TEXT NOT NULL, ano_mes TEXT NOT NULL,
  data_pagamento TEXT NOT NULL, valor TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pedidos_correcao (numero TEXT PRIMARY KEY, niss_ee TEXT NOT NULL, ano_mes TEXT NOT NULL,
  motivo TEXT NOT NULL, fundamentacao TEXT, estado TEXT NOT NULL, fora_de_prazo INTEGER NOT NULL, data_pedido TEXT NOT NULL,
  analise_em REAL NOT NULL, decidir_em REAL NOT NULL, data_decisao TEXT, fundamentacao_decisao TEXT,
  trabalhadores TEXT NOT NULL, anulacoes TEXT NOT NULL, comprovativo TEXT, autenticado TEXT);
CREATE TABLE IF NOT EXISTS pedidos_log (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
  query TEXT NOT NULL, status INTEGER NOT NULL, niss TEXT, duration_ms REAL NOT NULL);
"""

DATA_TABLES = ["utilizadores", "representacoes", "vinculos", "contratos", "submissoes", "alertas", "apuramentos",
               "apurados", "pedidos_emissao", "documentos", "pagamentos", "pedidos_log",
               "pedidos_correcao"]  # Pedidos (art. 26.º corrections): routes in ciclo.sandbox.pedidos


class AuthError(Exception):
    def __init__(self, message: str, code: int = 401):
        super().__init__(message)
        self.message = message
        self.code = code


def agora_lisboa() -> str:
    return datetime.now(LISBOA).replace(tzinfo=None, microsecond=0).isoformat()


def _sha(p: str) -> str:
    return hashlib.sha256(p.encode()).hexdigest()


def _d(v) -> date | None:
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def _dec(v) -> Decimal | None:
    if v is None or v == "":
        return None
    if isinstance(v, float):
        v = str(v)
    return Decimal(v)


def _k(obj: dict, nome: str, default=None):
    """Field by SOAP name with hyphens or underscores."""
    if nome in obj:
        return obj[nome]
    alt = nome.replace("-", "_")
    return obj.get(alt, default)


# A stored contract: the SOAP request's fields (ciclo.domain.contrato.CAMPOS, the one list) without the worker, plus
# whether it is a very-short-duration contract (which a change never creates).
CONTRATO_CAMPOS = [c.replace("_", "-") for c in C.CAMPOS if c != "niss_trabalhador"] + ["muito-curta-duracao"]


def _contrato_norm(c: dict) -> dict:
    """Seed/SOAP contract → stored dict with underscore keys (JSON-able via jsonexato)."""
    out = {}
    for campo in CONTRATO_CAMPOS:
        v = _k(c, campo)
        key = campo.replace("-", "_")
        if campo in ("inicio-contrato", "fim-contrato"):
            v = _d(v)
        elif campo in ("remuneracao-base", "diuturnidades", "percentagem-trabalho", "horas-trabalho", "dias-trabalho"):
            v = _dec(v)
        elif campo == "muito-curta-duracao":
            v = bool(v)
        out[key] = v
    if out["diuturnidades"] is None:
        out["diuturnidades"] = Decimal("0.00")
    return out


def _contrato_load(texto: str) -> dict:
    c = jsonexato.loads(texto)
    for k in ("inicio_contrato", "fim_contrato"):
        c[k] = _d(c.get(k))
    for k in ("remuneracao_base", "diuturnidades", "percentagem_trabalho", "horas_trabalho", "dias_trabalho"):
        if c.get(k) is not None:
            c[k] = Decimal(c[k])
    c["muito_curta_duracao"] = bool(c.get("muito_curta_duracao"))
    return c


# The days the sandbox's clock may be set to: from the Código Contributivo's entry into force (Lei 110/2009, in force
# 2011-01-01), where the sandbox's rates begin, to a year far enough ahead for any drill.
DIA_MINIMO, DIA_MAXIMO = date(2011, 1, 1), date(2999, 12, 31)


def dia_configurado(chave: str, v) -> str | None:
    """A configured day: a date written AAAA-MM-DD between DIA_MINIMO and DIA_MAXIMO, or None."""
    if v is None:
        return None
    try:
        if not (isinstance(v, str) and len(v) == 10 and v[4] == v[7] == "-"):
            raise ValueError
        dia = date.fromisoformat(v)
    except ValueError:
        raise ErroPedido(f"Valor inválido para {chave}: {v!r} (AAAA-MM-DD ou null)") from None
    if not DIA_MINIMO <= dia <= DIA_MAXIMO:
        raise ErroPedido(f"Valor inválido para {chave}: {v!r} (entre {DIA_MINIMO.isoformat()} e "
                         f"{DIA_MAXIMO.isoformat()})")
    return v


def _contrato_dump(c: dict) -> str:
    return jsonexato.dumps({k: (v if not isinstance(v, float) else Decimal(str(v))) for k, v in c.items()})


class Store:
    def __init__(self, path: str, apuramento_delay: float = 3.0, emissao_delay: float = 1.0):
        self.path = path
        # ``hoje``: the sandbox's one clock for dates (ISO date; None: today in Lisbon), see ``hoje()``
        self.default_config = {"apuramento_delay_seconds": float(apuramento_delay),
                               "emissao_delay_seconds": float(emissao_delay), "hoje": None}
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._migrar()
        self._auth_cache: dict[str, tuple[str, float]] = {}
        self._reps: dict[str, set[str]] = {}
        self.faults: list[dict] = []
        self.log_buffer: list[tuple] = []
        self.ao_reset: list = []  # callables run after a reset (route modules' own state, e.g. sandbox.pedidos)
        self._log_seq = (self.db.execute("SELECT COALESCE(MAX(id), 0) FROM pedidos_log").fetchone()[0])
        self._sub_seq = (self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM submissoes").fetchone()[0])
        if self._meta("jwt_secret") is None:
            self._set_meta("jwt_secret", secrets.token_urlsafe(48))
        self.jwt_secret = self._meta("jwt_secret")
        cfg = self._meta("config")
        self.config = {**self.default_config, **(json.loads(cfg) if cfg else {})}
        if self._meta("seeded") is None:
            self.reset()
        else:
            self._load_reps()

    def _migrar(self) -> None:
        """Columns added after a sandbox file may have been created (kept across restarts)."""
        for tabela, novas in (("documentos", (("estado", "TEXT NOT NULL DEFAULT 'EMITIDO'"), ("debito_direto", "TEXT"))),
                              ("apuramentos", (("disponivel_em", "REAL"),))):
            cols = {r[1] for r in self.db.execute(f"PRAGMA table_info({tabela})")}
            for nome, ddl in novas:
                if nome not in cols:
                    self.db.execute(f"ALTER TABLE {tabela} ADD COLUMN {nome} {ddl}")

    # ---------------------------------------------------------------- meta / config
    def _meta(self, chave: str) -> str | None:
        r = self.db.execute("SELECT valor FROM meta WHERE chave=?", (chave,)).fetchone()
        return r[0] if r else None

    def _set_meta(self, chave: str, valor: str) -> None:
        self.db.execute("INSERT INTO meta(chave, valor) VALUES (?, ?) ON CONFLICT(chave) DO UPDATE SET valor=excluded.valor",
                        (chave, valor))

    def set_config(self, novo: dict) -> dict:
        valido = {}
        for k, v in novo.items():
            if k not in self.default_config:
                raise ErroPedido(f"Configuração desconhecida: {k}")
            if k == "hoje":
                valido[k] = dia_configurado(k, v)
            elif isinstance(v, bool) or not isinstance(v, (int, float, Decimal)) or not 0 <= float(v) < math.inf:
                raise ErroPedido(f"Valor inválido para {k}: {v}")   # NaN too (JSON as parsed here admits it)
            else:
                valido[k] = float(v)
        self.config.update(valido)   # all or nothing: a bad key or value changes none
        self._set_meta("config", json.dumps(self.config))
        return dict(self.config)

    def hoje(self) -> date:
        """The sandbox's date: the configured ``hoje`` (``PUT /_sandbox/config``), else today in Lisbon, the SS's
        own time zone. Every date rule of the sandbox reads it (docs/SANDBOX.md lists them): the 30 days ahead of a
        contract start or a cessation, the payment documents' validity, cancellation and expiry, a payment's default
        date, the Pedidos' correction window, the confirmation's date. So a drill or a demo of a fixed month behaves
        the same whatever day it runs, and no rule judges on the machine's time zone (UTC near midnight is another
        day in Lisbon in summer)."""
        return date.fromisoformat(self.config["hoje"]) if self.config.get("hoje") else datetime.now(LISBOA).date()

    def agora(self) -> str:
        """A record's time that a date rule reads later (the confirmation's): the sandbox's day at Lisbon's real
        time of day. Other records keep the real time (``agora_lisboa``)."""
        real = agora_lisboa()
        return f"{self.hoje().isoformat()}{real[10:]}" if self.config.get("hoje") else real

    def close(self) -> None:
        self.flush_log()
        self.db.close()

    # ---------------------------------------------------------------- reset / seed
    def reset(self) -> None:
        self.db.execute("BEGIN")
        for t in DATA_TABLES:
            self.db.execute(f"DELETE FROM {t}")
        self.db.execute("DELETE FROM meta WHERE chave IN ('config', 'seeded', 'debito_direto')")
        self.db.execute("COMMIT")
        self.config = dict(self.default_config)
        self.faults = []
        self.log_buffer = []
        self._timeouts_soap = 0
        self.seed(default_seed())
        # The spec's worked example, verbatim (its dataLimitePagamento 2025-11-25 is pre-seeded).
        self.apurar(EE_EXEMPLO, ANO_MES_EXEMPLO, data_limite=DATA_LIMITE_EXEMPLO)
        self._set_meta("seeded", agora_lisboa())
        for f in self.ao_reset:
            f()

    def seed(self, payload: dict) -> dict:
        if not isinstance(payload, dict):
            raise ErroPedido("Corpo do pedido inválido: é esperado um objeto JSON")
        users, reps, vincs, contratos, apagar = [], [], [], [], []
        n_trab = 0
        agora = agora_lisboa()
        for ee in payload.get("entidades") or []:
            niss = str(ee.get("niss", ""))
            if not formato_valido(niss):
                raise ErroPedido(f"NISS entidade empregadora com formato inválido: {niss}")
            users.append((niss, _sha(str(ee.get("password", "sandbox"))), "EE", ee.get("nome")))
            for t in ee.get("trabalhadores") or []:
                nt = str(_k(t, "niss-trabalhador", ""))
                if not formato_valido(nt):
                    raise ErroPedido(f"NISS trabalhador com formato inválido: {nt}")
                enq = t.get("enquadramento", "REGIME_GERAL")
                try:
                    enq = taxa(enq, self.hoje()).codigo
                except EnquadramentoDesconhecido:
                    raise ErroPedido(f"Enquadramento desconhecido: {enq}") from None
                lista = t.get("contratos") or [t]
                try:
                    cs = [_contrato_norm(c) for c in lista]
                    iv = _d(_k(t, "inicio-vinculo")) or min(c["inicio_contrato"] for c in cs)
                    fv = _d(_k(t, "fim-vinculo"))
                except (TypeError, ValueError) as exc:
                    raise ErroPedido(f"Corpo do pedido inválido: trabalhador {nt}: {exc}") from None
                for c in cs:
                    if c["modalidade_contrato"] not in MODALIDADES:
                        raise ErroPedido(f"Modalidade contrato inválida: {c['modalidade_contrato']} (trabalhador {nt})")
                    if c["inicio_contrato"] is None or c["remuneracao_base"] is None:
                        raise ErroPedido(f"Corpo do pedido inválido: trabalhador {nt}: inicio-contrato e remuneracao-base são obrigatórios")
                    contratos.append((niss, nt, c["inicio_contrato"].isoformat(),
                                      c["fim_contrato"].isoformat() if c["fim_contrato"] else None,
                                      _contrato_dump(c), "SEED", agora))
                apagar.append((niss, nt))
                vincs.append((niss, nt, iv.isoformat(), fv.isoformat() if fv else None, enq))
                n_trab += 1
        for r in payload.get("representantes") or []:
            niss = str(r.get("niss", ""))
            if not formato_valido(niss):
                raise ErroPedido(f"NISS do representante com formato inválido: {niss}")
            users.append((niss, _sha(str(r.get("password", "sandbox"))), "REPRESENTANTE", r.get("nome")))
            for ee in r.get("entidades") or []:
                reps.append((niss, str(ee)))
        self.db.execute("BEGIN")
        try:
            self.db.executemany(
                "INSERT INTO utilizadores VALUES (?,?,?,?) ON CONFLICT(niss) DO UPDATE SET password_sha256=excluded.password_sha256,"
                " tipo=excluded.tipo, nome=excluded.nome", users)
            self.db.executemany("INSERT OR IGNORE INTO representacoes VALUES (?,?)", reps)
            self.db.executemany("DELETE FROM vinculos WHERE niss_ee=? AND niss_trab=?", apagar)
            self.db.executemany("DELETE FROM contratos WHERE niss_ee=? AND niss_trab=?", apagar)
            self.db.executemany("INSERT INTO vinculos(niss_ee, niss_trab, inicio, fim, enquadramento) VALUES (?,?,?,?,?)", vincs)
            self.db.executemany("INSERT INTO contratos(niss_ee, niss_trab, inicio, fim, dados, origem, registado_em)"
                                " VALUES (?,?,?,?,?,?,?)", contratos)
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise
        self._auth_cache.clear()
        self._load_reps()
        return {"entidades": len(payload.get("entidades") or []), "trabalhadores": n_trab,
                "contratos": len(contratos), "representantes": len(payload.get("representantes") or [])}

    def _load_reps(self) -> None:
        reps: dict[str, set[str]] = defaultdict(set)
        for rep, ee in self.db.execute("SELECT niss_rep, niss_ee FROM representacoes"):
            reps[rep].add(ee)
        self._reps = dict(reps)

    # ---------------------------------------------------------------- auth
    def autenticar_header(self, header: str | None) -> str:
        if not header:
            raise AuthError("Credenciais em falta.")
        hit = self._auth_cache.get(header)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        esquema, _, valor = header.partition(" ")
        esquema = esquema.lower()
        valor = valor.strip()
        if esquema == "basic":
            try:
                niss, sep, pwd = base64.b64decode(valor, validate=True).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise AuthError("Credenciais inválidas.") from None
            if not sep:
                raise AuthError("Credenciais inválidas.")
            r = self.db.execute("SELECT password_sha256 FROM utilizadores WHERE niss=?", (niss,)).fetchone()
            if r is None or not secrets.compare_digest(r[0], _sha(pwd)):
                raise AuthError("Credenciais inválidas.")
            self._auth_cache[header] = (niss, float("inf"))
            return niss
        if esquema == "bearer":
            try:
                claims = jwt.decode(valor, self.jwt_secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
            except jwt.ExpiredSignatureError:
                raise AuthError("Token expirado.") from None
            except jwt.InvalidTokenError:
                raise AuthError("Token inválido.") from None
            niss = str(claims["sub"])
            if self.db.execute("SELECT 1 FROM utilizadores WHERE niss=?", (niss,)).fetchone() is None:
                raise AuthError("Token inválido.")
            self._auth_cache[header] = (niss, float(claims["exp"]))
            return niss
        raise AuthError("Credenciais inválidas.")

    def pode_agir(self, niss: str, niss_ee: str) -> bool:
        return niss == niss_ee or niss_ee in self._reps.get(niss, ())

    def emitir_token(self, niss: str, expires_in: float = 3600) -> dict:
        if self.db.execute("SELECT 1 FROM utilizadores WHERE niss=?", (str(niss),)).fetchone() is None:
            raise ErroPedido(f"NISS sem credenciais no sandbox: {niss}")
        agora = int(time.time())
        exp = agora + int(expires_in)
        tok = jwt.encode({"sub": str(niss), "iat": agora, "exp": exp}, self.jwt_secret, algorithm="HS256")
        return {"access_token": tok, "token_type": "Bearer", "expires_in": int(expires_in), "expires_at": exp}

    # SoapBackend.autenticar
    def autenticar(self, request) -> str:
        from fastapi import HTTPException

        try:
            niss = self.autenticar_header(request.headers.get("authorization"))
        except AuthError as exc:
            raise HTTPException(401, exc.message) from None
        request.scope["ciclo_niss"] = niss
        return niss

    # ---------------------------------------------------------------- SoapBackend data
    def vinculos(self, niss_ee: str, niss_trabalhador: str) -> list[tuple[date, date | None]]:
        rows = self.db.execute("SELECT inicio, fim FROM vinculos WHERE niss_ee=? AND niss_trab=? ORDER BY inicio",
                               (str(niss_ee), str(niss_trabalhador))).fetchall()
        return [(_d(a), _d(b)) for a, b in rows]

    def contratos(self, niss_ee: str, niss_trabalhador: str) -> list[dict]:
        rows = self.db.execute("SELECT dados FROM contratos WHERE niss_ee=? AND niss_trab=? ORDER BY inicio, id",
                               (str(niss_ee), str(niss_trabalhador))).fetchall()
        return [_contrato_load(r[0]) for r in rows]

    def foi_trabalhador(self, niss_ee: str, niss: str) -> bool:
        return self.db.execute("SELECT 1 FROM vinculos WHERE niss_ee=? AND niss_trab=? LIMIT 1",
                               (str(niss_ee), str(niss))).fetchone() is not None

    def registar_contrato(self, niss_ee: str, niss_trabalhador: str, contrato: dict) -> None:
        c = _contrato_norm(contrato)
        ini = c["inicio_contrato"].isoformat()
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM contratos WHERE niss_ee=? AND niss_trab=? AND inicio=?",
                        (str(niss_ee), str(niss_trabalhador), ini))
        self.db.execute("INSERT INTO contratos(niss_ee, niss_trab, inicio, fim, dados, origem, registado_em) VALUES (?,?,?,?,?,?,?)",
                        (str(niss_ee), str(niss_trabalhador), ini, c["fim_contrato"].isoformat() if c["fim_contrato"] else None,
                         _contrato_dump(c), "SOAP", agora_lisboa()))
        self.db.execute("COMMIT")

    def contratos_soap(self, niss_ee: str | None) -> list[dict]:
        q = "SELECT niss_ee, niss_trab, registado_em, dados FROM contratos WHERE origem='SOAP'"
        args: tuple = ()
        if niss_ee:
            q += " AND niss_ee=?"
            args = (niss_ee,)
        return [{"niss_ee": a, "niss_trabalhador": b, "registado_em": c, "contrato": jsonexato.loads(d)}
                for a, b, c, d in self.db.execute(q + " ORDER BY id", args)]

    # ---------------------------------------------------------------- submissions
    def submeter(self, niss_ee: str, normalizado: dict, bruto: bytes, autenticado: str) -> str:
        comp = str(uuid.uuid4())
        am = normalizado["anoMes"]
        ref = AnoMes.parse(am)
        alertas = []
        for t in normalizado["trabalhadores"]:
            nt = t["nissTrabalhador"]
            vs = engine.vinculos_no_mes([engine.Vinculo(_d(a), _d(b), "REGIME_GERAL") for a, b in self.vinculos(niss_ee, nt)], ref)
            if not vs:
                alertas.append((nt, "SEM_VINCULO", "Trabalhador sem vínculo com a entidade empregadora no período."))
            por_nat: dict[str, Decimal] = defaultdict(Decimal)
            for r in t["remuneracoes"]:
                por_nat[r["natureza"]] += r["diasTrabalho"]
            dias_ina = sum(((date.fromisoformat(i["dataFim"]) - date.fromisoformat(i["dataInicio"])).days + 1)
                           for i in t["inatividades"])
            if any(v > 30 for v in por_nat.values()) or dias_ina > 30:
                alertas.append((nt, "DIAS_EXCEDIDOS", "Dias declarados excedem 30."))
        self._sub_seq += 1
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO submissoes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (comp, self._sub_seq, niss_ee, am, agora_lisboa(), "EM_PROCESSAMENTO",
                         len(normalizado["trabalhadores"]), int(bool(alertas)), bruto.decode("utf-8"),
                         jsonexato.dumps(normalizado), autenticado))
        self.db.executemany("INSERT INTO alertas(comprovativo, niss_ee, ano_mes, niss_trab, codigo, mensagem) VALUES (?,?,?,?,?,?)",
                            [(comp, niss_ee, am, a, b, c) for a, b, c in alertas])
        due = time.time() + self.config["apuramento_delay_seconds"]
        self.db.execute("INSERT INTO apuramentos(niss_ee, ano_mes, estado, due_at) VALUES (?,?,?,?) "
                        "ON CONFLICT(niss_ee, ano_mes) DO UPDATE SET estado='EM_APURAMENTO', due_at=excluded.due_at,"
                        " data_confirmacao=NULL, disponivel_em=NULL", (niss_ee, am, "EM_APURAMENTO", due))
        self.db.execute("COMMIT")
        return comp

    def comprovativos_lista(self, niss_ee: str, estado: str | None, ano_mes: str | None) -> list[dict]:
        q = "SELECT comprovativo, ano_mes, data_hora, estado, n_trab, com_alertas FROM submissoes WHERE niss_ee=?"
        args: list = [niss_ee]
        if estado:
            q += " AND estado=?"
            args.append(estado)
        if ano_mes:
            q += " AND ano_mes=?"
            args.append(ano_mes)
        return [{"comprovativoEntrega": c, "anoMes": am, "dataHoraEntrega": dh, "estado": e, "numeroTrabalhadores": n,
                 "comAlertas": bool(a)} for c, am, dh, e, n, a in self.db.execute(q + " ORDER BY seq", args)]

    def comprovativo(self, niss_ee: str, comp: str) -> dict | None:
        r = self.db.execute("SELECT comprovativo, ano_mes, data_hora, estado, normalizado FROM submissoes"
                            " WHERE niss_ee=? AND comprovativo=?", (niss_ee, comp)).fetchone()
        if r is None:
            return None
        return {"comprovativoEntrega": r[0], "anoMes": r[1], "dataHoraEntrega": r[2], "estado": r[3],
                "trabalhadores": jsonexato.loads(r[4])["trabalhadores"]}

    def alertas(self, niss_ee: str, ano_mes: str | None) -> list[dict]:
        q = "SELECT comprovativo, ano_mes, niss_trab, codigo, mensagem FROM alertas WHERE niss_ee=?"
        args: list = [niss_ee]
        if ano_mes:
            q += " AND ano_mes=?"
            args.append(ano_mes)
        return [{"comprovativoEntrega": a, "anoMes": b, "nissTrabalhador": int(c), "codigo": d, "mensagem": e}
                for a, b, c, d, e in self.db.execute(q + " ORDER BY id", args)]

    def submissoes_admin(self, niss_ee: str | None, ano_mes: str | None) -> list[dict]:
        q = "SELECT comprovativo, niss_ee, ano_mes, data_hora, estado, payload, autenticado FROM submissoes WHERE 1=1"
        args: list = []
        if niss_ee:
            q += " AND niss_ee=?"
            args.append(niss_ee)
        if ano_mes:
            q += " AND ano_mes=?"
            args.append(ano_mes)
        out = []
        for c, ee, am, dh, e, p, a in self.db.execute(q + " ORDER BY seq", args).fetchall():
            try:
                payload = jsonexato.loads(p)
            except ValueError:
                payload = p
            out.append({"comprovativoEntrega": c, "nissEntidadeEmpregadora": ee, "anoMes": am, "dataHoraEntrega": dh,
                        "estado": e, "autenticado": a, "payload": payload, "alertas": self.alertas_de(c)})
        return out

    def alertas_de(self, comp: str) -> list[dict]:
        return [{"nissTrabalhador": int(a), "codigo": b, "mensagem": c}
                for a, b, c in self.db.execute("SELECT niss_trab, codigo, mensagem FROM alertas WHERE comprovativo=? ORDER BY id", (comp,))]

    # ---------------------------------------------------------------- apuramento
    def apuramentos_devidos(self) -> tuple[list[tuple[str, str]], float | None]:
        agora = time.time()
        rows = self.db.execute("SELECT niss_ee, ano_mes, due_at FROM apuramentos WHERE estado='EM_APURAMENTO'").fetchall()
        devidos = [(a, b) for a, b, d in rows if d is None or d <= agora]
        futuros = [d for a, b, d in rows if d is not None and d > agora]
        return devidos, (min(futuros) if futuros else None)

    def apurar(self, niss_ee: str, ano_mes: str, data_limite: date | None = None) -> dict:
        ref = AnoMes.parse(ano_mes)
        limite = data_limite or data_limite_pagamento(ref)
        subs = self.db.execute("SELECT normalizado FROM submissoes WHERE niss_ee=? AND ano_mes=? ORDER BY seq",
                               (niss_ee, ano_mes)).fetchall()
        comunicado: dict[str, dict] = {}
        for (texto,) in subs:
            for t in jsonexato.loads(texto)["trabalhadores"]:
                comunicado[t["nissTrabalhador"]] = t  # later submissions replace, worker by worker
        vincs: dict[str, list[engine.Vinculo]] = defaultdict(list)
        for nt, a, b, enq in self.db.execute(
                "SELECT niss_trab, inicio, fim, enquadramento FROM vinculos WHERE niss_ee=? AND inicio<=? AND (fim IS NULL OR fim>=?)",
                (niss_ee, ref.ultimo_dia.isoformat(), ref.primeiro_dia.isoformat())):
            vincs[nt].append(engine.Vinculo(_d(a), _d(b), enq))
        contratos: dict[str, list[engine.Contrato]] = defaultdict(list)
        for nt, dados in self.db.execute("SELECT niss_trab, dados FROM contratos WHERE niss_ee=? AND inicio<=? ORDER BY inicio, id",
                                         (niss_ee, ref.ultimo_dia.isoformat())):
            if nt in vincs:
                c = _contrato_load(dados)
                contratos[nt].append(engine.Contrato(c["inicio_contrato"], c["fim_contrato"], c["remuneracao_base"],
                                                     c["diuturnidades"] or Decimal(0)))
        linhas = []
        tot = [Decimal("0.00")] * 4
        for nt, vs in vincs.items():
            res = engine.apurar_trabalhador(ref, nt, vs, contratos.get(nt, []), comunicado.get(nt), limite)
            if res is None:
                continue
            linhas.append((niss_ee, ano_mes, nt, jsonout.dumps(res.json), str(res.total_remuneracao),
                           str(res.total_contribuicao), str(res.total_reducao), str(res.total_obrigacao)))
            tot = [tot[0] + res.total_remuneracao, tot[1] + res.total_contribuicao, tot[2] + res.total_reducao,
                   tot[3] + res.total_obrigacao]
        agora = agora_lisboa()
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM apurados WHERE niss_ee=? AND ano_mes=?", (niss_ee, ano_mes))
        self.db.executemany("INSERT INTO apurados VALUES (?,?,?,?,?,?,?,?)", linhas)
        self.db.execute("UPDATE submissoes SET estado='PROCESSADO' WHERE niss_ee=? AND ano_mes=? AND estado='EM_PROCESSAMENTO'",
                        (niss_ee, ano_mes))
        estado = "APURADO" if linhas else "SEM_VALORES"
        # disponivel_em: the moment the apuramento is answered (epoch seconds, to the millisecond) — after computing
        # it, which for a large employer takes the sandbox a second or more past its due time
        self.db.execute(
            "INSERT INTO apuramentos(niss_ee, ano_mes, estado, due_at, data_apuramento, data_limite, n_trab, total_rem,"
            " total_contrib, total_red, total_obrig, disponivel_em) VALUES (?,?,?,NULL,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(niss_ee, ano_mes) DO UPDATE SET"
            " estado=excluded.estado, due_at=NULL, data_apuramento=excluded.data_apuramento, data_limite=excluded.data_limite,"
            " n_trab=excluded.n_trab, total_rem=excluded.total_rem, total_contrib=excluded.total_contrib,"
            " total_red=excluded.total_red, total_obrig=excluded.total_obrig, data_confirmacao=NULL,"
            " disponivel_em=excluded.disponivel_em",
            (niss_ee, ano_mes, estado, agora, limite.isoformat(), len(linhas), *[str(x) for x in tot], time.time()))
        self.db.execute("COMMIT")
        return self.mensal(niss_ee, ano_mes)

    def apurado_trabalhador(self, niss_ee: str, ano_mes: str, niss_trab: str) -> str | None:
        r = self.db.execute("SELECT corpo FROM apurados WHERE niss_ee=? AND ano_mes=? AND niss_trab=?",
                            (niss_ee, ano_mes, niss_trab)).fetchone()
        return r[0] if r else None

    def obrigacao_trabalhadores(self, niss_ee: str, ano_mes: str) -> list[dict]:
        return [{"nissTrabalhador": int(n), "totalRemuneracao": Decimal(a), "totalContribuicao": Decimal(b),
                 "totalReducao": Decimal(c), "totalObrigacao": Decimal(d)}
                for n, a, b, c, d in self.db.execute(
                    "SELECT niss_trab, total_rem, total_contrib, total_red, total_obrig FROM apurados WHERE niss_ee=? AND ano_mes=?"
                    " ORDER BY niss_trab", (niss_ee, ano_mes))]

    def mensal(self, niss_ee: str, ano_mes: str) -> dict:
        r = self.db.execute("SELECT estado, data_apuramento, data_limite, n_trab, total_rem, total_contrib, total_red,"
                            " total_obrig, data_confirmacao FROM apuramentos WHERE niss_ee=? AND ano_mes=?",
                            (niss_ee, ano_mes)).fetchone()
        em_proc = self.db.execute("SELECT 1 FROM submissoes WHERE niss_ee=? AND ano_mes=? AND estado='EM_PROCESSAMENTO' LIMIT 1",
                                  (niss_ee, ano_mes)).fetchone() is not None
        z = Decimal("0.00")
        if r is None:
            estado, dap, dl, n, tr, tc, trd, to, dc = "SEM_VALORES", None, None, 0, z, z, z, z, None
        else:
            estado, dap, dl, n, tr, tc, trd, to, dc = r
            tr, tc, trd, to = Decimal(tr), Decimal(tc), Decimal(trd), Decimal(to)
            if estado == "APURADO" and dc:
                estado = "CONFIRMADO"
        if em_proc:
            estado = "EM_APURAMENTO"
        return {"anoMes": ano_mes, "nissEntidadeEmpregadora": int(niss_ee), "estado": estado, "numeroTrabalhadores": n,
                "totalRemuneracao": tr, "totalContribuicao": tc, "totalReducao": trd, "totalObrigacao": to,
                "dataLimitePagamento": dl, "dataApuramento": dap}

    def anual(self, niss_ee: str, ano: str) -> list[dict]:
        meses = {r[0] for r in self.db.execute("SELECT ano_mes FROM apuramentos WHERE niss_ee=? AND substr(ano_mes,1,4)=?", (niss_ee, ano))}
        meses |= {r[0] for r in self.db.execute("SELECT ano_mes FROM submissoes WHERE niss_ee=? AND substr(ano_mes,1,4)=?", (niss_ee, ano))}
        return [self.mensal(niss_ee, m) for m in sorted(meses)]

    def confirmar(self, niss_ee: str, ano_mes: str) -> dict:
        m = self.mensal(niss_ee, ano_mes)
        if m["estado"] == "EM_APURAMENTO":
            raise ErroPedido("Existem valores comunicados em processamento para o ano/mês indicado.")
        if m["estado"] == "SEM_VALORES":
            raise ErroPedido("Não existem valores apurados para o ano/mês indicado.")
        r = self.db.execute("SELECT data_confirmacao FROM apuramentos WHERE niss_ee=? AND ano_mes=?", (niss_ee, ano_mes)).fetchone()
        if r[0]:
            return {"anoMes": ano_mes, "confirmado": True, "dataConfirmacao": r[0], "jaConfirmado": True}
        agora = self.agora()   # on the sandbox's day: the Pedidos' window reads it as the month's declaration date
        self.db.execute("UPDATE apuramentos SET data_confirmacao=? WHERE niss_ee=? AND ano_mes=?", (agora, niss_ee, ano_mes))
        return {"anoMes": ano_mes, "confirmado": True, "dataConfirmacao": agora, "jaConfirmado": False}

    def avisos(self, niss_ee: str) -> list[dict]:
        out = []
        for am, estado, dap, dl, dc in self.db.execute(
                "SELECT ano_mes, estado, data_apuramento, data_limite, data_confirmacao FROM apuramentos WHERE niss_ee=? ORDER BY ano_mes",
                (niss_ee,)).fetchall():
            if estado == "APURADO" and not dc:
                ref = AnoMes.parse(am)
                m1 = ref.seguinte()
                # resumoAviso/descricaoAviso: the live item fields (docs/psi-contract.md); anoMes/tipo: ASSUMED extras
                out.append({"resumoAviso": f"Valores apurados de {am} por confirmar",
                            "descricaoAviso": f"Valores apurados de {am} por confirmar até "
                                              f"{date(m1.ano, m1.mes, 20).isoformat()}; pagamento até {dl}.",
                            "anoMes": am, "tipo": "PRAZO"})
        for am, n in self.db.execute("SELECT ano_mes, COUNT(*) FROM alertas WHERE niss_ee=? GROUP BY ano_mes ORDER BY ano_mes",
                                     (niss_ee,)).fetchall():
            # Art. 22 n.º 2-3 of the decreto: an alert is the notice that values were not considered
            out.append({"resumoAviso": f"Alertas nos valores comunicados de {am}",
                        "descricaoAviso": f"Existem {n} alertas nos valores comunicados de {am}: os valores em alerta "
                                          f"não foram considerados.", "anoMes": am, "tipo": "ALERTA"})
        return out

    def levantar_alerta(self, comprovativo: str, niss_trab: str, codigo: str, mensagem: str) -> dict:
        """Admin: raise an alert on a submission (as the Segurança Social does when it does not consider values)."""
        r = self.db.execute("SELECT niss_ee, ano_mes FROM submissoes WHERE comprovativo=?", (comprovativo,)).fetchone()
        if r is None:
            raise ErroPedido("Comprovativo de entrega não encontrado.", 404)
        if not formato_valido(niss_trab):
            raise ErroPedido(f"NISS trabalhador com formato inválido: {niss_trab}")
        self.db.execute("INSERT INTO alertas(comprovativo, niss_ee, ano_mes, niss_trab, codigo, mensagem) VALUES (?,?,?,?,?,?)",
                        (comprovativo, r[0], r[1], niss_trab, codigo, mensagem))
        self.db.execute("UPDATE submissoes SET com_alertas=1 WHERE comprovativo=?", (comprovativo,))
        return {"comprovativoEntrega": comprovativo, "anoMes": r[1], "nissTrabalhador": int(niss_trab), "codigo": codigo,
                "mensagem": mensagem}

    # ---------------------------------------------------------------- payment documents
    # Shapes and codes: docs/psi-contract.md §ci (PUBLIC-CLIENT). The emission names no month: it covers every month
    # of the employer with valores apurados, an obligation > 0, not paid and without a valid document — one document
    # per month, each carrying the sandbox-only extra field ``anoMes`` (the live documents' link to a month is not
    # evidenced; clients keep unknown fields).
    #
    # After a correction (a re-apuramento: a Pedido accepted, a substitute declaration) the month's obligation changes.
    # ASSUMED (no public source says how the live SS reissues): a month is owed its obligation minus what was paid for
    # it; a valid document for another amount is superseded (SUBSTITUIDO) and a new one issued for what is owed — so a
    # paid month corrected upwards gets a document for the difference, and an unpaid one a replacement.
    def _em_divida(self, niss_ee: str, am: str, m: dict) -> Decimal:
        pago = sum((Decimal(v) for (v,) in self.db.execute(
            "SELECT valor FROM pagamentos WHERE niss_ee=? AND ano_mes=?", (niss_ee, am)).fetchall()), Decimal("0"))
        return Decimal(str(m["totalObrigacao"])) - pago

    def _meses_a_emitir(self, niss_ee: str, ambito: int, *, substituir: bool = False) -> list[tuple[str, dict]]:
        hoje = self.hoje().isoformat()
        out = []
        for (am,) in self.db.execute("SELECT ano_mes FROM apuramentos WHERE niss_ee=? ORDER BY ano_mes", (niss_ee,)).fetchall():
            m = self.mensal(niss_ee, am)
            if m["estado"] not in ("APURADO", "CONFIRMADO") or m["totalObrigacao"] <= 0:
                continue
            divida = self._em_divida(niss_ee, am, m)
            if divida <= 0:
                continue
            validos = self.db.execute("SELECT numero, valor FROM documentos WHERE niss_ee=? AND ambito=? AND ano_mes=?"
                                      " AND data_validade>=? AND estado='EMITIDO' AND numero NOT IN"
                                      " (SELECT numero_documento FROM pagamentos)", (niss_ee, ambito, am, hoje)).fetchall()
            if any(Decimal(v) == divida for _, v in validos):
                continue
            if substituir:
                for numero, _ in validos:
                    self.db.execute("UPDATE documentos SET estado='SUBSTITUIDO' WHERE numero=?", (numero,))
            out.append((am, {**m, "totalObrigacao": divida}))
        return out

    def _pedido_em_curso(self, niss_ee: str, ambito: int) -> str | None:
        for chave, pronto in self.db.execute("SELECT chave, pronto_em FROM pedidos_emissao WHERE niss_ee=? AND ambito=?"
                                             " AND estado='processando'", (niss_ee, ambito)).fetchall():
            if time.time() < pronto:
                return chave
            self._resolver_pedido(chave, niss_ee, ambito)
        return None

    def pedido_emissao(self, niss_ee: str, ambito: int) -> dict:
        chave = self._pedido_em_curso(niss_ee, ambito)
        if chave:
            return {"codigoResultado": 10, "chave": chave, "mensagem": "Pedido de emissão em processamento."}
        hoje = self.hoje().isoformat()
        if not self._meses_a_emitir(niss_ee, ambito):
            r = self.db.execute("SELECT chave FROM documentos WHERE niss_ee=? AND ambito=? AND data_validade>=? AND estado='EMITIDO'"
                                " AND numero NOT IN (SELECT numero_documento FROM pagamentos) ORDER BY numero DESC LIMIT 1",
                                (niss_ee, ambito, hoje)).fetchone()
            if r:
                return {"codigoResultado": 11, "chave": r[0], "mensagem": "Já existe uma resposta válida."}
        chave = uuid.uuid4().hex
        self.db.execute("INSERT INTO pedidos_emissao VALUES (?,?,?,?,?,?,?)",
                        (chave, niss_ee, ambito, "", agora_lisboa(), time.time() + self.config["emissao_delay_seconds"],
                         "processando"))
        return {"codigoResultado": 1, "chave": chave, "mensagem": "Pedido de emissão aceite."}

    def pedido_niss(self, chave: str) -> str | None:
        r = self.db.execute("SELECT niss_ee FROM pedidos_emissao WHERE chave=?", (chave,)).fetchone()
        return r[0] if r else None

    def expirar_pedido(self, chave: str) -> dict:
        """Admin: the request answers 14 (expired) from now on."""
        if self.pedido_niss(chave) is None:
            raise ErroPedido("Pedido de emissão não encontrado.", 404)
        self.db.execute("UPDATE pedidos_emissao SET estado='expirado' WHERE chave=?", (chave,))
        # its documents expire with it: a new request issues new ones
        ontem = (self.hoje() - timedelta(days=1)).isoformat()
        self.db.execute("UPDATE documentos SET data_validade=? WHERE chave=? AND data_validade>?", (ontem, chave, ontem))
        return {"chave": chave, "estado": "expirado"}

    def consulta_pedido(self, chave: str) -> dict:
        r = self.db.execute("SELECT niss_ee, ambito, pronto_em, estado FROM pedidos_emissao WHERE chave=?", (chave,)).fetchone()
        if r is None:
            return {"codigoResultado": 13, "mensagem": "Chave inválida."}
        niss_ee, ambito, pronto, estado = r
        if estado == "processando":
            if time.time() < pronto:
                return {"codigoResultado": 10, "mensagem": "Pedido em processamento."}
            estado = self._resolver_pedido(chave, niss_ee, ambito)
        if estado == "expirado":
            return {"codigoResultado": 14, "mensagem": "Pedido expirado. Efetue novo pedido de emissão."}
        if estado == "sem_valores":
            return {"codigoResultado": 15, "mensagem": "Pedido processado. Não existem valores a pagar."}
        docs = self._documentos_sql("chave=? AND estado='EMITIDO' AND data_validade>=?", (chave, self.hoje().isoformat()))
        if not docs:
            return {"codigoResultado": 14, "mensagem": "Pedido expirado. Efetue novo pedido de emissão."}
        return {"codigoResultado": 1, "mensagem": "Sucesso.", "resultado": docs}

    def _resolver_pedido(self, chave: str, niss_ee: str, ambito: int) -> str:
        meses = self._meses_a_emitir(niss_ee, ambito, substituir=True)
        hoje = self.hoje()
        for am, m in meses:
            seq = self.db.execute("SELECT COUNT(*) FROM documentos").fetchone()[0] + 1
            numero = f"4{int(niss_ee) % 10**6:06d}{seq:05d}"
            limite = _d(m["dataLimitePagamento"]) or hoje
            if limite < hoje:
                limite = AnoMes.de_data(hoje).ultimo_dia
            valor = m["totalObrigacao"]
            ref_mb = None if valor > LIMITE_MULTIBANCO else f"{int(hashlib.sha256(numero.encode()).hexdigest(), 16) % 10**9:09d}"
            self.db.execute("INSERT INTO documentos(numero, chave, niss_ee, ano_mes, ambito, valor, data_validade, referencia_mb,"
                            " estado, debito_direto) VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (numero, chave, niss_ee, am, ambito, str(valor), limite.isoformat(), ref_mb, "EMITIDO",
                             self.debitos_diretos().get(niss_ee)))
        estado = "sucesso" if meses else "sem_valores"
        self.db.execute("UPDATE pedidos_emissao SET estado=? WHERE chave=?", (estado, chave))
        return estado

    def _documentos_sql(self, where: str, args: tuple) -> list[dict]:
        out = []
        for numero, am, valor, validade, ref_mb, ambito, dd in self.db.execute(
                "SELECT numero, ano_mes, valor, data_validade, referencia_mb, ambito, debito_direto FROM documentos"
                f" WHERE {where} ORDER BY numero", args).fetchall():
            out.append({
                "tipo": "DOCUMENTO_PAGAMENTO", "subtipo": "CONTRIBUICOES" if ambito == 11 else f"AMBITO_{ambito}",
                "numeroDocumentoPagamento": numero, "dataValidade": validade, "valor": Decimal(valor),
                "referenciaDocumentoPagamento": {
                    # Multibanco only up to 99,999.99 (LIMITE_MULTIBANCO)
                    "pagamentoMultibanco": ({"entidadeMultibanco": ENTIDADE_MULTIBANCO, "referenciaMultibanco": ref_mb}
                                            if ref_mb else None),
                    "pagamentoTransferenciaBancaria": {"iban": IBAN_SS, "swift": SWIFT_SS},
                    "pagamentoTesouraria": "S",
                    "pagamentoDebitoDireto": {"numeroAutorizacao": dd} if dd else None,
                },
                "anoMes": am,  # sandbox-only extra field (see above)
            })
        return out

    def documentos(self, niss_ee: str) -> list[dict]:
        """The listing (``consulta``): the employer's documents not cancelled nor superseded by a correction."""
        self._pedido_em_curso(niss_ee, 11)  # resolve a due request first
        return self._documentos_sql("niss_ee=? AND estado NOT IN ('CANCELADO', 'SUBSTITUIDO')", (niss_ee,))

    def documento_niss(self, numero: str) -> str | None:
        r = self.db.execute("SELECT niss_ee FROM documentos WHERE numero=?", (numero,)).fetchone()
        return r[0] if r else None

    def cancelar_documento(self, numero: str) -> dict:
        r = self.db.execute("SELECT estado, data_validade FROM documentos WHERE numero=?", (numero,)).fetchone()
        pago = self.db.execute("SELECT 1 FROM pagamentos WHERE numero_documento=?", (numero,)).fetchone()
        if r is None or pago or r[0] != "EMITIDO" or r[1] < self.hoje().isoformat():
            return {"codigoResultado": 17, "mensagem": "Documento não pode ser cancelado: não está a pagamento, expirado,"
                                                       " cancelado ou pago."}
        self.db.execute("UPDATE documentos SET estado='CANCELADO' WHERE numero=?", (numero,))
        return {"codigoResultado": 1, "mensagem": "Documento de pagamento cancelado."}

    # ---------------------------------------------------------------- SOAP timeouts (admin)
    def agendar_timeouts_soap(self, vezes: int) -> dict:
        """Admin: the next ``vezes`` SOAP calls answer the live service's timeout Fault (codigo-resultado 408)."""
        self._timeouts_soap = max(0, int(vezes))
        return {"timeouts_soap": self._timeouts_soap}

    def consumir_timeout_soap(self) -> bool:
        if getattr(self, "_timeouts_soap", 0) > 0:
            self._timeouts_soap -= 1
            return True
        return False

    def debitos_diretos(self) -> dict:
        v = self._meta("debito_direto")
        return json.loads(v) if v else {}

    def registar_debito_direto(self, niss_ee: str, numero_autorizacao: str | None) -> dict:
        """Admin: documents issued from now on for this employer are collected by direct debit (``None`` ends it)."""
        dd = self.debitos_diretos()
        if numero_autorizacao:
            dd[niss_ee] = str(numero_autorizacao)
        else:
            dd.pop(niss_ee, None)
        self._set_meta("debito_direto", json.dumps(dd))
        return dd

    def registar_pagamento(self, numero: str, data_pagamento: str | None) -> dict:
        r = self.db.execute("SELECT niss_ee, ano_mes, valor FROM documentos WHERE numero=?", (numero,)).fetchone()
        if r is None:
            raise ErroPedido("Documento de pagamento não encontrado.", 404)
        dp = data_pagamento or self.hoje().isoformat()
        self.db.execute("INSERT OR REPLACE INTO pagamentos VALUES (?,?,?,?,?)", (numero, r[0], r[1], dp, r[2]))
        return {"numeroDocumentoPagamento": numero, "dataPagamento": dp, "valor": Decimal(r[2])}

    def comprovativos_pagamento(self, niss_ee: str, ano_pagamento: str) -> list[dict]:
        """Receipts of the payments made in ``ano_pagamento`` (the year of payment)."""
        q = ("SELECT numero_documento, data_pagamento, valor FROM pagamentos WHERE niss_ee=? AND substr(data_pagamento, 1, 4)=?"
             " ORDER BY data_pagamento, numero_documento")
        return [{"numeroDocumentoPagamento": a, "dataPagamento": b, "valor": Decimal(c)}
                for a, b, c in self.db.execute(q, (niss_ee, ano_pagamento))]

    # ---------------------------------------------------------------- request log
    def log_request(self, method: str, path: str, query: str, status: int, niss: str | None, duration_ms: float) -> None:
        self._log_seq += 1
        self.log_buffer.append((self._log_seq, datetime.now(LISBOA).replace(tzinfo=None).isoformat(timespec="milliseconds"),
                                method, path, query, status, niss, round(duration_ms, 3)))

    def flush_log(self) -> None:
        if not self.log_buffer:
            return
        buf, self.log_buffer = self.log_buffer, []
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO pedidos_log VALUES (?,?,?,?,?,?,?,?)", buf)
        self.db.execute("COMMIT")

    def requests(self, method: str | None, path_contains: str | None, limit: int = 10000) -> list[dict]:
        self.flush_log()
        q = "SELECT id, ts, method, path, query, status, niss, duration_ms FROM pedidos_log WHERE 1=1"
        args: list = []
        if method:
            q += " AND method=?"
            args.append(method.upper())
        if path_contains:
            q += " AND instr(path, ?) > 0"
            args.append(path_contains)
        q += " ORDER BY id LIMIT ?"
        args.append(limit)
        return [{"id": a, "time": b, "method": c, "path": d, "query": e, "status": f, "niss": g, "duration_ms": h}
                for a, b, c, d, e, f, g, h in self.db.execute(q, args)]
