-- The Segurança Social's own contract data checked before the apuramento (issue #14, item 3): one row per check of an
-- employer's month — which payroll snapshot was compared, how many workers, which disagreed (field by field: what
-- the SS holds, what the payroll says) and the pending or not-accepted communications the SS listed. The operator's
-- approval and the contract changes that fix a disagreement are recorded where they always are (contrato_comunicado,
-- chamada_externa); this table says what was seen, when.
CREATE TABLE contrato_verificacao (
    id {ID},
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    content_hash CHAR(64) NOT NULL,
    n_trabalhadores INTEGER NOT NULL,
    n_divergencias INTEGER NOT NULL,
    n_comunicacoes INTEGER NOT NULL,
    divergencias_json TEXT NOT NULL,
    comunicacoes_json TEXT NOT NULL,
    verificado_em {TS} NOT NULL
);

CREATE INDEX contrato_verificacao_mes ON contrato_verificacao (niss_ee, ano_mes);
