-- Compute dispatch (adapters.md §3, §6): the history of attempts, the outbox of work for the
-- dispatcher, and the callback deliveries already applied.

CREATE TABLE run (
    run_id          TEXT    NOT NULL PRIMARY KEY,
    dataset_id      TEXT    NOT NULL,
    data_product_id TEXT    NOT NULL,
    compute         TEXT    NOT NULL CHECK (compute IN ('cams', 'dbxaas')),
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

CREATE INDEX run_by_product ON run (dataset_id, data_product_id, queued_at DESC);
-- Not unique: a platform reset or a new workspace can hand out an id again; the newest run wins.
CREATE INDEX run_by_external_id ON run (compute, external_id, queued_at DESC) WHERE external_id IS NOT NULL;
-- What the poller asks about.
CREATE INDEX run_live ON run (compute, queued_at) WHERE state IN ('queued', 'running') AND external_id IS NOT NULL;

CREATE TABLE outbox (
    run_id          TEXT    NOT NULL REFERENCES run (run_id),
    kind            TEXT    NOT NULL CHECK (kind IN ('dispatch', 'cancel')),
    dataset_id      TEXT    NOT NULL,
    data_product_id TEXT    NOT NULL,
    compute         TEXT    NOT NULL,
    -- The number of the next submit (or cancel) of this item, from 1.
    attempt_no      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    -- Held by a dispatcher until then; NULL when free.
    lease_until     INTEGER,
    last_error      TEXT,
    PRIMARY KEY (run_id, kind)
) STRICT;

CREATE INDEX outbox_due ON outbox (compute, next_attempt_at);

CREATE TABLE callback_seen (
    compute     TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (compute, delivery_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX callback_seen_by_age ON callback_seen (seen_at);
