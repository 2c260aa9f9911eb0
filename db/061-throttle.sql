-- Throttling of registrations and trusted devices (docs/frontend.md
-- "Throttling").  Safe to apply to an existing database: it only creates
-- what is missing.
--
-- register_attempts: one row per registration that passed the front end's
-- checks and was let through to hashing, so every front-end replica sees
-- the same counts per client (an IPv4 address or an IPv6 /64) and overall.
-- Rows older than a day are swept by REGISTER_PREPARE.
CREATE TABLE IF NOT EXISTS register_attempts (
    attempt_id  text PRIMARY KEY CHECK (attempt_id ~ '^[0-9a-f]{32}$'),
    client      text NOT NULL CHECK (length(client) BETWEEN 1 AND 64),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS register_attempts_client ON register_attempts (client, at);
CREATE INDEX IF NOT EXISTS register_attempts_at ON register_attempts (at);

-- A failed log-in made with a valid device cookie (a browser that logged in
-- to this account before) records the cookie's keyed hash: such failures
-- count against that device's own allowance, not the account's lock-out of
-- untrusted attempts.
ALTER TABLE login_failures ADD COLUMN IF NOT EXISTS device text
    CHECK (device ~ '^[0-9a-f]{64}$');
CREATE INDEX IF NOT EXISTS login_failures_device ON login_failures (account, device, at);
