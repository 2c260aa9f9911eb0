-- Bounded chat history (docs/chat.md "History limits"): one row per room
-- that has history, so the back end can cap the number of rooms kept
-- (CHAT_HISTORY_ROOMS, the least recently written go first) and expire
-- rooms nobody wrote to for CHAT_HISTORY_IDLE_S, without scanning
-- chat_messages.  last_id is the room's newest message (chat_messages.id).
--
-- Safe to apply to an existing database (docs/containers.md "Upgrading a
-- volume"): it creates only what is missing and fills the table from the
-- history already stored.
CREATE TABLE IF NOT EXISTS chat_rooms (
    room        text PRIMARY KEY CHECK (length(room) BETWEEN 1 AND 32),
    last_id     bigint NOT NULL,
    last_active timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS chat_rooms_last_id ON chat_rooms (last_id);
CREATE INDEX IF NOT EXISTS chat_rooms_last_active ON chat_rooms (last_active);

INSERT INTO chat_rooms (room, last_id)
SELECT room, max(id) FROM chat_messages GROUP BY room
ON CONFLICT (room) DO NOTHING;
