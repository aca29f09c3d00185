-- Webhooks (issue 14): the hooks administrators register, and a durable queue of deliveries
-- that the sender task claims with a lease (`claimed_until`), as the mail outbox does.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    url         TEXT    NOT NULL,
    -- Space-separated event types (domain::webhooks::EventType), e.g. "post.published post.updated".
    events      TEXT    NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    -- "whsec_" + base64 of the key (Standard Webhooks, "Signature scheme"). Kept in clear: the
    -- server must sign with it, and the admin must be able to read it again.
    secret      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- One event for one hook. `message_id` is the `webhook-id` header, the same on every attempt.
-- `round_start` is the attempt count when it was last queued (first or "send again"), so each
-- round gets the full number of attempts.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       BIGINT  NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id       TEXT    NOT NULL UNIQUE,
    event            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    claimed_until    BIGINT  NOT NULL DEFAULT 0,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    round_start      BIGINT  NOT NULL DEFAULT 0,
    delivered_at     BIGINT,
    failed_at        BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);

-- Every attempt, for the delivery log: HTTP status (NULL when none came), duration, error.
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  BIGINT  NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      BIGINT  NOT NULL,
    at           BIGINT  NOT NULL,
    status_code  BIGINT,
    duration_ms  BIGINT  NOT NULL,
    error        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

-- How far the scan for scheduled posts that went live has looked (one row). Moved forward with
-- a compare-and-set, so with several processes each moment is scanned, and its events queued,
-- once. 0: never scanned; the first scan starts from its own time and sends nothing old.
CREATE TABLE webhook_watermark (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    scanned_until  BIGINT  NOT NULL
);
INSERT INTO webhook_watermark (id, scanned_until) VALUES (1, 0);
