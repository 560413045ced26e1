-- +goose Up

-- Allowance rules per calendar year. Which IGOC edition applies to a year is the `edition`
-- column of that year's rows: data, changed through the admin API, not code.
CREATE TABLE allowance_rules (
    year                 INT           NOT NULL,
    type                 VARCHAR(32)   NOT NULL,
    edition              VARCHAR(32)   NOT NULL,
    entitlement_mad      BIGINT        NOT NULL,
    rate_bp              INT           NULL,
    cap_total_mad        BIGINT        NULL,
    label_fr             VARCHAR(200)  NOT NULL,
    label_ar             VARCHAR(200)  NOT NULL,
    updated_at           DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_by_staff_id  BIGINT        NULL,
    PRIMARY KEY (year, type),
    CONSTRAINT allowance_rules_type CHECK (type IN ('tourism','tourism_supplement','studies','hajj_omra','medical')),
    CONSTRAINT allowance_rules_amounts CHECK (entitlement_mad >= 0 AND (rate_bp IS NULL OR rate_bp BETWEEN 0 AND 10000)
        AND (cap_total_mad IS NULL OR cap_total_mad >= 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Seed: the 2024 edition for 2024 and 2025, the 2026 edition for 2026 and 2027 (DESIGN.md).
INSERT INTO allowance_rules (year, type, edition, entitlement_mad, rate_bp, cap_total_mad, label_fr, label_ar)
SELECT y.year, r.type, IF(y.year < 2026, 'IGOC-2024', 'IGOC-2026'), r.entitlement_mad, r.rate_bp,
       IF(r.type = 'tourism_supplement', IF(y.year < 2026, 300000, 500000), NULL), r.label_fr, r.label_ar
FROM (SELECT 2024 AS year UNION ALL SELECT 2025 UNION ALL SELECT 2026 UNION ALL SELECT 2027) y
CROSS JOIN (
    SELECT 'tourism' AS type, 100000 AS entitlement_mad, NULL AS rate_bp,
           'Dotation touristique' AS label_fr, 'المخصص السياحي' AS label_ar
    UNION ALL SELECT 'tourism_supplement', 0, 3000,
           'Dotation touristique supplémentaire (DTS)', 'المخصص السياحي الإضافي'
    UNION ALL SELECT 'studies', 25000, NULL, 'Allocation scolarité', 'مخصص الدراسة'
    UNION ALL SELECT 'hajj_omra', 15000, NULL, 'Dotation Hajj et Omra', 'مخصص الحج والعمرة'
    UNION ALL SELECT 'medical', 30000, NULL, 'Allocation soins médicaux', 'مخصص العلاج'
) r;

-- The ledger: every credit (a DTS approval) and debit (a currency sale at an exchange
-- point). Balances are the rules' entitlement plus credits minus debits, computed from these
-- rows; operation_key makes each write happen once.
CREATE TABLE ledger_entries (
    id                   BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    citizen_id           BIGINT         NOT NULL,
    year                 INT            NOT NULL,
    type                 VARCHAR(32)    NOT NULL,
    kind                 VARCHAR(8)     NOT NULL,
    amount_mad           BIGINT         NOT NULL,
    operation_key        VARCHAR(160)   NOT NULL,
    request_hash         BINARY(32)     NULL,
    currency             CHAR(3)        NULL,
    foreign_amount       DECIMAL(18,2)  NULL,
    reference            VARCHAR(64)    NULL,
    agent_staff_id       BIGINT         NULL,
    exchange_point_code  VARCHAR(16)    NULL,
    dts_request_id       CHAR(26)       NULL,
    created_at           DATETIME(6)    NOT NULL,
    UNIQUE KEY ledger_operation (operation_key),
    KEY ledger_balance (citizen_id, year, type, kind),
    KEY ledger_recent (citizen_id, id),
    KEY ledger_year_type (year, type, kind),
    CONSTRAINT ledger_kind CHECK (kind IN ('credit','debit')),
    CONSTRAINT ledger_amount CHECK (amount_mad > 0),
    CONSTRAINT ledger_citizen_fk FOREIGN KEY (citizen_id) REFERENCES citizens (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- DTS requests: read model of the DTS workflow.
CREATE TABLE dts_requests (
    id                     CHAR(26)       NOT NULL PRIMARY KEY,
    citizen_id             BIGINT         NOT NULL,
    fiscal_year            INT            NOT NULL,
    year                   INT            NOT NULL,
    ir_amount_mad          BIGINT         NOT NULL,
    attestation_reference  VARCHAR(64)    NOT NULL,
    status                 VARCHAR(16)    NOT NULL,
    -- '<citizen>:<year>' while pending or approved, NULL once rejected or cancelled: at most
    -- one pending-or-approved request per citizen and year, as a database fact.
    active_key             VARCHAR(40)    NULL,
    supplement_mad         BIGINT         NULL,
    rate_bp                INT            NULL,
    base_mad               BIGINT         NULL,
    cap_total_mad          BIGINT         NULL,
    task_id                CHAR(26)       NULL,
    decision               VARCHAR(16)    NULL,
    decision_comment       VARCHAR(5000)  NULL,
    decided_by_staff_id    BIGINT         NULL,
    decided_at             DATETIME(6)    NULL,
    created_at             DATETIME(6)    NOT NULL,
    updated_at             DATETIME(6)    NOT NULL,
    UNIQUE KEY dts_requests_active (active_key),
    KEY dts_requests_citizen (citizen_id, created_at),
    KEY dts_requests_status (status, created_at),
    CONSTRAINT dts_requests_status CHECK (status IN ('pending','approved','rejected','cancelled')),
    CONSTRAINT dts_requests_citizen_fk FOREIGN KEY (citizen_id) REFERENCES citizens (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Officer tasks (DTS approvals now, complaints later): the read model of the workflows that
-- own them. task_key makes the creating activity idempotent.
CREATE TABLE tasks (
    id                     CHAR(26)      NOT NULL PRIMARY KEY,
    task_key               VARCHAR(120)  NOT NULL,
    kind                   VARCHAR(16)   NOT NULL,
    subject_id             VARCHAR(40)   NOT NULL,
    workflow_id            VARCHAR(120)  NOT NULL,
    state                  VARCHAR(16)   NOT NULL,
    queue                  VARCHAR(16)   NOT NULL,
    escalation_level       INT           NOT NULL DEFAULT 0,
    -- Incremented by the owning workflow at each transition: a late, retried write of an
    -- older transition never overwrites a newer one.
    version                INT           NOT NULL DEFAULT 0,
    assignee_staff_id      BIGINT        NULL,
    due_at                 DATETIME(6)   NOT NULL,
    created_at             DATETIME(6)   NOT NULL,
    claimed_at             DATETIME(6)   NULL,
    completed_at           DATETIME(6)   NULL,
    completed_by_staff_id  BIGINT        NULL,
    outcome                VARCHAR(32)   NULL,
    comment                VARCHAR(5000) NULL,
    updated_at             DATETIME(6)   NOT NULL,
    UNIQUE KEY tasks_key (task_key),
    KEY tasks_state_due (state, due_at, id),
    KEY tasks_kind_state_due (kind, state, due_at, id),
    KEY tasks_assignee (assignee_staff_id, state, due_at),
    KEY tasks_subject (kind, subject_id),
    CONSTRAINT tasks_state CHECK (state IN ('open','claimed','done','cancelled')),
    CONSTRAINT tasks_queue CHECK (queue IN ('officers','supervisors'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who did what to a task, when (audit trail).
CREATE TABLE task_events (
    id         BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    task_id    CHAR(26)      NOT NULL,
    event_key  VARCHAR(160)  NOT NULL,
    action     VARCHAR(32)   NOT NULL,
    staff_id   BIGINT        NULL,
    detail     VARCHAR(5000) NULL,
    at         DATETIME(6)   NOT NULL,
    UNIQUE KEY task_events_key (event_key),
    KEY task_events_task (task_id, id),
    CONSTRAINT task_events_task_fk FOREIGN KEY (task_id) REFERENCES tasks (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Dated public holidays (the moon-sighted religious ones); the fixed ones are in code.
CREATE TABLE public_holidays (
    day         DATE          NOT NULL PRIMARY KEY,
    name_fr     VARCHAR(200)  NOT NULL,
    name_ar     VARCHAR(200)  NOT NULL,
    updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE public_holidays;
DROP TABLE task_events;
DROP TABLE tasks;
DROP TABLE dts_requests;
DROP TABLE ledger_entries;
DROP TABLE allowance_rules;
