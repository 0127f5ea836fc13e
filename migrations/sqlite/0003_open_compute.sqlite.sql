-- Platforms are plugins: which compute names exist is the plugin registry's business, so no
-- constraint names a platform any more. SQLite cannot drop a CHECK, so data_product and run are
-- rebuilt without it (the migrator runs this with foreign keys off and checks them before it
-- commits); every row is copied as it is.

CREATE TABLE data_product_open (
    dataset_id    TEXT    NOT NULL REFERENCES dataset (id),
    id            TEXT    NOT NULL,
    -- Order of first posting: plans are listed in this order.
    position      INTEGER NOT NULL,
    compute       TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    eager         INTEGER NOT NULL CHECK (eager IN (0, 1)),
    passthrough   TEXT,
    state         TEXT    NOT NULL
        CHECK (state IN ('waiting', 'queued', 'running', 'success', 'failed', 'disabled')),
    run_id        TEXT,
    link          TEXT,
    passback      TEXT,
    extra         TEXT,
    modified_by   TEXT    NOT NULL,
    modified_date INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, id),
    UNIQUE (dataset_id, position)
) STRICT, WITHOUT ROWID;

INSERT INTO data_product_open
    (dataset_id, id, position, compute, name, version, eager, passthrough, state, run_id, link, passback, extra,
     modified_by, modified_date)
SELECT dataset_id, id, position, compute, name, version, eager, passthrough, state, run_id, link, passback, extra,
     modified_by, modified_date
FROM data_product;

DROP TABLE data_product;
ALTER TABLE data_product_open RENAME TO data_product;

CREATE TABLE run_open (
    run_id          TEXT    NOT NULL PRIMARY KEY,
    dataset_id      TEXT    NOT NULL,
    data_product_id TEXT    NOT NULL,
    compute         TEXT    NOT NULL,
    -- Submits made so far for this attempt.
    attempts        INTEGER NOT NULL,
    external_id     TEXT,
    link            TEXT,
    state           TEXT    NOT NULL
        CHECK (state IN ('queued', 'running', 'success', 'failed', 'superseded')),
    queued_at       INTEGER NOT NULL,
    submitted_at    INTEGER,
    started_at      INTEGER,
    finished_at     INTEGER,
    passback        TEXT,
    last_error      TEXT,
    FOREIGN KEY (dataset_id, data_product_id) REFERENCES data_product (dataset_id, id)
) STRICT;

INSERT INTO run_open
    (run_id, dataset_id, data_product_id, compute, attempts, external_id, link, state, queued_at, submitted_at,
     started_at, finished_at, passback, last_error)
SELECT run_id, dataset_id, data_product_id, compute, attempts, external_id, link, state, queued_at, submitted_at,
     started_at, finished_at, passback, last_error
FROM run;

DROP TABLE run;
ALTER TABLE run_open RENAME TO run;

CREATE INDEX run_by_product ON run (dataset_id, data_product_id, queued_at DESC);
-- Not unique: a platform reset or a new workspace can hand out an id again; the newest run wins.
CREATE INDEX run_by_external_id ON run (compute, external_id, queued_at DESC) WHERE external_id IS NOT NULL;
-- What the poller asks about.
CREATE INDEX run_live ON run (compute, queued_at) WHERE state IN ('queued', 'running') AND external_id IS NOT NULL;
