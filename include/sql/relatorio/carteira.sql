-- The portfolio of a month: where each employer found in the ledger for :ano_mes stands, one row per employer.
-- Portable SQLite/PostgreSQL (scalar subqueries, LEFT JOINs, no vendor functions). :ano_mes_anterior gives the
-- previous month's obligation for the month-to-month comparison.
SELECT e.niss_ee,
       (SELECT s.quality_ok FROM payroll_snapshot s
         WHERE s.niss_ee = e.niss_ee AND s.ano_mes = :ano_mes ORDER BY s.id DESC LIMIT 1)           AS qualidade_ok,
       (SELECT s.n_erros FROM payroll_snapshot s
         WHERE s.niss_ee = e.niss_ee AND s.ano_mes = :ano_mes ORDER BY s.id DESC LIMIT 1)           AS qualidade_erros,
       (SELECT s.n_avisos FROM payroll_snapshot s
         WHERE s.niss_ee = e.niss_ee AND s.ano_mes = :ano_mes ORDER BY s.id DESC LIMIT 1)           AS qualidade_avisos,
       (SELECT sb.estado FROM submissao sb
         WHERE sb.niss_ee = e.niss_ee AND sb.ano_mes = :ano_mes ORDER BY sb.id DESC LIMIT 1)        AS envio_estado,
       (SELECT sb.comprovativo_entrega FROM submissao sb
         WHERE sb.niss_ee = e.niss_ee AND sb.ano_mes = :ano_mes ORDER BY sb.id DESC LIMIT 1)        AS comprovativo,
       (SELECT sb.updated_at FROM submissao sb
         WHERE sb.niss_ee = e.niss_ee AND sb.ano_mes = :ano_mes ORDER BY sb.id DESC LIMIT 1)        AS enviado_em,
       (SELECT COUNT(*) FROM submissao sb
         WHERE sb.niss_ee = e.niss_ee AND sb.ano_mes = :ano_mes AND sb.correcao)                   AS correcoes,
       ap.estado                 AS apuramento_estado,
       ap.total_obrigacao_cent   AS apuramento_obrigacao_cent,
       ap.data_limite_pagamento  AS data_limite_pagamento,
       anterior.total_obrigacao_cent AS obrigacao_anterior_cent,
       r.ss_obrigacao_cent       AS ss_obrigacao_cent,
       r.diferencas              AS diferencas,
       r.diferencas_fora_tolerancia AS diferencas_bloqueantes,
       c.estado                  AS confirmacao_estado,
       c.modo                    AS confirmacao_modo,
       c.decidido_por            AS decidido_por,
       c.nota                    AS nota,
       c.data_confirmacao        AS data_confirmacao,
       c.updated_at              AS decidido_em,
       (SELECT COUNT(*) FROM documento_pagamento d
         WHERE d.niss_ee = e.niss_ee AND d.ano_mes = :ano_mes)                                    AS documentos,
       (SELECT SUM(d.valor_cent) FROM documento_pagamento d
         WHERE d.niss_ee = e.niss_ee AND d.ano_mes = :ano_mes)                                    AS documentos_cent,
       pg.estado                 AS pagamento_estado,
       pg.pago_cent              AS pagamento_pago_cent,
       pg.devido_cent            AS pagamento_devido_cent
  FROM (SELECT niss_ee FROM payroll_snapshot WHERE ano_mes = :ano_mes
        UNION SELECT niss_ee FROM submissao WHERE ano_mes = :ano_mes
        UNION SELECT niss_ee FROM apuramento WHERE ano_mes = :ano_mes
        UNION SELECT niss_ee FROM reconciliacao WHERE ano_mes = :ano_mes
        UNION SELECT niss_ee FROM confirmacao WHERE ano_mes = :ano_mes) e
  LEFT JOIN apuramento ap ON ap.niss_ee = e.niss_ee AND ap.ano_mes = :ano_mes
  LEFT JOIN apuramento anterior ON anterior.niss_ee = e.niss_ee AND anterior.ano_mes = :ano_mes_anterior
  LEFT JOIN reconciliacao r ON r.niss_ee = e.niss_ee AND r.ano_mes = :ano_mes
  LEFT JOIN confirmacao c ON c.niss_ee = e.niss_ee AND c.ano_mes = :ano_mes
  LEFT JOIN pagamento_mes pg ON pg.niss_ee = e.niss_ee AND pg.ano_mes = :ano_mes
 ORDER BY e.niss_ee
