-- pgbench script for P1's floor: the minimal SQL one state update needs.
\set state random(0, 1)
BEGIN;
SELECT version FROM dataset WHERE id = (SELECT dataset FROM bench_targets WHERE client = :client_id) FOR UPDATE;
UPDATE data_product SET state = CASE WHEN :state = 0 THEN 'running' ELSE 'success' END, modified_date = now()
  WHERE (dataset_id, id) = (SELECT dataset, product FROM bench_targets WHERE client = :client_id);
COMMIT;
