-- The audit of external calls as operators read it (docs/RELIABILITY.md): one row per call to the Segurança
-- Social — service, method, HTTP status, outcome (ok / erro / desconhecido), duration, the SS's reference where a
-- step recorded one. Never secrets, never amounts.
CREATE VIEW auditoria_chamadas AS
SELECT created_at, niss_ee, ano_mes, servico, metodo, status, resultado, duracao_ms, erro_classe, referencia
FROM chamada_externa;
