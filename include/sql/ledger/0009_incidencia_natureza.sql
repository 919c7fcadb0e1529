-- The payroll's gross, exempt and subject amounts per natureza, computed with the internal totals when the payroll
-- passes the quality gate: the finance workbook's Incidência sheet reads them here instead of parsing the payroll
-- again (for a large employer that cost seconds and the payroll's memory in the report's task).
CREATE TABLE interno_incidencia (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    natureza VARCHAR(2) NOT NULL,
    bruto_cent BIGINT NOT NULL,
    isento_cent BIGINT NOT NULL,
    sujeito_cent BIGINT NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes, natureza)
);
