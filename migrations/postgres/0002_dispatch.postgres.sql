-- Compute dispatch (adapters.md §3, §6): the history of attempts, the outbox of work for the
-- dispatchers of every instance, and the callback deliveries already applied.

CREATE TABLE run (
    run_id          uuid        PRIMARY KEY,
    dataset_id      uuid        NOT NULL,
    data_product_id uuid        NOT NULL,
    compute         text        NOT NULL CHECK (compute IN ('cams', 'dbxaas')),
    -- Submits made so far for this attempt.
    attempts        integer     NOT NULL,
    external_id     text,
    link            text,
    state           text        NOT NULL
        CHECK (state IN ('queued', 'running', 'success', 'failed', 'superseded')),
    queued_at       timestamptz NOT NULL,
    submitted_at    timestamptz,
    started_at      timestamptz,
    finished_at     timestamptz,
    passback        jsonb,
    last_error      text,
    FOREIGN KEY (dataset_id, data_product_id) REFERENCES data_product (dataset_id, id)
);

CREATE INDEX run_by_product ON run (dataset_id, data_product_id, queued_at DESC);
-- Not unique: a platform reset or a new workspace can hand out an id again; the newest run wins.
CREATE INDEX run_by_external_id ON run (compute, external_id, queued_at DESC) WHERE external_id IS NOT NULL;
-- What the poller asks about.
CREATE INDEX run_live ON run (compute, queued_at) WHERE state IN ('queued', 'running') AND external_id IS NOT NULL;

CREATE TABLE outbox (
    run_id          uuid        NOT NULL REFERENCES run (run_id),
    kind            text        NOT NULL CHECK (kind IN ('dispatch', 'cancel')),
    dataset_id      uuid        NOT NULL,
    data_product_id uuid        NOT NULL,
    compute         text        NOT NULL,
    -- The number of the next submit (or cancel) of this item, from 1.
    attempt_no      integer     NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    -- Held by a dispatcher until then; NULL when free.
    lease_until     timestamptz,
    last_error      text,
    PRIMARY KEY (run_id, kind)
);

CREATE INDEX outbox_due ON outbox (compute, next_attempt_at);

CREATE TABLE callback_seen (
    compute     text        NOT NULL,
    delivery_id text        NOT NULL,
    seen_at     timestamptz NOT NULL,
    PRIMARY KEY (compute, delivery_id)
);

CREATE INDEX callback_seen_by_age ON callback_seen (seen_at);
