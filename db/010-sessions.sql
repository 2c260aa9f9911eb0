-- Front-end sessions (docs/frontend.md).  id_hash is the SHA-256 (hex) of
-- the random session id held by the browser; the raw id is never stored.
-- A session ends at expires_at (absolute timeout) or after idle_timeout
-- without a request; expired rows are swept by SESSION_CREATE.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash       text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    email         text NOT NULL REFERENCES users (email) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    idle_timeout  interval NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS sessions_email ON sessions (email);
