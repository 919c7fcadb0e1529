-- One row per worker of an employer's month, the payroll's totals (interno_trabalhador) next to the Segurança
-- Social's (valores_apurados): the workers of the payroll, then those only the SS holds, by NISS. The last two
-- columns say on which side the worker is. Portable SQLite/PostgreSQL (LEFT JOIN, UNION ALL, NOT EXISTS).
SELECT niss_trabalhador, enquadramento, folha_remuneracao_cent, ss_remuneracao_cent, folha_obrigacao_cent,
       ss_obrigacao_cent, folha_dias, ss_dias, na_folha, na_ss
  FROM (SELECT i.niss_trabalhador, i.enquadramento,
               i.total_remuneracao_cent AS folha_remuneracao_cent, a.total_remuneracao_cent AS ss_remuneracao_cent,
               i.obrigacao_cent AS folha_obrigacao_cent, a.total_obrigacao_cent AS ss_obrigacao_cent,
               i.dias_trabalho AS folha_dias, a.dias_trabalho AS ss_dias,
               1 AS na_folha, CASE WHEN a.niss_trabalhador IS NULL THEN 0 ELSE 1 END AS na_ss
          FROM interno_trabalhador i
          LEFT JOIN valores_apurados a
            ON a.niss_ee = i.niss_ee AND a.ano_mes = i.ano_mes AND a.niss_trabalhador = i.niss_trabalhador
         WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes
        UNION ALL
        SELECT a.niss_trabalhador, NULL, NULL, a.total_remuneracao_cent, NULL, a.total_obrigacao_cent, NULL,
               a.dias_trabalho, 0, 1
          FROM valores_apurados a
         WHERE a.niss_ee = :niss_ee AND a.ano_mes = :ano_mes
           AND NOT EXISTS (SELECT 1 FROM interno_trabalhador i
                            WHERE i.niss_ee = a.niss_ee AND i.ano_mes = a.ano_mes
                              AND i.niss_trabalhador = a.niss_trabalhador)) t
 ORDER BY niss_trabalhador
