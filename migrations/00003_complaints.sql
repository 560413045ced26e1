-- +goose Up

-- The head of unit is the third escalation level of complaints.
ALTER TABLE staff DROP CONSTRAINT staff_role;
ALTER TABLE staff ADD CONSTRAINT staff_role CHECK (role IN ('agent','officer','supervisor','head_of_unit','admin'));
ALTER TABLE tasks DROP CONSTRAINT tasks_queue;
ALTER TABLE tasks ADD CONSTRAINT tasks_queue CHECK (queue IN ('officers','supervisors','head_of_unit'));

-- Gap-free complaint numbers per year: the counter row is updated in the transaction that
-- inserts the complaint, so a rolled-back filing gives its number back.
CREATE TABLE complaint_sequences (
    year     INT     NOT NULL PRIMARY KEY,
    last_no  BIGINT  NOT NULL
) ENGINE=InnoDB;

-- Read model of the complaint workflow.
CREATE TABLE complaints (
    reference             VARCHAR(20)    NOT NULL PRIMARY KEY,
    citizen_id            BIGINT         NOT NULL,
    category              VARCHAR(32)    NOT NULL,
    subject               VARCHAR(200)   NOT NULL,
    exchange_point_code   VARCHAR(16)    NULL,
    status                VARCHAR(24)    NOT NULL,
    escalation_level      INT            NOT NULL DEFAULT 0,
    cycle                 INT            NOT NULL DEFAULT 1,
    task_id               CHAR(26)       NULL,
    first_response_due_at DATETIME(6)    NULL,
    resolution_due_at     DATETIME(6)    NULL,
    first_response_at     DATETIME(6)    NULL,
    paused_at             DATETIME(6)    NULL,
    first_response_overdue BOOLEAN       NOT NULL DEFAULT FALSE,
    resolution_overdue    BOOLEAN        NOT NULL DEFAULT FALSE,
    resolved_at           DATETIME(6)    NULL,
    closed_at             DATETIME(6)    NULL,
    reopen_count          INT            NOT NULL DEFAULT 0,
    version               INT            NOT NULL DEFAULT 0,
    rating                TINYINT        NULL,
    feedback_comment      VARCHAR(2000)  NULL,
    feedback_at           DATETIME(6)    NULL,
    created_at            DATETIME(6)    NOT NULL,
    updated_at            DATETIME(6)    NOT NULL,
    KEY complaints_citizen (citizen_id, created_at),
    KEY complaints_status (status, updated_at),
    KEY complaints_category (category, status),
    CONSTRAINT complaints_status CHECK (status IN ('submitted','in_queue','claimed','waiting_for_citizen','resolved','closed','rejected')),
    CONSTRAINT complaints_category CHECK (category IN ('exchange_point_service','allowance_balance','dts','app_access','other')),
    CONSTRAINT complaints_rating CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    CONSTRAINT complaints_citizen_fk FOREIGN KEY (citizen_id) REFERENCES citizens (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The conversation: the citizen's description and answers, the officers' questions and
-- responses (shown to the citizen by role, never by name).
CREATE TABLE complaint_messages (
    id           BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    reference    VARCHAR(20)    NOT NULL,
    message_key  VARCHAR(120)   NOT NULL,
    author       VARCHAR(16)    NOT NULL,
    staff_id     BIGINT         NULL,
    kind         VARCHAR(24)    NOT NULL,
    body         TEXT           NOT NULL,
    created_at   DATETIME(6)    NOT NULL,
    -- NULL while a draft: the API writes an officer's or citizen's text here before asking
    -- the workflow, whose activity publishes it with the transition (the text never enters
    -- a workflow history; a refused draft stays hidden).
    published_at DATETIME(6)    NULL,
    UNIQUE KEY complaint_messages_key (message_key),
    KEY complaint_messages_ref (reference, published_at, id),
    CONSTRAINT complaint_messages_fk FOREIGN KEY (reference) REFERENCES complaints (reference)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Audit trail: every transition, who, when, what.
CREATE TABLE complaint_audit (
    id           BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    reference    VARCHAR(20)    NOT NULL,
    event_key    VARCHAR(160)   NOT NULL,
    actor        VARCHAR(16)    NOT NULL,
    staff_id     BIGINT         NULL,
    action       VARCHAR(32)    NOT NULL,
    from_status  VARCHAR(24)    NULL,
    to_status    VARCHAR(24)    NULL,
    at           DATETIME(6)    NOT NULL,
    UNIQUE KEY complaint_audit_key (event_key),
    KEY complaint_audit_ref (reference, id),
    CONSTRAINT complaint_audit_fk FOREIGN KEY (reference) REFERENCES complaints (reference)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE complaint_audit;
DROP TABLE complaint_messages;
DROP TABLE complaints;
DROP TABLE complaint_sequences;
ALTER TABLE tasks DROP CONSTRAINT tasks_queue;
ALTER TABLE tasks ADD CONSTRAINT tasks_queue CHECK (queue IN ('officers','supervisors'));
ALTER TABLE staff DROP CONSTRAINT staff_role;
ALTER TABLE staff ADD CONSTRAINT staff_role CHECK (role IN ('agent','officer','supervisor','admin'));
