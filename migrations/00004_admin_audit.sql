-- +goose Up

-- Every change made through the admin endpoints: who, when, what changed (never a secret:
-- no password, hash or token is ever written here).
CREATE TABLE admin_audit (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    staff_id     BIGINT        NOT NULL,
    action       VARCHAR(48)   NOT NULL,
    entity       VARCHAR(32)   NOT NULL,
    entity_id    VARCHAR(64)   NOT NULL,
    changes      JSON          NULL,
    request_id   VARCHAR(64)   NULL,
    at           DATETIME(6)   NOT NULL,
    KEY admin_audit_entity (entity, entity_id, id),
    KEY admin_audit_staff (staff_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE admin_audit;
