-- Pedidos: corrections of an earlier, closed month through the eeaoc Pedidos (DR 1-A/2011 art. 26.º).
-- One row per correction the operator approved (the idempotency key is over employer, month and the payload hash
-- of the payroll snapshot being corrected to). PENDING is committed before the POST; SENT/UNKNOWN are looked up at the
-- Segurança Social (Consultar Pedidos) before any resend. estado_ss follows the SS's answer (SUBMETIDO, EM_ANALISE,
-- DEFERIDO, INDEFERIDO); refrescado_em is set once the accepted correction refreshed the month in the ledger.
CREATE TABLE pedido_correcao (
    id {ID},
    idempotency_key CHAR(64) NOT NULL UNIQUE,
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    payload_hash CHAR(64) NOT NULL,
    content_hash CHAR(64) NOT NULL,
    estado VARCHAR(16) NOT NULL,          -- PENDING, SENT, ACKNOWLEDGED, FAILED, UNKNOWN (our side of the POST)
    numero_pedido VARCHAR(64),
    estado_ss VARCHAR(20),
    fora_de_prazo BOOLEAN NOT NULL DEFAULT FALSE,
    limite DATE,
    n_trabalhadores INTEGER NOT NULL,
    n_anulacoes INTEGER NOT NULL DEFAULT 0,
    aprovado_por VARCHAR(200),
    fundamentacao_decisao TEXT,
    tentativas INTEGER NOT NULL DEFAULT 0,
    erro TEXT,
    refrescado_em {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL
);
CREATE INDEX ix_pedido_correcao_ee_mes ON pedido_correcao (niss_ee, ano_mes);
