package store

import (
	"context"
	"fmt"
)

// ExchangePoint is a place where citizens buy currency and are enrolled.
type ExchangePoint struct {
	Code    string  `db:"code" json:"code"`
	Name    string  `db:"name" json:"name"`
	City    string  `db:"city" json:"city"`
	Address string  `db:"address" json:"address"`
	Lat     float64 `db:"lat" json:"lat"`
	Lon     float64 `db:"lon" json:"lon"`
	Hours   string  `db:"hours" json:"-"` // JSON: weekday → opening hours
	Active  bool    `db:"active" json:"active"`
}

// UpsertExchangePoint creates or updates a point by code.
func (s *Store) UpsertExchangePoint(ctx context.Context, p ExchangePoint) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO exchange_points (code, name, city, address, lat, lon, hours, active)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE name = VALUES(name), city = VALUES(city), address = VALUES(address),
			lat = VALUES(lat), lon = VALUES(lon), hours = VALUES(hours), active = VALUES(active),
			updated_at = CURRENT_TIMESTAMP(6)`,
		p.Code, p.Name, p.City, p.Address, p.Lat, p.Lon, p.Hours, p.Active)
	if err != nil {
		return fmt.Errorf("upsert exchange point: %w", err)
	}
	return nil
}

// ExchangePointExists reports whether an active point has that code.
func (s *Store) ExchangePointExists(ctx context.Context, code string) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM exchange_points WHERE code = ? AND active`, code)
	return n > 0, err
}
