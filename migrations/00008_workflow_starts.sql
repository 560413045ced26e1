-- +goose Up

-- Filing a complaint and requesting a DTS write the row, then start its workflow: two
-- systems, no shared transaction. These columns make the pair idempotent and repairable.
--
-- request_key, request_hash: the citizen's Idempotency-Key and the SHA-256 of what was
-- asked. A retry with the key finds its row (and starts the workflow if it is missing)
-- instead of filing again; the same key with another request is refused.
--
-- workflow_started_at: when a start of the row's workflow was confirmed by Temporal (NULL:
-- not yet). The reconciler (a Temporal Schedule) starts the workflows of rows left NULL
-- for longer than a minute: the API died between the two steps, or Temporal was away and
-- the citizen did not retry. Rows from before this migration had their workflow started
-- with them.
ALTER TABLE complaints
    ADD COLUMN request_key         VARCHAR(128) NULL,
    ADD COLUMN request_hash        BINARY(32)   NULL,
    ADD COLUMN workflow_started_at DATETIME(6)  NULL,
    ADD UNIQUE KEY complaints_request_key (citizen_id, request_key),
    ADD KEY complaints_unstarted (workflow_started_at, created_at);
UPDATE complaints SET workflow_started_at = created_at;

ALTER TABLE dts_requests
    ADD COLUMN request_key         VARCHAR(128) NULL,
    ADD COLUMN request_hash        BINARY(32)   NULL,
    ADD COLUMN workflow_started_at DATETIME(6)  NULL,
    ADD UNIQUE KEY dts_requests_request_key (citizen_id, request_key),
    ADD KEY dts_requests_unstarted (workflow_started_at, created_at);
UPDATE dts_requests SET workflow_started_at = created_at;

-- model_version: the workflow's version of the enrollment's last status write (its
-- history length when it made the write). A write whose version is not above it is an
-- earlier one landing late (an activity attempt that timed out but went on) and is
-- ignored, as is any write over a final status: the read model never moves back.
-- 0: written by a workflow from before this column, not checked.
ALTER TABLE enrollments ADD COLUMN model_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE enrollments DROP COLUMN model_version;
ALTER TABLE dts_requests DROP KEY dts_requests_unstarted, DROP KEY dts_requests_request_key,
    DROP COLUMN workflow_started_at, DROP COLUMN request_hash, DROP COLUMN request_key;
ALTER TABLE complaints DROP KEY complaints_unstarted, DROP KEY complaints_request_key,
    DROP COLUMN workflow_started_at, DROP COLUMN request_hash, DROP COLUMN request_key;
