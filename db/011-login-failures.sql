-- Failed log-ins, for throttling across all front-end replicas.
-- account is a keyed hash (HMAC with SESSION_SECRET) of the normalised
-- email, so whatever was typed into the email field is not stored; client
-- is the address the front end saw.  attempt_id makes a redelivered record
-- harmless.  Rows older than a day are swept by LOGIN_FAILED.
CREATE TABLE IF NOT EXISTS login_failures (
    attempt_id  text PRIMARY KEY CHECK (attempt_id ~ '^[0-9a-f]{32}$'),
    account     text NOT NULL CHECK (account ~ '^[0-9a-f]{64}$'),
    client      text NOT NULL CHECK (length(client) BETWEEN 1 AND 64),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS login_failures_account ON login_failures (account, at);
CREATE INDEX IF NOT EXISTS login_failures_client ON login_failures (client, at);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at);
