-- Committed plan changes, for the events streams of every instance (docs/decisions.md, "Changes
-- across instances"). Each write transaction appends its change here instead of sending a
-- NOTIFY: a notifying transaction takes a database-wide lock at commit and cannot share a group
-- commit with others. Instances read the log by sequence number after a short NOTIFY sent
-- outside any write transaction, and delete rows older than a few minutes.
CREATE SEQUENCE change_log_seq;

CREATE TABLE change_log (
    seq        bigint PRIMARY KEY DEFAULT nextval('change_log_seq'),
    dataset_id uuid   NOT NULL,
    version    bigint NOT NULL,
    -- The change as the events stream sends it (JSON).
    change     text   NOT NULL
);

ALTER SEQUENCE change_log_seq OWNED BY change_log.seq;
