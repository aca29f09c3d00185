-- Issue 18: the newsletter. Subscribers (with their consent), the mailings sent to them, and
-- the outbox rows that carry one mailing to one subscriber.
--
-- A subscriber's status: 'unconfirmed' (signed up, the confirmation mail's link not yet
-- followed), 'subscribed', 'unsubscribed' or 'bounced' (permanent refusals reached the limit).
-- `cadence`: 'post' (every post sent) or 'digest'. The address is stored lowercased
-- (domain::email::Email), so it is unique whatever its case.
CREATE TABLE subscribers (
    -- AUTOINCREMENT: an id is never given again, so a removed subscriber's queued mail can
    -- never carry a later subscriber's links.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT    NOT NULL UNIQUE,
    status           TEXT    NOT NULL CHECK (status IN ('unconfirmed', 'subscribed', 'unsubscribed', 'bounced')),
    cadence          TEXT    NOT NULL DEFAULT 'post' CHECK (cadence IN ('post', 'digest')),
    user_id          BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    -- Consent: the form signed up from ('home', 'article', 'subscribe', 'import', ...), when,
    -- and how it was given ('confirmed by mail', 'signed-in member', 'import'), with the client
    -- address of the confirming click.
    source           TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    -- The pending sign-up the confirmation link names (signed into it); a new sign-up of a
    -- known address changes only this until its link is followed.
    confirm_sent_at  BIGINT,
    consent_at       BIGINT,
    consent_how      TEXT    NOT NULL DEFAULT '',
    consent_addr     TEXT    NOT NULL DEFAULT '',
    unsubscribed_at  BIGINT,
    -- Permanent SMTP refusals (5xx) so far, and the last one's text.
    bounces          BIGINT  NOT NULL DEFAULT 0,
    last_bounce      TEXT    NOT NULL DEFAULT '',
    changed_at       BIGINT  NOT NULL
);
CREATE INDEX subscribers_by_status ON subscribers (status, cadence, id);

-- One mail to the list: a post ('post', one per post) or a digest ('digest', one per period,
-- named by `digest_key` such as '2026-12' or '2026-W49'). The bodies are rendered once, with
-- the per-subscriber links left as placeholders the sender fills in.
CREATE TABLE mailings (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('post', 'digest')),
    post_id       BIGINT  UNIQUE REFERENCES posts (id) ON DELETE SET NULL,
    digest_key    TEXT    UNIQUE,
    period_from   BIGINT,
    period_until  BIGINT,
    subject       TEXT    NOT NULL,
    -- The site's title when it was made, for List-Id.
    site_title    TEXT    NOT NULL,
    text_body     TEXT    NOT NULL,
    html_body     TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    recipients    BIGINT  NOT NULL DEFAULT 0
);

-- A newsletter message is an outbox row naming its mailing and subscriber; the unique index
-- is what makes "each subscriber gets a mailing at most once" hold across processes.
-- `bounced`: the server refused it for good (5xx).
ALTER TABLE outbox ADD COLUMN mailing_id BIGINT REFERENCES mailings (id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN subscriber_id BIGINT;
ALTER TABLE outbox ADD COLUMN bounced BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX outbox_one_per_subscriber ON outbox (mailing_id, subscriber_id);
-- What each claim walks, in id order: mail to one person (few rows, taken first), and
-- newsletter messages (up to one per subscriber per mailing). Without them a claim would pass
-- every unsent newsletter row to find the next personal message.
CREATE INDEX outbox_personal_unsent ON outbox (id)
    WHERE mailing_id IS NULL AND sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_newsletter_unsent ON outbox (id)
    WHERE mailing_id IS NOT NULL AND sent_at IS NULL AND failed_at IS NULL;

-- The editor's newsletter choice for a post: '' (publish only), 'send' (publish and send) or
-- 'only' (send only: the post stays a draft and is mailed at `newsletter_at`).
ALTER TABLE posts ADD COLUMN newsletter TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN newsletter_at BIGINT;

-- The newsletter's pace, shared by every process (one row): the generic cell rate algorithm's
-- "theoretical arrival time" in Unix microseconds. A process may send when it is not too far
-- ahead of now, and moves it on by one interval (60,000,000 us / newsletter_rate).
CREATE TABLE newsletter_pace (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    tat_us  BIGINT  NOT NULL
);
INSERT INTO newsletter_pace (id, tat_us) VALUES (1, 0);
