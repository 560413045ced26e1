-- +goose Up
-- Times are stored in UTC as DATETIME(6); the application converts at the edges.

CREATE TABLE exchange_points (
    code        VARCHAR(16)   NOT NULL PRIMARY KEY,
    name        VARCHAR(200)  NOT NULL,
    city        VARCHAR(100)  NOT NULL,
    address     VARCHAR(300)  NOT NULL,
    lat         DECIMAL(9,6)  NOT NULL,
    lon         DECIMAL(9,6)  NOT NULL,
    hours       JSON          NOT NULL,
    active      BOOLEAN       NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY exchange_points_lat_lon (lat, lon),
    KEY exchange_points_city (city)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE staff (
    id                   BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email                VARCHAR(254)  NOT NULL,
    role                 VARCHAR(16)   NOT NULL,
    exchange_point_code  VARCHAR(16)   NULL,
    password_hash        VARCHAR(255)  NOT NULL,
    -- Set when an initial (one-time) password was issued; cleared by the first change.
    must_change_password BOOLEAN       NOT NULL DEFAULT TRUE,
    password_expires_at  DATETIME(6)   NULL,
    disabled             BOOLEAN       NOT NULL DEFAULT FALSE,
    created_at           DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    password_changed_at  DATETIME(6)   NULL,
    UNIQUE KEY staff_email (email),
    CONSTRAINT staff_role CHECK (role IN ('agent','officer','supervisor','admin')),
    CONSTRAINT staff_exchange_point FOREIGN KEY (exchange_point_code) REFERENCES exchange_points (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per person, keyed by the normalized CIN. status: pending until the first password
-- change completes the enrollment, then active.
CREATE TABLE citizens (
    id                    BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    cin                   VARCHAR(8)    NOT NULL,
    first_name            VARCHAR(100)  NOT NULL,
    last_name             VARCHAR(100)  NOT NULL,
    email                 VARCHAR(254)  NOT NULL,
    phone                 VARCHAR(32)   NULL,
    birth_date            DATE          NOT NULL,
    language              CHAR(2)       NOT NULL,
    status                VARCHAR(16)   NOT NULL DEFAULT 'pending',
    password_hash         VARCHAR(255)  NULL,
    -- Written by the API when a valid new password is submitted; promoted to password_hash by
    -- the enrollment workflow's activity, so the account only becomes usable once the
    -- workflow has accepted the change.
    pending_password_hash VARCHAR(255)  NULL,
    created_at            DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    activated_at          DATETIME(6)   NULL,
    password_changed_at   DATETIME(6)   NULL,
    UNIQUE KEY citizens_cin (cin),
    CONSTRAINT citizens_status CHECK (status IN ('pending','active')),
    CONSTRAINT citizens_language CHECK (language IN ('fr','ar'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Read model of the enrollment workflow, written by its activities.
CREATE TABLE enrollments (
    id                   CHAR(26)     NOT NULL PRIMARY KEY,
    citizen_id           BIGINT       NOT NULL,
    status               VARCHAR(32)  NOT NULL,
    -- citizen_id while the enrollment is open, NULL once it is active or lapsed: the unique
    -- key makes "one open enrollment per citizen" a database fact, not a race.
    open_citizen_id      BIGINT       NULL,
    agent_staff_id       BIGINT       NOT NULL,
    exchange_point_code  VARCHAR(16)  NULL,
    credentials_issued   INT          NOT NULL DEFAULT 0,
    created_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY enrollments_open (open_citizen_id),
    KEY enrollments_citizen (citizen_id, created_at),
    KEY enrollments_status (status, updated_at),
    CONSTRAINT enrollments_citizen_fk FOREIGN KEY (citizen_id) REFERENCES citizens (id),
    CONSTRAINT enrollments_agent_fk FOREIGN KEY (agent_staff_id) REFERENCES staff (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE enrollment_steps (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    enrollment_id  CHAR(26)     NOT NULL,
    name           VARCHAR(32)  NOT NULL,
    -- Makes each step write idempotent (an activity retried after a crash writes once).
    step_key       VARCHAR(64)  NOT NULL,
    at             DATETIME(6)  NOT NULL,
    UNIQUE KEY enrollment_steps_key (enrollment_id, step_key),
    CONSTRAINT enrollment_steps_fk FOREIGN KEY (enrollment_id) REFERENCES enrollments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Initial (one-time) credentials. Only the Argon2id hash is kept.
CREATE TABLE initial_credentials (
    id             BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    enrollment_id  CHAR(26)      NOT NULL,
    citizen_id     BIGINT        NOT NULL,
    issue_no       INT           NOT NULL,
    password_hash  VARCHAR(255)  NOT NULL,
    created_at     DATETIME(6)   NOT NULL,
    expires_at     DATETIME(6)   NOT NULL,
    activated_at   DATETIME(6)   NULL,
    -- Set when a newer issue replaces it or when the password change consumes it.
    revoked_at     DATETIME(6)   NULL,
    UNIQUE KEY initial_credentials_issue (enrollment_id, issue_no),
    KEY initial_credentials_citizen (citizen_id, revoked_at),
    CONSTRAINT initial_credentials_enrollment_fk FOREIGN KEY (enrollment_id) REFERENCES enrollments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Sessions: only the SHA-256 of the token is stored.
CREATE TABLE sessions (
    token_hash    BINARY(32)   NOT NULL PRIMARY KEY,
    subject_kind  VARCHAR(8)   NOT NULL,
    subject_id    BIGINT       NOT NULL,
    scope         VARCHAR(16)  NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    last_seen_at  DATETIME(6)  NOT NULL,
    expires_at    DATETIME(6)  NOT NULL,
    revoked_at    DATETIME(6)  NULL,
    KEY sessions_subject (subject_kind, subject_id),
    CONSTRAINT sessions_kind CHECK (subject_kind IN ('citizen','staff')),
    CONSTRAINT sessions_scope CHECK (scope IN ('full','password_change'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Consecutive authentication failures, keyed by a hash of the login name so that unknown
-- CINs and e-mails are counted (and locked) exactly like known ones.
CREATE TABLE auth_failures (
    subject_key   BINARY(32)   NOT NULL PRIMARY KEY,
    failures      INT          NOT NULL DEFAULT 0,
    locks         INT          NOT NULL DEFAULT 0,
    locked_until  DATETIME(6)  NULL,
    updated_at    DATETIME(6)  NOT NULL
) ENGINE=InnoDB;

-- Transactional outbox: an e-mail is written here in the transaction that creates its reason,
-- then sent by an activity. Bodies are erased once sent.
CREATE TABLE email_outbox (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    message_key  VARCHAR(120)  NOT NULL,
    kind         VARCHAR(32)   NOT NULL,
    to_addr      VARCHAR(254)  NOT NULL,
    subject      VARCHAR(300)  NOT NULL,
    text_body    MEDIUMTEXT    NULL,
    html_body    MEDIUMTEXT    NULL,
    created_at   DATETIME(6)   NOT NULL,
    sent_at      DATETIME(6)   NULL,
    cancelled_at DATETIME(6)   NULL,
    attempts     INT           NOT NULL DEFAULT 0,
    last_error   VARCHAR(500)  NULL,
    UNIQUE KEY email_outbox_key (message_key),
    KEY email_outbox_unsent (sent_at, cancelled_at, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency-Key records: the first answer to a key is replayed for the same request.
CREATE TABLE idempotency_keys (
    scope         VARCHAR(64)   NOT NULL,
    idem_key      VARCHAR(128)  NOT NULL,
    request_hash  BINARY(32)    NOT NULL,
    status_code   INT           NULL,
    content_type  VARCHAR(100)  NULL,
    body          MEDIUMBLOB    NULL,
    created_at    DATETIME(6)   NOT NULL,
    PRIMARY KEY (scope, idem_key),
    KEY idempotency_keys_created (created_at)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE email_outbox;
DROP TABLE auth_failures;
DROP TABLE sessions;
DROP TABLE initial_credentials;
DROP TABLE enrollment_steps;
DROP TABLE enrollments;
DROP TABLE citizens;
DROP TABLE staff;
DROP TABLE exchange_points;
