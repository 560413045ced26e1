-- +goose Up

-- Failed sign-ins are counted per login name and source (a client address, IPv4 or IPv6
-- /64, hashed: source_key), so that failures from one address lock the account for that
-- address only; and per address alone (subject_key: the hash of the address, source_key
-- empty) for the address's own failure budget (domain.SourceLock, domain.AddressLock).
-- Rows from before carry the empty source: locks of the whole account, which run out.
ALTER TABLE auth_failures
    ADD COLUMN source_key VARBINARY(32) NOT NULL DEFAULT '',
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (subject_key, source_key),
    ADD KEY auth_failures_updated (updated_at);

-- +goose Down
DELETE FROM auth_failures WHERE source_key <> '';
ALTER TABLE auth_failures DROP KEY auth_failures_updated, DROP PRIMARY KEY, DROP COLUMN source_key,
    ADD PRIMARY KEY (subject_key);
