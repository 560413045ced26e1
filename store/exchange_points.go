package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"occonnect/domain"
)

// Admin audit actions and entity of the exchange points.
const (
	AuditExchangePointCreate     = "exchange_point.create"
	AuditExchangePointUpdate     = "exchange_point.update"
	AuditExchangePointActivate   = "exchange_point.activate"
	AuditExchangePointDeactivate = "exchange_point.deactivate"
	auditEntityExchangePoint     = "exchange_point"
)

// ExchangePoint is a place where citizens buy currency and are enrolled.
type ExchangePoint = domain.ExchangePoint

// NearbyPoint is a point with its great-circle distance from the searched place.
type NearbyPoint struct {
	ExchangePoint
	DistanceKm float64
}

// hoursJSON is what the hours column receives for p.
func hoursJSON(p ExchangePoint) (string, error) {
	b, err := p.OpeningHours.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("exchange point %s: %w", p.Code, err)
	}
	return string(b), nil
}

// --- Distances ---

// kmPerDegree is the length of a degree of a great circle.
const kmPerDegree = domain.EarthRadiusKm * math.Pi / 180

// boundingBox is a lat/lon box holding every point within radiusKm of (lat, lon): a
// pre-filter that the index (active, lat, lon) serves. Near a pole, or when the box would
// cross the antimeridian, it spans every longitude.
func boundingBox(lat, lon, radiusKm float64) (minLat, maxLat, minLon, maxLon float64) {
	dLat := radiusKm / kmPerDegree
	minLat, maxLat = math.Max(-90, lat-dLat), math.Min(90, lat+dLat)
	minLon, maxLon = -180, 180
	if minLat > -90 && maxLat < 90 {
		// The widest longitude span of the circle (at the latitude of its tangent points).
		s := math.Sin(radiusKm/domain.EarthRadiusKm) / math.Cos(lat*math.Pi/180)
		if s < 1 {
			dLon := math.Asin(s) * 180 / math.Pi
			if lon-dLon >= -180 && lon+dLon <= 180 {
				minLon, maxLon = lon-dLon, lon+dLon
			}
		}
	}
	// A small margin against the rounding of the DECIMAL(9,6) columns.
	const eps = 1e-6
	return minLat - eps, maxLat + eps, minLon - eps, maxLon + eps
}

// haversineSQL is HaversineKm(?, ?, lat, lon) in SQL; its arguments are lat, lat, lon.
const haversineSQL = `2 * 6371.0088 * ASIN(LEAST(1, SQRT(
		POW(SIN(RADIANS(lat - ?) / 2), 2) +
		COS(RADIANS(?)) * COS(RADIANS(lat)) * POW(SIN(RADIANS(lon - ?) / 2), 2))))`

const epColumns = `code, name, operator_type, address, city, region, lat, lon, phone, hours, active`

// NearestQuery is the SQL of Nearest and its arguments (limit <= 0: no LIMIT), for EXPLAIN
// in tests and diagnostics.
func NearestQuery(lat, lon, radiusKm float64, limit int) (string, []any) {
	minLat, maxLat, minLon, maxLon := boundingBox(lat, lon, radiusKm)
	// FORCE INDEX: the box is a range of the index (active = 1, lat from … to …), lon
	// checked in the index entries. Left to itself, MariaDB reads every active entry
	// (ref on active alone) as soon as the box holds a good share of the points.
	q := `SELECT ` + epColumns + `, ` + haversineSQL + ` AS distance_km
		FROM exchange_points FORCE INDEX (exchange_points_active_lat_lon)
		WHERE active = TRUE AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?
		HAVING distance_km <= ?
		ORDER BY distance_km, code`
	args := []any{lat, lat, lon, minLat, maxLat, minLon, maxLon, radiusKm}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	return q, args
}

// Nearest lists the active points within radiusKm of (lat, lon), nearest first (then by
// code), at most limit: a bounding box on lat/lon (indexed), then the great-circle
// distance (haversine, R = 6371.0088 km) computed in SQL.
func (s *Store) Nearest(ctx context.Context, lat, lon, radiusKm float64, limit int) ([]NearbyPoint, error) {
	return s.NearestWhere(ctx, lat, lon, radiusKm, limit, nil)
}

// NearestWhere is Nearest keeping only the points for which keep is true (all when keep
// is nil): it reads the points of the circle in distance order until limit are kept.
func (s *Store) NearestWhere(ctx context.Context, lat, lon, radiusKm float64, limit int, keep func(ExchangePoint) bool) ([]NearbyPoint, error) {
	if limit <= 0 {
		return []NearbyPoint{}, nil
	}
	sqlLimit := limit
	if keep != nil {
		sqlLimit = 0
	}
	q, args := NearestQuery(lat, lon, radiusKm, sqlLimit)
	rows, err := s.db.QueryxContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("nearest exchange points: %w", err)
	}
	defer rows.Close()
	out := []NearbyPoint{}
	for len(out) < limit && rows.Next() {
		var r epRow
		if err := rows.StructScan(&r); err != nil {
			return nil, fmt.Errorf("nearest exchange points: %w", err)
		}
		p, err := r.point()
		if err != nil {
			return nil, err
		}
		if keep == nil || keep(p) {
			out = append(out, NearbyPoint{ExchangePoint: p, DistanceKm: r.DistanceKm})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("nearest exchange points: %w", err)
	}
	return out, nil
}

// --- Reads ---

type epRow struct {
	Code         string         `db:"code"`
	Name         string         `db:"name"`
	OperatorType string         `db:"operator_type"`
	Address      string         `db:"address"`
	City         string         `db:"city"`
	Region       string         `db:"region"`
	Lat          float64        `db:"lat"`
	Lon          float64        `db:"lon"`
	Phone        sql.NullString `db:"phone"`
	Hours        []byte         `db:"hours"`
	Active       bool           `db:"active"`
	DistanceKm   float64        `db:"distance_km"`
}

func (r epRow) point() (ExchangePoint, error) {
	p := ExchangePoint{Code: r.Code, Name: r.Name, OperatorType: r.OperatorType, Address: r.Address, City: r.City,
		Region: r.Region, Lat: r.Lat, Lon: r.Lon, Phone: r.Phone.String, Active: r.Active}
	if err := json.Unmarshal(r.Hours, &p.OpeningHours); err != nil {
		return ExchangePoint{}, fmt.Errorf("exchange point %s: %w", r.Code, err)
	}
	return p, nil
}

func epPoints(rows []epRow) ([]ExchangePoint, error) {
	out := make([]ExchangePoint, 0, len(rows))
	for _, r := range rows {
		p, err := r.point()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// likeEscape escapes LIKE's wildcards (and its escape character).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListExchangePoints lists the active points by code, after afterCode (the cursor; "" for
// the first page), at most limit. city ("" for all) must match the city; q ("" for no
// search) must appear in the name, the address or the city. Both compare through the
// utf8mb4_unicode_ci collation: case and accents are ignored ("fes" finds "Fès").
func (s *Store) ListExchangePoints(ctx context.Context, city, q string, afterCode string, limit int) ([]ExchangePoint, error) {
	query := `SELECT ` + epColumns + ` FROM exchange_points WHERE active = TRUE AND code > ?`
	args := []any{afterCode}
	if city = strings.TrimSpace(city); city != "" {
		query += ` AND city = ?`
		args = append(args, city)
	}
	if q = strings.TrimSpace(q); q != "" {
		like := "%" + likeEscape(q) + "%"
		query += ` AND (name LIKE ? OR address LIKE ? OR city LIKE ?)`
		args = append(args, like, like, like)
	}
	query += ` ORDER BY code LIMIT ?`
	args = append(args, limit)
	var rows []epRow
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("list exchange points: %w", err)
	}
	return epPoints(rows)
}

// ExchangePointByCode reads a point, active or not; ErrNotFound when none has that code.
func (s *Store) ExchangePointByCode(ctx context.Context, code string) (ExchangePoint, error) {
	return exchangePointByCode(ctx, s.db, code, false)
}

func exchangePointByCode(ctx context.Context, q sqlx.QueryerContext, code string, forUpdate bool) (ExchangePoint, error) {
	query := `SELECT ` + epColumns + ` FROM exchange_points WHERE code = ?`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var r epRow
	if err := sqlx.GetContext(ctx, q, &r, query, code); err != nil {
		return ExchangePoint{}, notFound(err)
	}
	return r.point()
}

// ExchangePointExists reports whether an active point has that code.
func (s *Store) ExchangePointExists(ctx context.Context, code string) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM exchange_points WHERE code = ? AND active`, code)
	return n > 0, err
}

// --- Writes ---

func operatorType(p ExchangePoint) string {
	if p.OperatorType == "" {
		return domain.OperatorBureauDeChange
	}
	return p.OperatorType
}

// UpsertExchangePoint creates or updates a point by code. An existing point keeps its
// operator type, region and phone when p leaves them empty.
func (s *Store) UpsertExchangePoint(ctx context.Context, p ExchangePoint) error {
	hours, err := hoursJSON(p)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO exchange_points
			(code, name, operator_type, city, region, address, lat, lon, phone, hours, active)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE name = VALUES(name), city = VALUES(city), address = VALUES(address),
			lat = VALUES(lat), lon = VALUES(lon), hours = VALUES(hours), active = VALUES(active),
			operator_type = IF(? = '', operator_type, VALUES(operator_type)),
			region = IF(? = '', region, VALUES(region)),
			phone = IF(? = '', phone, VALUES(phone)),
			updated_at = CURRENT_TIMESTAMP(6)`,
		p.Code, p.Name, operatorType(p), p.City, p.Region, p.Address, p.Lat, p.Lon, nullString(p.Phone), hours, p.Active,
		p.OperatorType, p.Region, p.Phone)
	if err != nil {
		return fmt.Errorf("upsert exchange point: %w", err)
	}
	return nil
}

// importBatch is the number of rows of one multi-row INSERT of ImportExchangePoints.
const importBatch = 200

// ImportExchangePoints creates or updates (by code) every point, in one transaction:
// all of them load, or none. Every column is replaced, active included. It returns how
// many points were created and how many existed (updated).
func (s *Store) ImportExchangePoints(ctx context.Context, points []ExchangePoint) (created, updated int, err error) {
	hours := make([]string, len(points))
	codes := make([]string, len(points))
	for i, p := range points {
		if hours[i], err = hoursJSON(p); err != nil {
			return 0, 0, err
		}
		codes[i] = p.Code
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		created, updated = 0, 0
		existing := map[string]bool{}
		for chunk := range slices.Chunk(codes, 500) {
			q, args, err := sqlx.In(`SELECT code FROM exchange_points WHERE code IN (?) FOR UPDATE`, chunk)
			if err != nil {
				return err
			}
			var found []string
			if err := tx.SelectContext(ctx, &found, q, args...); err != nil {
				return fmt.Errorf("import exchange points: %w", err)
			}
			for _, c := range found {
				existing[strings.ToUpper(c)] = true
			}
		}
		for start := 0; start < len(points); start += importBatch {
			end := min(start+importBatch, len(points))
			var b strings.Builder
			b.WriteString(`INSERT INTO exchange_points
				(code, name, operator_type, address, city, region, lat, lon, phone, hours, active) VALUES `)
			args := make([]any, 0, (end-start)*11)
			for i := start; i < end; i++ {
				if i > start {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				p := points[i]
				args = append(args, p.Code, p.Name, operatorType(p), p.Address, p.City, p.Region, p.Lat, p.Lon,
					nullString(p.Phone), hours[i], p.Active)
			}
			b.WriteString(` ON DUPLICATE KEY UPDATE name = VALUES(name), operator_type = VALUES(operator_type),
				address = VALUES(address), city = VALUES(city), region = VALUES(region), lat = VALUES(lat),
				lon = VALUES(lon), phone = VALUES(phone), hours = VALUES(hours), active = VALUES(active),
				updated_at = CURRENT_TIMESTAMP(6)`)
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("import exchange points: %w", err)
			}
		}
		seen := map[string]bool{}
		for _, c := range codes {
			switch c = strings.ToUpper(c); {
			case seen[c]:
			case existing[c]:
				updated++
			default:
				created++
			}
			seen[c] = true
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return created, updated, nil
}

// FieldChange is one changed field of an admin audit row.
type FieldChange struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// epAuditFields are the audited fields of a point, by their API names.
func epAuditFields(p ExchangePoint) map[string]any {
	var phone any
	if p.Phone != "" {
		phone = p.Phone
	}
	return map[string]any{
		"name": p.Name, "operator_type": operatorType(p), "address": p.Address, "city": p.City, "region": p.Region,
		"lat": p.Lat, "lon": p.Lon, "phone": phone, "hours": p.OpeningHours,
	}
}

func epAuditDiff(from, to ExchangePoint) map[string]FieldChange {
	a, b := epAuditFields(from), epAuditFields(to)
	out := map[string]FieldChange{}
	for k, v := range b {
		if !sameAuditValue(a[k], v) {
			out[k] = FieldChange{From: a[k], To: v}
		}
	}
	return out
}

func sameAuditValue(a, b any) bool {
	if ha, ok := a.(domain.WeeklyHours); ok {
		hb, ok := b.(domain.WeeklyHours)
		return ok && ha.Equal(hb)
	}
	return a == b
}

// roundCoord is the value DECIMAL(9,6) keeps.
func roundCoord(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// normalizeForWrite applies what the columns do (rounding, defaults, the hours in their
// canonical order), so that p compares with what a read returns.
func normalizeForWrite(p ExchangePoint) (ExchangePoint, string, error) {
	hours, err := hoursJSON(p)
	if err != nil {
		return p, "", err
	}
	if err := json.Unmarshal([]byte(hours), &p.OpeningHours); err != nil {
		return p, "", fmt.Errorf("exchange point %s: %w", p.Code, err)
	}
	p.OperatorType = operatorType(p)
	p.Lat, p.Lon = roundCoord(p.Lat), roundCoord(p.Lon)
	return p, hours, nil
}

// CreateExchangePoint inserts a point with its exchange_point.create audit row (every
// field, from null) in the same transaction. A taken code gives ErrDuplicate.
func (s *Store) CreateExchangePoint(ctx context.Context, p ExchangePoint, staffID int64, requestID string, now time.Time) error {
	p, hours, err := normalizeForWrite(p)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO exchange_points
				(code, name, operator_type, address, city, region, lat, lon, phone, hours, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Code, p.Name, p.OperatorType, p.Address, p.City, p.Region, p.Lat, p.Lon, nullString(p.Phone), hours, p.Active, now, now)
		if isMySQLError(err, errDupEntry) {
			return ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("create exchange point: %w", err)
		}
		changes := map[string]FieldChange{}
		for k, v := range epAuditFields(p) {
			changes[k] = FieldChange{To: v}
		}
		changes["active"] = FieldChange{To: p.Active}
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: staffID, Action: AuditExchangePointCreate,
			Entity: auditEntityExchangePoint, EntityID: p.Code, Changes: changes, RequestID: requestID, At: now})
	})
}

// UpdateExchangePoint replaces every field of the point p.Code but its code and active
// flag (see SetExchangePointActive), with an exchange_point.update audit row of what
// changed (field → {from, to}) in the same transaction; nothing changed writes nothing.
// It returns the point as stored; ErrNotFound when no point has that code.
func (s *Store) UpdateExchangePoint(ctx context.Context, p ExchangePoint, staffID int64, requestID string, now time.Time) (ExchangePoint, error) {
	p, hours, err := normalizeForWrite(p)
	if err != nil {
		return ExchangePoint{}, err
	}
	var stored ExchangePoint
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		cur, err := exchangePointByCode(ctx, tx, p.Code, true)
		if err != nil {
			return err
		}
		p.Code, p.Active = cur.Code, cur.Active
		stored = p
		changes := epAuditDiff(cur, p)
		if len(changes) == 0 {
			stored = cur
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_points SET name = ?, operator_type = ?, address = ?, city = ?,
				region = ?, lat = ?, lon = ?, phone = ?, hours = ?, updated_at = ? WHERE code = ?`,
			p.Name, p.OperatorType, p.Address, p.City, p.Region, p.Lat, p.Lon, nullString(p.Phone), hours, now, p.Code); err != nil {
			return fmt.Errorf("update exchange point: %w", err)
		}
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: staffID, Action: AuditExchangePointUpdate,
			Entity: auditEntityExchangePoint, EntityID: p.Code, Changes: changes, RequestID: requestID, At: now})
	})
	if err != nil {
		return ExchangePoint{}, err
	}
	return stored, nil
}

// SetExchangePointActive activates or deactivates a point, with its
// exchange_point.activate or .deactivate audit row ({"active": {from, to}}) in the same
// transaction; setting the state it already has changes nothing and writes nothing. It
// returns the point as stored; ErrNotFound when no point has that code.
func (s *Store) SetExchangePointActive(ctx context.Context, code string, active bool, staffID int64, requestID string, now time.Time) (ExchangePoint, error) {
	var p ExchangePoint
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if p, err = exchangePointByCode(ctx, tx, code, true); err != nil {
			return err
		}
		if p.Active == active {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_points SET active = ?, updated_at = ? WHERE code = ?`, active, now, p.Code); err != nil {
			return fmt.Errorf("set exchange point active: %w", err)
		}
		action := AuditExchangePointDeactivate
		if active {
			action = AuditExchangePointActivate
		}
		changes := map[string]FieldChange{"active": {From: p.Active, To: active}}
		p.Active = active
		return s.RecordAdminChange(ctx, tx, AdminChange{StaffID: staffID, Action: action,
			Entity: auditEntityExchangePoint, EntityID: p.Code, Changes: changes, RequestID: requestID, At: now})
	})
	if err != nil {
		return ExchangePoint{}, err
	}
	return p, nil
}
