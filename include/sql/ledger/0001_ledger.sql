-- Ledger schema v1: the pipeline's own record of each employer's monthly cycle (never Airflow's metadata DB).
-- Portable across SQLite and PostgreSQL. Placeholders filled by ciclo.ledger.migrations:
--   {ID} auto-increment primary key, {TS} timestamp with time zone.
-- Money is stored as integer cents (exact on both engines; Decimal at the edges, half-up to cents).

CREATE TABLE payroll_snapshot (
    id {ID},
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    content_hash CHAR(64) NOT NULL,
    n_trabalhadores INTEGER NOT NULL,
    quality_ok BOOLEAN NOT NULL,
    n_erros INTEGER NOT NULL DEFAULT 0,
    n_avisos INTEGER NOT NULL DEFAULT 0,
    report_path TEXT,
    created_at {TS} NOT NULL,
    UNIQUE (niss_ee, ano_mes, content_hash)
);

-- Contract changes communicated through SOAP alterarContratoTrabalho, one row per (worker, contract version).
CREATE TABLE contrato_comunicado (
    id {ID},
    niss_ee VARCHAR(11) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    inicio_contrato DATE NOT NULL,
    campos_hash CHAR(64) NOT NULL,
    campos_json TEXT NOT NULL,
    estado VARCHAR(16) NOT NULL,          -- PENDING, ACKNOWLEDGED, FAILED, UNKNOWN
    codigo_resultado INTEGER,
    mensagens TEXT,
    ano_mes CHAR(6) NOT NULL,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    UNIQUE (niss_ee, niss_trabalhador, campos_hash)
);

-- Each submission of valores de remuneração. The idempotency key is sha256(EE | month | payload hash).
CREATE TABLE submissao (
    id {ID},
    idempotency_key CHAR(64) NOT NULL UNIQUE,
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    payload_hash CHAR(64) NOT NULL,
    estado VARCHAR(16) NOT NULL,          -- PENDING, SENT, ACKNOWLEDGED, FAILED, UNKNOWN
    comprovativo_entrega VARCHAR(64),
    correcao BOOLEAN NOT NULL DEFAULT FALSE,
    n_trabalhadores INTEGER NOT NULL,
    tentativas INTEGER NOT NULL DEFAULT 0,
    erro TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL
);
CREATE INDEX ix_submissao_ee_mes ON submissao (niss_ee, ano_mes);

-- Apuramento status per EE and month, as last seen at the Segurança Social.
CREATE TABLE apuramento (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    estado VARCHAR(20) NOT NULL,
    n_trabalhadores INTEGER,
    total_remuneracao_cent BIGINT,
    total_obrigacao_cent BIGINT,
    data_limite_pagamento DATE,
    verificado_em {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes)
);

-- Valores apurados per worker: the raw JSON as received, and normalised totals.
CREATE TABLE valores_apurados (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    total_remuneracao_cent BIGINT NOT NULL,
    total_contribuicao_cent BIGINT NOT NULL,
    total_reducao_cent BIGINT NOT NULL,
    total_obrigacao_cent BIGINT NOT NULL,
    dias_trabalho NUMERIC(6, 2),
    dias_inatividade NUMERIC(6, 2),
    raw_json TEXT NOT NULL,
    obtido_em {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes, niss_trabalhador)
);

-- Normalised lines of the valores apurados: remuneration by natureza and contributions by enquadramento.
CREATE TABLE apurado_remuneracao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    natureza VARCHAR(2) NOT NULL,
    remuneracao_cent BIGINT NOT NULL,
    dias_trabalho NUMERIC(6, 2),
    origem VARCHAR(24),
    PRIMARY KEY (niss_ee, ano_mes, niss_trabalhador, natureza)
);

CREATE TABLE apurado_contribuicao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    enquadramento VARCHAR(120) NOT NULL,
    valor_cotizacao_cent BIGINT NOT NULL,
    taxa_cotizacao NUMERIC(6, 3),
    valor_contribuicao_cent BIGINT NOT NULL,
    taxa_contribuicao NUMERIC(6, 3),
    obrigacao_cent BIGINT NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes, niss_trabalhador, enquadramento)
);

-- Audit of every external call: service, outcome, duration. No secrets, no amounts.
CREATE TABLE chamada_externa (
    id {ID},
    niss_ee VARCHAR(11),
    ano_mes CHAR(6),
    servico VARCHAR(64) NOT NULL,
    metodo VARCHAR(8) NOT NULL,
    status INTEGER,
    resultado VARCHAR(32) NOT NULL,       -- ok, erro, desconhecido
    duracao_ms INTEGER NOT NULL,
    erro_classe VARCHAR(64),
    created_at {TS} NOT NULL
);
CREATE INDEX ix_chamada_ee_mes ON chamada_externa (niss_ee, ano_mes);
