-- Chat names' keys are lib/namekey's (docs/chat.md, Names): NFKD, full case
-- folding and Unicode's confusables, computed by the back end and passed as a
-- parameter.  A key can be longer than its name (U+FDFA alone is 18
-- characters), up to lib/namekey.h's NAMEKEY_MAX of 512 bytes.  Rows written
-- before (key: the name with A-Z in lower case) are moved to their new key by
-- the back end when it starts (back-end/name_rekey.c): SQL cannot compute it.
ALTER TABLE chat_names DROP CONSTRAINT IF EXISTS chat_names_name_key_check;
ALTER TABLE chat_names ADD CONSTRAINT chat_names_name_key_check
    CHECK (length(name_key) BETWEEN 1 AND 512);
