-- Each dataset's products per state, one column each, written with every change (from the plan
-- the orchestrator holds, so no change counts rows): the search shows them and filters on them
-- (docs/api.md, "Searching"). Each state has a partial index in the search's order, so a filter
-- on a rare state reads only the plans that have it.
ALTER TABLE dataset
    ADD COLUMN products_waiting  integer NOT NULL DEFAULT 0 CHECK (products_waiting >= 0),
    ADD COLUMN products_queued   integer NOT NULL DEFAULT 0 CHECK (products_queued >= 0),
    ADD COLUMN products_running  integer NOT NULL DEFAULT 0 CHECK (products_running >= 0),
    ADD COLUMN products_success  integer NOT NULL DEFAULT 0 CHECK (products_success >= 0),
    ADD COLUMN products_failed   integer NOT NULL DEFAULT 0 CHECK (products_failed >= 0),
    ADD COLUMN products_disabled integer NOT NULL DEFAULT 0 CHECK (products_disabled >= 0);

UPDATE dataset SET
    products_waiting = c.waiting,
    products_queued = c.queued,
    products_running = c.running,
    products_success = c.success,
    products_failed = c.failed,
    products_disabled = c.disabled
FROM (
    SELECT dataset_id,
           count(*) FILTER (WHERE state = 'waiting') AS waiting,
           count(*) FILTER (WHERE state = 'queued') AS queued,
           count(*) FILTER (WHERE state = 'running') AS running,
           count(*) FILTER (WHERE state = 'success') AS success,
           count(*) FILTER (WHERE state = 'failed') AS failed,
           count(*) FILTER (WHERE state = 'disabled') AS disabled
    FROM data_product GROUP BY dataset_id
) AS c
WHERE c.dataset_id = dataset.id;

CREATE INDEX dataset_with_waiting ON dataset (last_modified DESC, id) WHERE products_waiting > 0;
CREATE INDEX dataset_with_queued ON dataset (last_modified DESC, id) WHERE products_queued > 0;
CREATE INDEX dataset_with_running ON dataset (last_modified DESC, id) WHERE products_running > 0;
CREATE INDEX dataset_with_success ON dataset (last_modified DESC, id) WHERE products_success > 0;
CREATE INDEX dataset_with_failed ON dataset (last_modified DESC, id) WHERE products_failed > 0;
CREATE INDEX dataset_with_disabled ON dataset (last_modified DESC, id) WHERE products_disabled > 0;
