-- +goose Up

-- What a citizen sees of their sessions (GET /api/v1/me/sessions): a public id to name one
-- by (never the token or its hash), and a summary of the User-Agent that opened it
-- ("OC Connect Android 2.3", "Chrome on Windows"; NULL when unknown). Sessions opened
-- before this migration, or by a binary that predates it during a rollout, have no public
-- id: the listing gives them one the first time it reads them (store.LiveSessions).
ALTER TABLE sessions
    ADD COLUMN public_id  CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD COLUMN user_agent VARCHAR(64) NULL,
    ADD UNIQUE KEY sessions_public_id (public_id);

-- +goose Down
ALTER TABLE sessions
    DROP KEY sessions_public_id,
    DROP COLUMN user_agent,
    DROP COLUMN public_id;
