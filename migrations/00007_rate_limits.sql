-- +goose Up

-- The sign-in rate limits' token buckets, shared by every API process (a process that
-- kept its own would multiply the limit by the number of processes behind the load
-- balancer). One row a scope (ip or account, with the limit: "ip:20/1m0s") and key (a
-- client address or /64, or the hash of a login name: never a name in clear): the tokens
-- left at updated_at; refilled at the limit's rate when read. A row unused for longer than its limit's period is a full bucket
-- and is deleted from time to time.
CREATE TABLE rate_limit_buckets (
    scope       VARCHAR(64)    NOT NULL,
    bucket_key  VARBINARY(64)  NOT NULL,
    tokens      DOUBLE         NOT NULL,
    updated_at  DATETIME(6)    NOT NULL,
    PRIMARY KEY (scope, bucket_key),
    KEY rate_limit_buckets_idle (scope, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE rate_limit_buckets;
