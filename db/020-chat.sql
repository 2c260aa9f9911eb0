-- Chat (docs/chat.md): name leases across chat-server replicas and room
-- history.  Written only by the back end's CHAT_* actions.

-- Name leases.  name_key is the name with ASCII letters in lower case:
-- names are unique case-insensitively.  owner is the chat-server replica,
-- token the connection holding it.  The lease is valid while lease_until is
-- in the future; the owner's CHAT_HEARTBEAT renews all its names, so a
-- crashed replica's names free themselves after CHAT_NAME_TTL.
CREATE TABLE IF NOT EXISTS chat_names (
    name_key    text PRIMARY KEY CHECK (length(name_key) BETWEEN 1 AND 128),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    owner       text NOT NULL,
    token       text NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_names_owner ON chat_names (owner);

-- Messages in the order the back end stored them (id); (origin, seq) is the
-- message's identity on the bus, so a redelivered append inserts nothing.
CREATE TABLE IF NOT EXISTS chat_messages (
    id          bigserial PRIMARY KEY,
    room        text NOT NULL CHECK (length(room) BETWEEN 1 AND 32),
    origin      text NOT NULL CHECK (length(origin) BETWEEN 1 AND 64),
    seq         bigint NOT NULL CHECK (seq > 0),
    sender      text NOT NULL CHECK (length(sender) BETWEEN 1 AND 128),
    content     text NOT NULL,
    ts          bigint NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX IF NOT EXISTS chat_messages_room ON chat_messages (room, id);
