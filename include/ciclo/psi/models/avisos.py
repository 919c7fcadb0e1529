"""'Consultar Avisos' list item (``GET /ptss/rest/eeaoc/avisos/{niss-ee}``).

Path PUBLIC-CLIENT (diegobarbosa88/atualizacao-app-magnetic-place, ``api/seguranca-social/index.js``, action
``avisos``). Item fields ``resumoAviso``/``descricaoAviso``: named by issue 12 as seen in that public client; the
two files read pass items through unnamed, so they stay tolerant (both optional, unknown fields kept). The older
ASSUMED fields (``anoMes``, ``tipo``) are kept optional: the sandbox still sends them, a real answer need not.
"""
from ciclo.psi.models._base import Modelo


class Aviso(Modelo):
    resumoAviso: str | None = None
    descricaoAviso: str | None = None
    anoMes: str | None = None  # ASSUMED
    tipo: str | None = None    # ASSUMED: PRAZO | ALERTA | INFO

    @property
    def texto(self) -> str:
        """What to show the operator: summary — description (whichever are present)."""
        partes = [p for p in (self.resumoAviso, self.descricaoAviso) if p]
        return " — ".join(partes) or str((self.model_extra or {}).get("mensagem") or "")
