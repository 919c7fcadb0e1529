-- Differences between the payroll (interno_*) and the valores apurados (valores_apurados, apurado_*) of one
-- EE and month, one row per difference, classified. Parameters: :niss_ee, :ano_mes. Portable SQL (SQLite and
-- PostgreSQL): no FULL JOIN, no dialect functions. Amounts in integer cents. Explanations are added in Python
-- from the class (ciclo.reconciliacao.EXPLICACOES) so their wording lives in one place.

-- 1. A worker in the payroll without valores apurados at the Segurança Social.
SELECT i.niss_trabalhador, 'TRABALHADOR_SEM_VALORES_SS' AS classe, NULL AS natureza,
       i.obrigacao_cent AS interno_cent, NULL AS ss_cent, NULL AS interno_texto, NULL AS ss_texto
FROM interno_trabalhador i
WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes
  AND NOT EXISTS (SELECT 1 FROM valores_apurados v
                  WHERE v.niss_ee = i.niss_ee AND v.ano_mes = i.ano_mes AND v.niss_trabalhador = i.niss_trabalhador)

UNION ALL
-- 2. A worker with valores apurados the payroll does not know.
SELECT v.niss_trabalhador, 'TRABALHADOR_DESCONHECIDO_FOLHA', NULL,
       NULL, v.total_obrigacao_cent, NULL, NULL
FROM valores_apurados v
WHERE v.niss_ee = :niss_ee AND v.ano_mes = :ano_mes
  AND NOT EXISTS (SELECT 1 FROM interno_trabalhador i
                  WHERE i.niss_ee = v.niss_ee AND i.ano_mes = v.ano_mes AND i.niss_trabalhador = v.niss_trabalhador)

UNION ALL
-- 3. A natureza on the payroll side only (for workers known on both sides).
SELECT r.niss_trabalhador, 'NATUREZA_SO_FOLHA', r.natureza, r.remuneracao_cent, NULL, NULL, NULL
FROM interno_remuneracao r
JOIN valores_apurados v ON v.niss_ee = r.niss_ee AND v.ano_mes = r.ano_mes AND v.niss_trabalhador = r.niss_trabalhador
WHERE r.niss_ee = :niss_ee AND r.ano_mes = :ano_mes AND r.remuneracao_cent <> 0
  AND NOT EXISTS (SELECT 1 FROM apurado_remuneracao a
                  WHERE a.niss_ee = r.niss_ee AND a.ano_mes = r.ano_mes AND a.niss_trabalhador = r.niss_trabalhador
                    AND a.natureza = r.natureza)

UNION ALL
-- 4. A natureza on the Segurança Social's side only.
SELECT a.niss_trabalhador, 'NATUREZA_SO_SS', a.natureza, NULL, a.remuneracao_cent, NULL, NULL
FROM apurado_remuneracao a
JOIN interno_trabalhador i ON i.niss_ee = a.niss_ee AND i.ano_mes = a.ano_mes AND i.niss_trabalhador = a.niss_trabalhador
WHERE a.niss_ee = :niss_ee AND a.ano_mes = :ano_mes AND a.remuneracao_cent <> 0
  AND NOT EXISTS (SELECT 1 FROM interno_remuneracao r
                  WHERE r.niss_ee = a.niss_ee AND r.ano_mes = a.ano_mes AND r.niss_trabalhador = a.niss_trabalhador
                    AND r.natureza = a.natureza)

UNION ALL
-- 5. The same natureza with different amounts (P: the permanent remuneration, from the contract).
SELECT r.niss_trabalhador,
       CASE WHEN r.natureza = 'P' THEN 'REMUNERACAO_PERMANENTE_DIFERENTE' ELSE 'NATUREZA_VALOR_DIFERENTE' END,
       r.natureza, r.remuneracao_cent, a.remuneracao_cent, NULL, NULL
FROM interno_remuneracao r
JOIN apurado_remuneracao a ON a.niss_ee = r.niss_ee AND a.ano_mes = r.ano_mes
                           AND a.niss_trabalhador = r.niss_trabalhador AND a.natureza = r.natureza
WHERE r.niss_ee = :niss_ee AND r.ano_mes = :ano_mes AND r.remuneracao_cent <> a.remuneracao_cent

UNION ALL
-- 6. Different days of work.
SELECT i.niss_trabalhador, 'DIAS_DIFERENTES', NULL, NULL, NULL,
       CAST(i.dias_trabalho AS VARCHAR(20)), CAST(v.dias_trabalho AS VARCHAR(20))
FROM interno_trabalhador i
JOIN valores_apurados v ON v.niss_ee = i.niss_ee AND v.ano_mes = i.ano_mes AND v.niss_trabalhador = i.niss_trabalhador
WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes
  AND i.dias_trabalho IS NOT NULL AND v.dias_trabalho IS NOT NULL AND i.dias_trabalho <> v.dias_trabalho

UNION ALL
-- 7. A different enquadramento or rates.
SELECT i.niss_trabalhador, 'TAXA_OU_ENQUADRAMENTO_DIFERENTE', NULL, NULL, NULL,
       i.enquadramento || ' ' || CAST(i.taxa_cotizacao AS VARCHAR(12)) || '% + ' || CAST(i.taxa_contribuicao AS VARCHAR(12)) || '%',
       c.enquadramento || ' ' || CAST(c.taxa_cotizacao AS VARCHAR(12)) || '% + ' || CAST(c.taxa_contribuicao AS VARCHAR(12)) || '%'
FROM interno_trabalhador i
JOIN apurado_contribuicao c ON c.niss_ee = i.niss_ee AND c.ano_mes = i.ano_mes AND c.niss_trabalhador = i.niss_trabalhador
WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes
  AND (LOWER(i.enquadramento) <> LOWER(c.enquadramento)
       OR i.taxa_cotizacao <> c.taxa_cotizacao OR i.taxa_contribuicao <> c.taxa_contribuicao)

UNION ALL
-- 8. A different obligation (cotização + contribuição − reduções) per worker.
SELECT i.niss_trabalhador, 'OBRIGACAO_DIFERENTE', NULL, i.obrigacao_cent, v.total_obrigacao_cent, NULL, NULL
FROM interno_trabalhador i
JOIN valores_apurados v ON v.niss_ee = i.niss_ee AND v.ano_mes = i.ano_mes AND v.niss_trabalhador = i.niss_trabalhador
WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes AND i.obrigacao_cent <> v.total_obrigacao_cent

UNION ALL
-- 9. The payroll's own contributions differ from the rates table's (when the export carries them).
SELECT i.niss_trabalhador, 'FOLHA_CONTRIBUICAO_DIFERENTE', NULL,
       i.folha_cotizacao_cent + i.folha_contribuicao_cent, i.cotizacao_cent + i.contribuicao_cent, NULL, NULL
FROM interno_trabalhador i
WHERE i.niss_ee = :niss_ee AND i.ano_mes = :ano_mes
  AND i.folha_cotizacao_cent IS NOT NULL AND i.folha_contribuicao_cent IS NOT NULL
  AND (i.folha_cotizacao_cent <> i.cotizacao_cent OR i.folha_contribuicao_cent <> i.contribuicao_cent)

ORDER BY 1, 2, 3
