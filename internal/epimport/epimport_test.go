package epimport

import (
	"os"
	"strings"
	"testing"
	"time"

	"occonnect/domain"
)

const header = "code,name,operator_type,address,city,region,lat,lon,phone,mon,tue,wed,thu,fri,sat,sun,active\n"

func lineErrs(errs []LineError) map[int][]string {
	out := map[int][]string{}
	for _, e := range errs {
		out[e.Line] = append(out[e.Line], e.Reason)
	}
	return out
}

// TestParseDemo: the demo file loads: at least 300 points in 25 cities, all "Démo — ",
// within ~3 km of their city's centre, the seeded EP-0001…EP-0006 as in seed demo.
func TestParseDemo(t *testing.T) {
	f, err := os.Open("../../data/exchange_points_demo.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	points, errs := Parse(f)
	if len(errs) > 0 {
		t.Fatalf("demo file: %v", errs)
	}
	centres := map[string][2]float64{
		"Rabat": {34.0209, -6.8416}, "Casablanca": {33.5731, -7.5898}, "Fès": {34.0331, -5.0003}, "Marrakech": {31.6295, -7.9811},
		"Tanger": {35.7595, -5.8340}, "Agadir": {30.4278, -9.5981}, "Meknès": {33.8935, -5.5473}, "Oujda": {34.6814, -1.9086},
		"Kénitra": {34.2610, -6.5802}, "Tétouan": {35.5889, -5.3626}, "Safi": {32.2994, -9.2372}, "El Jadida": {33.2316, -8.5007},
		"Nador": {35.1681, -2.9335}, "Béni Mellal": {32.3373, -6.3498}, "Khouribga": {32.8811, -6.9063}, "Laâyoune": {27.1253, -13.1625},
		"Dakhla": {23.6848, -15.9580}, "Errachidia": {31.9314, -4.4244}, "Ouarzazate": {30.9189, -6.8934}, "Essaouira": {31.5085, -9.7595},
		"Taza": {34.2100, -4.0100}, "Settat": {33.0010, -7.6166}, "Larache": {35.1932, -6.1557}, "Guelmim": {28.9870, -10.0574},
		"Al Hoceïma": {35.2517, -3.9372}, "Mohammédia": {33.6861, -7.3829}, "Salé": {34.0531, -6.7985}, "Témara": {33.9287, -6.9063},
		"Khémisset": {33.8240, -6.0663}, "Berrechid": {33.2655, -7.5875},
	}
	cities, types := map[string]int{}, map[string]int{}
	openSaturday, closedSunday, allDay := 0, 0, 0
	for _, p := range points {
		cities[p.City]++
		types[p.OperatorType]++
		c, ok := centres[p.City]
		if !ok {
			t.Errorf("%s: unknown city %q", p.Code, p.City)
			continue
		}
		// The generated points are at most 2.5 km away; the points of seed demo keep their
		// own coordinates (Bab Boujloud is 3.5 km from the centre of Fès).
		if d := domain.HaversineKm(c[0], c[1], p.Lat, p.Lon); d > 2.5 && (d > 4 || p.Code > "EP-0006") {
			t.Errorf("%s is %.1f km from the centre of %s", p.Code, d, p.City)
		}
		if !strings.HasPrefix(p.Name, "Démo — ") || p.Region == "" {
			t.Errorf("%s: name %q, region %q", p.Code, p.Name, p.Region)
		}
		if len(p.OpeningHours[time.Saturday]) > 0 {
			openSaturday++
		}
		if len(p.OpeningHours[time.Sunday]) == 0 {
			closedSunday++
		}
		if p.OperatorType == domain.OperatorHotel {
			if got := p.OpeningHours.Strings(time.Wednesday); len(got) != 1 || got[0] != "00:00-23:59" {
				t.Errorf("hotel %s: %v", p.Code, got)
			}
			allDay++
		}
	}
	if len(points) < 300 || len(cities) < 25 {
		t.Errorf("%d points in %d cities, want ≥ 300 in ≥ 25", len(points), len(cities))
	}
	if len(types) != 4 || openSaturday == 0 || closedSunday == 0 || allDay == 0 {
		t.Errorf("types %v, open Saturday %d, closed Sunday %d, hotels %d", types, openSaturday, closedSunday, allDay)
	}
	seeded := []struct{ code, name, city string }{
		{"EP-0001", "Démo — Bureau de change Hassan", "Rabat"},
		{"EP-0002", "Démo — Banque Maârif", "Casablanca"},
		{"EP-0003", "Démo — Change Jamaâ El Fna", "Marrakech"},
		{"EP-0004", "Démo — Bureau de change Bab Boujloud", "Fès"},
		{"EP-0005", "Démo — Transfert Tanger Ville", "Tanger"},
		{"EP-0006", "Démo — Hôtel Agadir Bay (sous-délégataire)", "Agadir"},
	}
	for i, s := range seeded {
		if p := points[i]; p.Code != s.code || p.Name != s.name || p.City != s.city || !p.Active {
			t.Errorf("point %d = %s %q %s, want %s %q %s", i, p.Code, p.Name, p.City, s.code, s.name, s.city)
		}
	}
}

// TestParseValues: one good line, read field by field.
func TestParseValues(t *testing.T) {
	in := "\uFEFF" + strings.ToUpper(header[:4]) + header[4:] +
		`ep-0100,  Démo — Test ,bank,"12, Avenue Mohammed V, Rabat",Rabat,Rabat-Salé-Kénitra,34.0209,-6.8416,0537 12 34 56,` +
		`08:30-12:00 14:00-18:00,08:15-15:45,,,,09:00-13:00,,false` + "\n"
	points, errs := Parse(strings.NewReader(in))
	if len(errs) > 0 || len(points) != 1 {
		t.Fatalf("Parse = %v, %v", points, errs)
	}
	p := points[0]
	if p.Code != "EP-0100" || p.Name != "Démo — Test" || p.OperatorType != "bank" || p.Address != "12, Avenue Mohammed V, Rabat" ||
		p.City != "Rabat" || p.Region != "Rabat-Salé-Kénitra" || p.Lat != 34.0209 || p.Lon != -6.8416 || p.Phone != "0537 12 34 56" || p.Active {
		t.Errorf("point = %+v", p)
	}
	b, _ := p.OpeningHours.MarshalJSON()
	if want := `{"mon":["08:30-12:00","14:00-18:00"],"tue":["08:15-15:45"],"wed":[],"thu":[],"fri":[],"sat":["09:00-13:00"],"sun":[]}`; string(b) != want {
		t.Errorf("hours = %s, want %s", b, want)
	}
	// Header only: nothing to load, no error.
	if points, errs := Parse(strings.NewReader(header)); len(errs) > 0 || points == nil || len(points) != 0 {
		t.Errorf("header only: %v, %v", points, errs)
	}
}

// TestParseErrors: every bad line is reported with its number, and nothing is returned.
func TestParseErrors(t *testing.T) {
	good := func(code string) string {
		return code + ",Démo — X,bureau_de_change,1 Rue X,Rabat,Rabat-Salé-Kénitra,34.02,-6.84,,09:00-18:00,,,,,,,true\n"
	}
	in := header +
		good("EP-0001") + // line 2
		"EP-0002,,spaceship,,Rabat,,40.5,-6.84,12345,25:00-26:00,,,,,,,maybe\n" + // line 3
		good("EP-0001") + // line 4: duplicate
		"EP-12,Démo — Y,bank,1 Rue Y,Rabat,,abc,-20,,08:00-12:00 11:00-13:00,,,,,,,\n" + // line 5
		good("EP-0003") + // line 6
		"EP-0004,too,few\n" + // line 7
		"\"EP-0005\",\"Démo — \"\"Z\"\"\",hotel,\"multi\nline\",Rabat,,34.02,-6.84,,,,,,,,00:00-23:59,\n" + // lines 8-9: good
		"EP-0006,Démo — W,hotel,1 Rue W,Rabat,,34.02,-6.84,0612345678,00:00-23:59,,,,,,,oui\n" + // line 10: good (mobile)
		"EP-0007,Démo — \xff,hotel,1 Rue W,Rabat,,34.02,-6.84,,,,,,,,,\n" + // line 11: not UTF-8
		"EP-0008,Démo \"bad\" quote,hotel,1,Rabat,,34.02,-6.84,,,,,,,,,\n" + // line 12: bad quote
		"EP-0009," + strings.Repeat("n", 201) + ",hotel,1,Rabat,,34.02,-6.84,+212 537 12 34 5,,,,,,,,\n" // line 13
	points, errs := Parse(strings.NewReader(in))
	if points != nil {
		t.Errorf("points returned with errors: %d", len(points))
	}
	got := lineErrs(errs)
	want := map[int][]string{
		3: {"mon: \"25:00-26:00\" is not HH:MM-HH:MM", "active \"maybe\" is not true or false", "name is empty",
			"operator_type \"spaceship\" is not one of bank, bureau_de_change, money_transfer, hotel", "address is empty",
			"lat 40.5 is outside Morocco (20.5 to 36.1)",
			"phone \"12345\" is not a phone number (0 then 9 digits, +212 then 9 digits, or + and the international number)"},
		4:  {"code EP-0001 is already on line 2"},
		5:  {"lat \"abc\" is not a decimal number", "mon: 08:00-12:00 and 11:00-13:00 overlap", "code \"EP-12\" is not EP- followed by 4 to 6 digits", "lon -20 is outside Morocco (-17.3 to -0.9)"},
		7:  {"3 fields, the header has 17"},
		11: {"field 2 is not valid UTF-8"},
		12: {`not valid CSV: bare " in non-quoted-field`},
		13: {"name is longer than 200 characters", "phone \"+212 537 12 34 5\" is not a phone number (0 then 9 digits, +212 then 9 digits, or + and the international number)"},
	}
	for line, reasons := range want {
		if strings.Join(got[line], " | ") != strings.Join(reasons, " | ") {
			t.Errorf("line %d: %q,\nwant %q", line, got[line], reasons)
		}
	}
	for line := range got {
		if _, ok := want[line]; !ok {
			t.Errorf("line %d: unexpected %q", line, got[line])
		}
	}
	if len(errs) > 0 && errs[0].Error() != "line 3: "+want[3][0] {
		t.Errorf("Error() = %q", errs[0].Error())
	}
}

// TestParseHeader: a missing, unknown or repeated column, or an empty file, is line 1.
func TestParseHeader(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "line 1: the file is empty: the header line is required"},
		{"missing", strings.Replace(header, ",phone", "", 1), `line 1: column "phone" is missing from the header`},
		{"unknown", strings.Replace(header, "phone", "telephone", 1), `line 1: unknown column "telephone" in the header`},
		{"twice", strings.Replace(header, "region", "city", 1), `line 1: column "city" is twice in the header`},
	} {
		in := c.in
		if in != "" {
			in += "EP-0001,x\n"
		}
		points, errs := Parse(strings.NewReader(in))
		if points != nil || len(errs) == 0 || errs[0].Error() != c.want {
			t.Errorf("%s: %v, want %s", c.name, errs, c.want)
		}
	}
	// Columns in another order are fine.
	cols := strings.Split(strings.TrimSpace(header), ",")
	cols[0], cols[16] = cols[16], cols[0]
	in := strings.Join(cols, ",") + "\ntrue,Démo — X,bureau_de_change,1 Rue X,Rabat,,34.02,-6.84,,,,,,,,,EP-0001\n"
	if points, errs := Parse(strings.NewReader(in)); len(errs) > 0 || len(points) != 1 || points[0].Code != "EP-0001" {
		t.Errorf("reordered columns: %v, %v", points, errs)
	}
}
