-- Vínculo communications: cessations (SOAP cessarVinculoTrabalhador, by day 10 of M+1 — DR 1-A/2011 art. 8.º n.º 1)
-- and admissions (REST qlf/tco/vinculos/pedido, only after the operator's approval). One row per (employer, worker,
-- kind, date of the event), committed PENDING before the call: exactly once, and a row left SENT/UNKNOWN is
-- resolved by asking the Segurança Social before anything is sent again.
CREATE TABLE vinculo_comunicado (
    id {ID},
    niss_ee VARCHAR(11) NOT NULL,
    niss_trabalhador VARCHAR(11) NOT NULL,
    tipo VARCHAR(10) NOT NULL,            -- CESSACAO, ADMISSAO
    data_evento DATE NOT NULL,            -- data-fim-vinculo (cessation) or inicio-contrato (admission)
    ano_mes CHAR(6) NOT NULL,             -- the reference month whose payroll carried it
    campos_json TEXT NOT NULL,            -- what is (was) sent, without secrets
    estado VARCHAR(16) NOT NULL,          -- PENDING, SENT, ACKNOWLEDGED, FAILED, UNKNOWN
    prazo DATE,                           -- the legal deadline (cessation: day 10 of M+1, next working day)
    fora_de_prazo BOOLEAN NOT NULL DEFAULT FALSE,
    tentativas INTEGER NOT NULL DEFAULT 0,
    codigo_resultado INTEGER,
    mensagens TEXT,
    aprovado_por VARCHAR(200),            -- admission: who approved it
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    UNIQUE (niss_ee, niss_trabalhador, tipo, data_evento)
);
CREATE INDEX vinculo_comunicado_mes ON vinculo_comunicado (niss_ee, ano_mes);
