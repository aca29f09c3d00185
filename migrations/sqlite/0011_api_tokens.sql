-- Personal access tokens for the API (issue 14). A token is shown once; only the SHA-256 of its
-- secret is stored, so a leaked table opens nothing. A revoked token keeps its row (with
-- revoked_at) so the owner's list and the audit log still name it.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    -- Space-separated scope names (domain::api_tokens::Scope).
    scopes        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);
