-- Whether each month's payment documents were paid, from the Segurança Social's payment receipts
-- (GET /ptss/rest/ci/comprovativos-pagamento/{ano-pagamento}): PAGO, PARCIALMENTE_PAGO or NAO_PAGO.
CREATE TABLE pagamento_mes (
    niss_ee VARCHAR(11) NOT NULL,
    ano_mes CHAR(6) NOT NULL,
    estado VARCHAR(20) NOT NULL,
    devido_cent BIGINT NOT NULL,
    pago_cent BIGINT NOT NULL,
    verificado_em {TS} NOT NULL,
    PRIMARY KEY (niss_ee, ano_mes)
);
