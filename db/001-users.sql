-- Accounts.  The email is stored normalised (lower-case) by the front end;
-- hash is an Argon2id PHC string computed in the front end.
CREATE TABLE IF NOT EXISTS users (
    email       text PRIMARY KEY CHECK (length(email) BETWEEN 3 AND 254),
    hash        text NOT NULL CHECK (length(hash) BETWEEN 1 AND 512),
    created_at  timestamptz NOT NULL DEFAULT now()
);
