"""In-memory fakes of the application layer's ports: a PSI that records every call and can lose an answer, a
mailer that keeps messages, a payroll source serving generated exports. The ledger is a real SQLite database in a
temp dir (the ledger's own behaviour is part of what these steps promise)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.portas import Portas
from ciclo.domain.periodo import AnoMes
from ciclo.ledger import Ledger
from ciclo.psi import errors as E
from ciclo.psi import models as M

EE = "20000003116"
MES = "202610"


@dataclass
class PsiFalsa:
    """What the Segurança Social holds, and every call made to it."""

    chamadas: list[tuple[str, str]] = field(default_factory=list)
    submissoes: dict[str, dict] = field(default_factory=dict)  # comprovativo -> payload
    confirmado: bool = False
    perder_resposta_post: int = 0  # the next N POSTs are recorded by the SS but their answer is lost
    alertas_ss: list[dict] = field(default_factory=list)
    estado_mensal: str = "EM_APURAMENTO"  # the month's state at the SS (valores apurados mensal)

    def aviso_token(self, agora=None):
        from ciclo.psi.auth import aviso_expiracao

        return aviso_expiracao(self.credenciais, agora)

    # REST client surface used by the steps -------------------------------------------------------------
    def enviar_valores_remuneracao(self, niss_ee, payload):
        self.chamadas.append(("POST", "valores-remuneracao"))
        comp = str(uuid.uuid4())
        self.submissoes[comp] = payload
        if self.perder_resposta_post:
            self.perder_resposta_post -= 1
            raise E.PsiOutcomeUnknown("valores-remuneracao: no answer (lost)", servico="valores-remuneracao")
        return M.ComprovativoEntrega(comprovativoEntrega=comp)

    def comprovativos(self, niss_ee, *, ano_mes=None):
        self.chamadas.append(("GET", "comprovativos"))
        return [M.Comprovativo(comprovativoEntrega=c, anoMes=ano_mes, dataHoraEntrega=f"2026-11-0{i + 1}T10:00:00")
                for i, c in enumerate(self.submissoes)]

    def comprovativo(self, niss_ee, comp):
        self.chamadas.append(("GET", "comprovativo"))
        return M.ComprovativoDetalhe(comprovativoEntrega=comp, trabalhadores=self.submissoes[comp]["trabalhadores"])

    def alertas(self, niss_ee, *, ano_mes=None):
        self.chamadas.append(("GET", "alertas"))
        return [M.Alerta(**a) for a in self.alertas_ss]

    def valores_apurados_mensal(self, niss_ee, ano_mes):
        self.chamadas.append(("GET", "mensal"))
        return M.ApuramentoMensal(anoMes=ano_mes, estado=self.estado_mensal)

    def confirmar(self, niss_ee, ano_mes):
        self.chamadas.append(("POST", "confirmar"))
        ja, self.confirmado = self.confirmado, True
        return M.Confirmacao(anoMes=ano_mes, confirmado=True, dataConfirmacao="2026-11-15T10:00:00", jaConfirmado=ja)

    # LigacaoPsi surface ---------------------------------------------------------------------------------
    concurrency = 4
    rate_per_second = None

    @contextmanager
    def get_client(self, **kw):
        yield self

    def posts(self, servico: str) -> int:
        return sum(1 for m, s in self.chamadas if m == "POST" and s == servico)


@dataclass
class MailerFalso:
    enviados: list = field(default_factory=list)

    def enviar(self, mensagem) -> None:
        self.enviados.append(mensagem)


@dataclass
class FonteFalsa:
    pastas: dict[str, Path] = field(default_factory=dict)

    def ler(self, location: str) -> dict[str, bytes]:
        from ciclo.app.portas import FontePastaLocal

        return FontePastaLocal().ler(location)


@pytest.fixture
def mundo(tmp_path):
    """Ports over fakes, a real SQLite ledger, and an employer whose payroll folder is under tmp_path."""
    psi = PsiFalsa()
    mailer = MailerFalso()
    d = Definicoes(home=tmp_path / "home", ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=lambda e: psi, fonte=FonteFalsa(),
               mailer=mailer)
    emp = Employer(EE, "Exemplo, Lda.", "psi_x", f"file://{tmp_path}/payroll/{{niss_ee}}/{{ano_mes}}",
                   ("financas@exemplo.pt",))
    yield {"p": p, "psi": psi, "mailer": mailer, "emp": emp, "pasta": tmp_path / "payroll" / EE / MES}
    p.fechar()


def execucao(emp, **kw) -> Execucao:
    return Execucao(emp, AnoMes.parse(MES), **kw)


def snapshot_verificado(p: Portas, payload: dict, *, ok: bool = True, content_hash: str | None = None) -> str:
    """Record a verified snapshot carrying ``payload`` (what the quality step stores), without running GX."""
    from ciclo.app.envio import payload_hash
    from ciclo.domain import jsonexato

    h = content_hash or uuid.uuid4().hex * 2
    p.ledger.folhas.registar(EE, MES, h, n_trabalhadores=len(payload["trabalhadores"]), n_remuneracoes=1,
                             quality_ok=ok, n_erros=0 if ok else 3, n_avisos=0, report_path="/tmp/relatorio.html",
                             payload_hash=payload_hash(payload) if ok else None,
                             payload_json=jsonexato.dumps(payload) if ok else None)
    return h


def payload(valor: str = "100.00") -> dict:
    return {"anoMes": MES, "trabalhadores": [{"nissTrabalhador": "12345678910", "remuneracoes": [
        {"dataInicio": "2026-10-01", "dataFim": "2026-10-31", "natureza": "B", "remuneracao": Decimal(valor),
         "diasTrabalho": 0}], "inatividades": []}]}
