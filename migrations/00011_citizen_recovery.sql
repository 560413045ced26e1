-- +goose Up

-- A citizen's password recovery (POST /api/v1/auth/recovery): the one-time 8-digit code
-- e-mailed, stored as a hash bound to the citizen; one live code per citizen (a new
-- request replaces it); a few wrong tries burn it; used once.
CREATE TABLE citizen_recovery_codes (
    citizen_id BIGINT        NOT NULL PRIMARY KEY,
    code_hash  VARBINARY(32) NOT NULL,
    attempts   INT           NOT NULL DEFAULT 0,
    created_at DATETIME(6)   NOT NULL,
    expires_at DATETIME(6)   NOT NULL,
    used_at    DATETIME(6)   NULL,
    KEY citizen_recovery_codes_expiry (expires_at),
    CONSTRAINT citizen_recovery_codes_citizen FOREIGN KEY (citizen_id) REFERENCES citizens (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE citizen_recovery_codes;
