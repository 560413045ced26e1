-- +goose Up

-- Exchange points as the app's locator shows them: who operates the point, its region and
-- phone. hours (JSON, unchanged) is an object weekday → list of "HH:MM-HH:MM" intervals,
-- for mon, tue, wed, thu, fri, sat and sun; an empty list means closed that day, e.g.
-- {"mon":["08:30-12:00","14:00-18:00"],…,"sun":[]}.
--
-- exchange_points_active_lat_lon serves the bounding-box pre-filter of the nearest-points
-- query (active = TRUE AND lat BETWEEN … AND lon BETWEEN …): a range on (active, lat),
-- with lon checked in the index before the rows are read.
ALTER TABLE exchange_points
    ADD COLUMN operator_type VARCHAR(24) NOT NULL DEFAULT 'bureau_de_change' AFTER name,
    ADD COLUMN region VARCHAR(100) NOT NULL DEFAULT '' AFTER city,
    ADD COLUMN phone VARCHAR(32) NULL AFTER lon,
    ADD CONSTRAINT exchange_points_operator_type
        CHECK (operator_type IN ('bank','bureau_de_change','money_transfer','hotel')),
    ADD KEY exchange_points_active_lat_lon (active, lat, lon);

-- +goose Down
ALTER TABLE exchange_points
    DROP KEY exchange_points_active_lat_lon,
    DROP CONSTRAINT exchange_points_operator_type,
    DROP COLUMN phone,
    DROP COLUMN region,
    DROP COLUMN operator_type;
