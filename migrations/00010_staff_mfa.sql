-- +goose Up

-- The staff's second factor (TOTP, RFC 6238). secret_sealed is the base32 secret sealed
-- with the payload keys (never readable at rest); confirmed_at is NULL while the
-- enrolment waits for its first code; last_step is the last time step used, so that a
-- code is good once.
CREATE TABLE staff_mfa (
    staff_id      BIGINT        NOT NULL PRIMARY KEY,
    secret_sealed VARCHAR(512)  NOT NULL,
    confirmed_at  DATETIME(6)   NULL,
    last_step     BIGINT        NOT NULL DEFAULT 0,
    created_at    DATETIME(6)   NOT NULL,
    CONSTRAINT staff_mfa_staff FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- One-time recovery codes, stored as hashes; used_at set when one is spent.
CREATE TABLE staff_recovery_codes (
    staff_id  BIGINT        NOT NULL,
    code_hash VARBINARY(32) NOT NULL,
    used_at   DATETIME(6)   NULL,
    PRIMARY KEY (staff_id, code_hash),
    CONSTRAINT staff_recovery_codes_staff FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- A password verified, waiting for its second factor: the challenge the client holds is
-- stored as its SHA-256. A few wrong codes burn it; used once.
CREATE TABLE staff_mfa_challenges (
    token_hash VARBINARY(32) NOT NULL PRIMARY KEY,
    staff_id   BIGINT        NOT NULL,
    source_key VARBINARY(32) NOT NULL DEFAULT '',
    attempts   INT           NOT NULL DEFAULT 0,
    created_at DATETIME(6)   NOT NULL,
    expires_at DATETIME(6)   NOT NULL,
    used_at    DATETIME(6)   NULL,
    KEY staff_mfa_challenges_expiry (expires_at),
    CONSTRAINT staff_mfa_challenges_staff FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE staff_mfa_challenges;
DROP TABLE staff_recovery_codes;
DROP TABLE staff_mfa;
