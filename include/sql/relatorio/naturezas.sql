-- Remuneration of a month per natureza: the payroll's (interno_remuneracao) against the Segurança Social's
-- (apurado_remuneracao), summed over the employer's workers. Portable SQLite/PostgreSQL (UNION, GROUP BY).
SELECT n.natureza,
       (SELECT SUM(i.remuneracao_cent) FROM interno_remuneracao i
         WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes AND i.natureza = n.natureza)  AS folha_cent,
       (SELECT COUNT(*) FROM interno_remuneracao i
         WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes AND i.natureza = n.natureza)  AS folha_trabalhadores,
       (SELECT SUM(a.remuneracao_cent) FROM apurado_remuneracao a
         WHERE a.niss_ee = :niss_ee AND a.ano_mes = :ano_mes AND a.natureza = n.natureza)  AS ss_cent,
       (SELECT COUNT(*) FROM apurado_remuneracao a
         WHERE a.niss_ee = :niss_ee AND a.ano_mes = :ano_mes AND a.natureza = n.natureza)  AS ss_trabalhadores
  FROM (SELECT natureza FROM interno_remuneracao WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes
        UNION SELECT natureza FROM apurado_remuneracao WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) n
 ORDER BY n.natureza
