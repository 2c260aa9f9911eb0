-- E-mail addresses are one account whatever their case (docs/backend.md).  Parley's
-- front end stores them in lower case, the textbook's front end as typed, so
-- the back end looks them up with lower(email) = lower($1) through this
-- index, which also refuses "mixed@example.org" once "Mixed@Example.org"
-- exists.  Safe to apply to an existing database, again and again:
--   psql -v ON_ERROR_STOP=1 -d parley -f db/030-email-case.sql
-- It stops, changing nothing, when addresses that differ only in case are
-- already stored (the textbook's REGISTER compares them exactly); merge or
-- delete those accounts first (docs/backend.md).
DO $$
DECLARE
    clashes bigint;
BEGIN
    SELECT count(*) INTO clashes FROM (
        SELECT 1 FROM users GROUP BY lower(email) HAVING count(*) > 1) c;
    IF clashes > 0 THEN
        RAISE EXCEPTION 'users: % e-mail address(es) are stored in more than one case', clashes
            USING HINT = 'List them with SELECT lower(email), array_agg(email) FROM users '
                         'GROUP BY 1 HAVING count(*) > 1; keep one row each, then apply '
                         'this file again.';
    END IF;
END
$$;

CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower ON users (lower(email));
