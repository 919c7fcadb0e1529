-- Ledger schema v2: internal totals from the payroll, reconciliation results, confirmation, payment documents.

-- Internal totals per worker, recomputed from the payroll with the dated rates table (ciclo/data/taxas.yaml).
CREATE TABLE interno_trabalhador (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    enquadramento VARCHAR(120) NOT NULL,
    taxa_cotizacao NUMERIC(6, 3) NOT NULL,
    taxa_contribuicao NUMERIC(6, 3) NOT NULL,
    dias_trabalho NUMERIC(6, 2),
    dias_inatividade NUMERIC(6, 2),
    total_remuneracao_cent BIGINT NOT NULL,
    cotizacao_cent BIGINT NOT NULL,
    contribuicao_cent BIGINT NOT NULL,
    obrigacao_cent BIGINT NOT NULL,
    folha_cotizacao_cent BIGINT,           -- the payroll's own computation, when the export carries it
    folha_contribuicao_cent BIGINT,
    PRIMARY KEY (niss_ee, ano_mes, niss_trabalhador)
);

CREATE TABLE interno_remuneracao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    natureza VARCHAR(2) NOT NULL,
    remuneracao_cent BIGINT NOT NULL,
    dias_trabalho NUMERIC(6, 2),
    PRIMARY KEY (niss_ee, ano_mes, niss_trabalhador, natureza)
);

-- Every difference found between the payroll and the valores apurados, classified and explained.
CREATE TABLE diferenca (
    id {ID},
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    classe VARCHAR(40) NOT NULL,
    natureza VARCHAR(2),
    interno_cent BIGINT,
    ss_cent BIGINT,
    delta_cent BIGINT,
    interno_texto VARCHAR(200),
    ss_texto VARCHAR(200),
    dentro_tolerancia BOOLEAN NOT NULL,
    explicacao TEXT NOT NULL,
    created_at {TS} NOT NULL
);
CREATE INDEX ix_diferenca_ee_mes ON diferenca (niss_ee, ano_mes);

CREATE TABLE reconciliacao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    trabalhadores_folha INTEGER NOT NULL,
    trabalhadores_ss INTEGER NOT NULL,
    interno_remuneracao_cent BIGINT NOT NULL,
    ss_remuneracao_cent BIGINT NOT NULL,
    interno_obrigacao_cent BIGINT NOT NULL,
    ss_obrigacao_cent BIGINT NOT NULL,
    diferencas INTEGER NOT NULL,
    diferencas_fora_tolerancia INTEGER NOT NULL,
    tolerancia_cent BIGINT NOT NULL,
    reconciliado_em {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes)
);

-- The confirmation of the valores apurados: recorded once; a re-run never confirms twice.
CREATE TABLE confirmacao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    estado VARCHAR(20) NOT NULL,           -- PENDING, CONFIRMADO, REJEITADO, UNKNOWN
    modo VARCHAR(20) NOT NULL,             -- automatica, aprovada (operator), silencio
    decidido_por VARCHAR(120),
    nota TEXT,
    data_confirmacao VARCHAR(40),
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes)
);

-- Payment document emission requests and the documents received.
CREATE TABLE pedido_emissao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    ambito INTEGER NOT NULL,
    chave VARCHAR(80),
    codigo_resultado INTEGER,
    estado VARCHAR(20) NOT NULL,           -- PENDING, processando, sucesso, sem_valores, expirado, UNKNOWN
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes, ambito)
);

CREATE TABLE documento_pagamento (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    numero VARCHAR(40) NOT NULL,
    tipo VARCHAR(40),
    subtipo VARCHAR(40),
    valor_cent BIGINT NOT NULL,
    data_validade DATE,
    entidade_mb VARCHAR(10),
    referencia_mb VARCHAR(20),
    iban VARCHAR(40),
    raw_json TEXT NOT NULL,
    obtido_em {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes, numero)
);
