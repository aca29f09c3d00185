-- Accounts and security: passwords, sessions, one-time tokens, sign-in throttling, two-factor
-- sign-in, the mail outbox and site settings kept in the database.

-- NULL password_hash: the account cannot sign in (demo authors, or a password never set).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN avatar_url TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_confirmed_at BIGINT;
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
-- Base32 TOTP secret once two-factor sign-in is on; the last accepted time step stops replays.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
CREATE INDEX users_by_role ON users (role);

-- The cookie carries a random token; only its SHA-256 is stored, so a leaked table opens no session.
CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    user_agent    TEXT    NOT NULL DEFAULT '',
    client_addr   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Single-use links sent by mail: password reset, email change, email confirmation, invitation.
CREATE TABLE tokens (
    token_hash  TEXT    PRIMARY KEY,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('reset', 'email', 'confirm', 'invite')),
    user_id     BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    role        TEXT,
    created_by  BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX tokens_by_user ON tokens (user_id, purpose);

CREATE TABLE recovery_codes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT   NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- One row per failed sign-in, keyed by 'account:<email>' and 'addr:<ip>'; old rows are pruned.
CREATE TABLE sign_in_failures (
    scope  TEXT   NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_scope ON sign_in_failures (scope, at);

-- Durable outgoing mail: written in the same transaction as the change that causes it, then
-- delivered by the sender task with retries. claimed_until lets several processes share the work.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    text_body        TEXT    NOT NULL,
    html_body        TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    claimed_until    BIGINT  NOT NULL DEFAULT 0,
    sent_at          BIGINT,
    failed_at        BIGINT,
    last_error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_attempt_at);

-- Settings changed from the web (the site title chosen at setup, later the admin's settings);
-- each overrides the Rocket.toml key of the same name.
CREATE TABLE site_settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
