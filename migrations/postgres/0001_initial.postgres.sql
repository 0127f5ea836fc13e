-- Fletcher schema for PostgreSQL.
-- Timestamps are timestamptz with microseconds; JSON values are jsonb.

-- In public (on the search path of every role by default), so the trigram operator classes
-- resolve for Fletcher whichever schema its tables live in.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE dataset (
    id            uuid        PRIMARY KEY,
    paused        boolean     NOT NULL,
    extra         jsonb,
    modified_by   text        NOT NULL,
    modified_date timestamptz NOT NULL,
    -- Incremented by every committed change; validates each instance's in-memory plan cache.
    version       bigint      NOT NULL,
    -- Latest modified_date of the dataset, its products and dependencies: the search order.
    last_modified timestamptz NOT NULL,
    -- extra as compact lowercased text, so search is a literal case-insensitive substring test.
    search_extra  text        NOT NULL
);

CREATE INDEX dataset_by_last_modified ON dataset (last_modified DESC, id);
-- Trigram indexes let a substring search skip the plans that cannot match.
CREATE INDEX dataset_search_id ON dataset USING gin ((id::text) gin_trgm_ops);
CREATE INDEX dataset_search_extra ON dataset USING gin (search_extra gin_trgm_ops);

CREATE TABLE data_product (
    dataset_id    uuid        NOT NULL REFERENCES dataset (id),
    id            uuid        NOT NULL,
    -- Order of first posting: plans are listed in this order.
    position      integer     NOT NULL,
    compute       text        NOT NULL CHECK (compute IN ('cams', 'dbxaas')),
    name          text        NOT NULL,
    version       text        NOT NULL,
    eager         boolean     NOT NULL,
    passthrough   jsonb,
    state         text        NOT NULL
        CHECK (state IN ('waiting', 'queued', 'running', 'success', 'failed', 'disabled')),
    run_id        uuid,
    link          text,
    passback      jsonb,
    extra         jsonb,
    modified_by   text        NOT NULL,
    modified_date timestamptz NOT NULL,
    PRIMARY KEY (dataset_id, id),
    UNIQUE (dataset_id, position)
);

CREATE TABLE dependency (
    dataset_id    uuid        NOT NULL,
    parent_id     uuid        NOT NULL,
    child_id      uuid        NOT NULL,
    position      integer     NOT NULL,
    extra         jsonb,
    modified_by   text        NOT NULL,
    modified_date timestamptz NOT NULL,
    PRIMARY KEY (dataset_id, parent_id, child_id),
    UNIQUE (dataset_id, position),
    FOREIGN KEY (dataset_id, parent_id) REFERENCES data_product (dataset_id, id),
    FOREIGN KEY (dataset_id, child_id) REFERENCES data_product (dataset_id, id),
    CHECK (parent_id <> child_id)
);
