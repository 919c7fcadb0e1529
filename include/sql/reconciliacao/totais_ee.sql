-- Totals per EE and month on both sides. Parameters: :niss_ee, :ano_mes.
SELECT
  (SELECT COUNT(*) FROM interno_trabalhador WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) AS trabalhadores_folha,
  (SELECT COUNT(*) FROM valores_apurados WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) AS trabalhadores_ss,
  (SELECT COALESCE(SUM(total_remuneracao_cent), 0) FROM interno_trabalhador WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) AS interno_remuneracao_cent,
  (SELECT COALESCE(SUM(total_remuneracao_cent), 0) FROM valores_apurados WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) AS ss_remuneracao_cent,
  (SELECT COALESCE(SUM(obrigacao_cent), 0) FROM interno_trabalhador WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) AS interno_obrigacao_cent,
  (SELECT COALESCE(SUM(total_obrigacao_cent), 0) FROM valores_apurados WHERE niss_ee = :niss_ee AND ano_mes = :ano_mes) AS ss_obrigacao_cent
