-- Fletcher schema for embedded SQLite.
-- Ids are lowercase hyphenated UUID text; timestamps are integer microseconds since the Unix epoch
-- (exact round trips); JSON values are compact text with sorted keys.

CREATE TABLE dataset (
    id            TEXT    NOT NULL PRIMARY KEY,
    paused        INTEGER NOT NULL CHECK (paused IN (0, 1)),
    extra         TEXT,
    modified_by   TEXT    NOT NULL,
    modified_date INTEGER NOT NULL,
    -- Incremented by every committed change; validates the in-memory plan cache.
    version       INTEGER NOT NULL,
    -- Latest modified_date of the dataset, its products and dependencies: the search order.
    last_modified INTEGER NOT NULL,
    -- extra as lowercased text, so search is a literal case-insensitive substring test.
    search_extra  TEXT    NOT NULL
) STRICT;

CREATE INDEX dataset_by_last_modified ON dataset (last_modified DESC, id);

CREATE TABLE data_product (
    dataset_id    TEXT    NOT NULL REFERENCES dataset (id),
    id            TEXT    NOT NULL,
    -- Order of first posting: plans are listed in this order.
    position      INTEGER NOT NULL,
    compute       TEXT    NOT NULL CHECK (compute IN ('cams', 'dbxaas')),
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

CREATE TABLE dependency (
    dataset_id    TEXT    NOT NULL,
    parent_id     TEXT    NOT NULL,
    child_id      TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    extra         TEXT,
    modified_by   TEXT    NOT NULL,
    modified_date INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, parent_id, child_id),
    UNIQUE (dataset_id, position),
    FOREIGN KEY (dataset_id, parent_id) REFERENCES data_product (dataset_id, id),
    FOREIGN KEY (dataset_id, child_id) REFERENCES data_product (dataset_id, id),
    CHECK (parent_id <> child_id)
) STRICT, WITHOUT ROWID;
