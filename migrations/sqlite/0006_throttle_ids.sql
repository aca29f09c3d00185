-- Throttled attempts are counted before the work they ask for (src/db/throttle.rs), so one that
-- turns out not to count (a right password) is taken back: by its id, exactly that row. The table
-- now holds every throttled attempt (sign-ins, codes, resets, sign-ups, address changes).
CREATE TABLE sign_in_failures_new (
    id     INTEGER PRIMARY KEY,
    scope  TEXT    NOT NULL,
    at     BIGINT  NOT NULL
);
INSERT INTO sign_in_failures_new (scope, at) SELECT scope, at FROM sign_in_failures;
DROP TABLE sign_in_failures;
ALTER TABLE sign_in_failures_new RENAME TO sign_in_failures;
CREATE INDEX sign_in_failures_by_scope ON sign_in_failures (scope, at);
