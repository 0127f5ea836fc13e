-- Each dataset's products per state, one column each, written with every change (from the plan
-- the orchestrator holds, so no change counts rows): the search shows them and filters on them
-- (docs/api.md, "Searching"). Each state has a partial index in the search's order, so a filter
-- on a rare state reads only the plans that have it.
ALTER TABLE dataset ADD COLUMN products_waiting INTEGER NOT NULL DEFAULT 0 CHECK (products_waiting >= 0);
ALTER TABLE dataset ADD COLUMN products_queued INTEGER NOT NULL DEFAULT 0 CHECK (products_queued >= 0);
ALTER TABLE dataset ADD COLUMN products_running INTEGER NOT NULL DEFAULT 0 CHECK (products_running >= 0);
ALTER TABLE dataset ADD COLUMN products_success INTEGER NOT NULL DEFAULT 0 CHECK (products_success >= 0);
ALTER TABLE dataset ADD COLUMN products_failed INTEGER NOT NULL DEFAULT 0 CHECK (products_failed >= 0);
ALTER TABLE dataset ADD COLUMN products_disabled INTEGER NOT NULL DEFAULT 0 CHECK (products_disabled >= 0);

UPDATE dataset SET
    products_waiting = (SELECT count(*) FROM data_product p WHERE p.dataset_id = dataset.id AND p.state = 'waiting'),
    products_queued = (SELECT count(*) FROM data_product p WHERE p.dataset_id = dataset.id AND p.state = 'queued'),
    products_running = (SELECT count(*) FROM data_product p WHERE p.dataset_id = dataset.id AND p.state = 'running'),
    products_success = (SELECT count(*) FROM data_product p WHERE p.dataset_id = dataset.id AND p.state = 'success'),
    products_failed = (SELECT count(*) FROM data_product p WHERE p.dataset_id = dataset.id AND p.state = 'failed'),
    products_disabled = (SELECT count(*) FROM data_product p WHERE p.dataset_id = dataset.id AND p.state = 'disabled');

CREATE INDEX dataset_with_waiting ON dataset (last_modified DESC, id) WHERE products_waiting > 0;
CREATE INDEX dataset_with_queued ON dataset (last_modified DESC, id) WHERE products_queued > 0;
CREATE INDEX dataset_with_running ON dataset (last_modified DESC, id) WHERE products_running > 0;
CREATE INDEX dataset_with_success ON dataset (last_modified DESC, id) WHERE products_success > 0;
CREATE INDEX dataset_with_failed ON dataset (last_modified DESC, id) WHERE products_failed > 0;
CREATE INDEX dataset_with_disabled ON dataset (last_modified DESC, id) WHERE products_disabled > 0;
