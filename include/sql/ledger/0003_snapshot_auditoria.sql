-- Ledger schema v3 (application layer):
-- * the payroll snapshot keeps the exact bytes of the export files it was loaded from, so every later step (on any
--   worker of a distributed deployment) reads the same payroll by content hash, and the payload that passed the
--   quality gate is stored with it: sending refuses anything else;
-- * every external call's audit row carries the reference the Segurança Social gave (comprovativo, chave, document).
-- Placeholders: {ID}, {TS}, {BLOB} (BLOB on SQLite, BYTEA on PostgreSQL).

CREATE TABLE payroll_ficheiro (
    content_hash CHAR(64) NOT NULL,
    tipo VARCHAR(20) NOT NULL,
    nome VARCHAR(255) NOT NULL,
    dados {BLOB} NOT NULL,
    PRIMARY KEY (content_hash, nome)
);

ALTER TABLE payroll_snapshot ADD COLUMN payload_hash CHAR(64);
ALTER TABLE payroll_snapshot ADD COLUMN payload_json TEXT;
ALTER TABLE payroll_snapshot ADD COLUMN n_remuneracoes INTEGER;
ALTER TABLE chamada_externa ADD COLUMN referencia VARCHAR(80);

-- Finance emails sent, once per content: a re-run does not send the same report again; a correction (new facts)
-- sends a new one.
CREATE TABLE email_financas (
    conteudo_hash CHAR(64) NOT NULL PRIMARY KEY,
    ano_mes CHAR(6) NOT NULL,
    niss_ees TEXT NOT NULL,
    destinatarios TEXT NOT NULL,
    enviado_em {TS} NOT NULL
);

-- A lease per write (employer, month, operation): two executions of the same month cannot both POST. Taken with
-- one atomic upsert (only when free, expired, or already ours), released after the write; a dead holder's lease
-- expires and the next holder asks the Segurança Social before sending anything again.
CREATE TABLE concessao (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    operacao VARCHAR(40) NOT NULL,
    dono VARCHAR(200) NOT NULL,
    expira_em {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes, operacao)
);
