//go:build ignore

// Command gen writes data/exchange_points_demo.csv: DEMO exchange points (names start with
// "Démo — "), spread around the centres of 30 Moroccan cities. It is deterministic (a
// fixed seed). Run it from the module root:
//
//	go run data/gen/main.go
package main

import (
	"encoding/csv"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
)

type city struct {
	name, region, phone string
	lat, lon            float64
	n                   int // points
	quarters            []string
	// sea: the directions (bearing in degrees, 0 = north) where water is, and how far
	// (km) from the centre; points stay 300 m inland of that line.
	sea [][2]float64
}

var cities = []city{
	{"Rabat", "Rabat-Salé-Kénitra", "0537", 34.0209, -6.8416, 25, []string{"Agdal", "Hassan", "Océan", "Souissi", "Hay Riad", "Akkari", "Médina", "Yacoub El Mansour"}, [][2]float64{{315, 1.2}, {45, 1.3}}},
	{"Casablanca", "Casablanca-Settat", "0522", 33.5731, -7.5898, 40, []string{"Maârif", "Gauthier", "Anfa", "Derb Sultan", "Sidi Maârouf", "Aïn Sebaâ", "Hay Hassani", "Bourgogne", "Racine", "Belvédère", "Habous", "Oasis", "Sidi Belyout", "Aïn Chock"}, [][2]float64{{350, 1.6}}},
	{"Marrakech", "Marrakech-Safi", "0524", 31.6295, -7.9811, 25, []string{"Guéliz", "Hivernage", "Médina", "Daoudiate", "M'Hamid", "Sidi Youssef Ben Ali", "Massira", "Targa"}, nil},
	{"Fès", "Fès-Meknès", "0535", 34.0331, -5.0003, 18, []string{"Ville Nouvelle", "Fès el-Bali", "Atlas", "Saïss", "Narjiss", "Zouagha", "Route d'Imouzzer"}, nil},
	{"Tanger", "Tanger-Tétouan-Al Hoceïma", "0539", 35.7595, -5.8340, 20, []string{"Centre-ville", "Malabata", "Marshan", "Iberia", "Beni Makada", "Branes", "Mesnana"}, [][2]float64{{45, 1.6}, {0, 3}}},
	{"Agadir", "Souss-Massa", "0528", 30.4278, -9.5981, 15, []string{"Talborjt", "Dakhla", "Founty", "Hay Mohammadi", "Charaf", "Les Amicales", "Nouveau Talborjt"}, [][2]float64{{250, 1.0}}},
	{"Meknès", "Fès-Meknès", "0535", 33.8935, -5.5473, 12, []string{"Hamria", "Médina", "Marjane", "Bassatine", "Plaisance", "Sidi Baba"}, nil},
	{"Oujda", "L'Oriental", "0536", 34.6814, -1.9086, 10, []string{"Centre-ville", "Lazaret", "Al Qods", "Hay Salam", "Boudir"}, nil},
	{"Kénitra", "Rabat-Salé-Kénitra", "0537", 34.2610, -6.5802, 10, []string{"Centre-ville", "Maamora", "Ouled Oujih", "Bir Rami", "Val Fleuri"}, [][2]float64{{330, 1.5}}},
	{"Tétouan", "Tanger-Tétouan-Al Hoceïma", "0539", 35.5889, -5.3626, 10, []string{"Centre-ville", "Médina", "M'Hannech", "Touabel", "Wilaya"}, nil},
	{"Safi", "Marrakech-Safi", "0524", 32.2994, -9.2372, 7, []string{"Plateau", "Médina", "Biada", "Kawki"}, [][2]float64{{270, 0.7}}},
	{"El Jadida", "Casablanca-Settat", "0523", 33.2316, -8.5007, 8, []string{"Centre-ville", "Plateau", "Najd", "Cité Portugaise"}, [][2]float64{{330, 1.5}}},
	{"Nador", "L'Oriental", "0536", 35.1681, -2.9335, 8, []string{"Centre-ville", "Laâri Cheikh", "Hay Al Matar", "Ouled Mimoun"}, [][2]float64{{70, 0.6}}},
	{"Béni Mellal", "Béni Mellal-Khénifra", "0523", 32.3373, -6.3498, 7, []string{"Centre-ville", "Hay Al Massira", "Ouled Hamdan", "Hay Chrif"}, nil},
	{"Khouribga", "Béni Mellal-Khénifra", "0523", 32.8811, -6.9063, 6, []string{"Centre-ville", "Hay Al Qods", "Hay Nahda"}, nil},
	{"Laâyoune", "Laâyoune-Sakia El Hamra", "0528", 27.1253, -13.1625, 7, []string{"Centre-ville", "Hay Al Wahda", "Hay Moulay Rachid", "Colomina"}, nil},
	{"Dakhla", "Dakhla-Oued Ed-Dahab", "0528", 23.6848, -15.9580, 5, []string{"Centre-ville", "Hay Al Wahda", "Hay Moulay Rachid"}, [][2]float64{{90, 0.6}, {270, 2.5}}},
	{"Errachidia", "Drâa-Tafilalet", "0535", 31.9314, -4.4244, 5, []string{"Centre-ville", "Hay Boutalamine", "Hay Al Wahda"}, nil},
	{"Ouarzazate", "Drâa-Tafilalet", "0524", 30.9189, -6.8934, 6, []string{"Centre-ville", "Tabounte", "Hay Al Qods", "Tassoumaat"}, nil},
	{"Essaouira", "Marrakech-Safi", "0524", 31.5085, -9.7595, 7, []string{"Médina", "Ville Nouvelle", "Borj", "Lagoune"}, [][2]float64{{260, 0.9}}},
	{"Taza", "Fès-Meknès", "0535", 34.2100, -4.0100, 6, []string{"Taza Haut", "Taza Bas", "Hay Al Qods"}, nil},
	{"Settat", "Casablanca-Settat", "0523", 33.0010, -7.6166, 6, []string{"Centre-ville", "Hay Smaala", "Mimosas"}, nil},
	{"Larache", "Tanger-Tétouan-Al Hoceïma", "0539", 35.1932, -6.1557, 6, []string{"Centre-ville", "Médina", "Hay Jadid"}, [][2]float64{{315, 0.6}, {30, 1.5}}},
	{"Guelmim", "Guelmim-Oued Noun", "0528", 28.9870, -10.0574, 5, []string{"Centre-ville", "Hay Al Qods", "Hay Moulay Rachid"}, nil},
	{"Al Hoceïma", "Tanger-Tétouan-Al Hoceïma", "0539", 35.2517, -3.9372, 6, []string{"Centre-ville", "Mirador", "Calabonita", "Sidi Abid"}, [][2]float64{{20, 0.6}}},
	{"Mohammédia", "Casablanca-Settat", "0523", 33.6861, -7.3829, 8, []string{"Centre-ville", "Parc", "El Alia", "Rachidia"}, [][2]float64{{330, 0.8}}},
	{"Salé", "Rabat-Salé-Kénitra", "0537", 34.0531, -6.7985, 12, []string{"Médina", "Tabriquet", "Hay Salam", "Bettana", "Sidi Moussa"}, [][2]float64{{300, 1.5}, {220, 1.2}}},
	{"Témara", "Rabat-Salé-Kénitra", "0537", 33.9287, -6.9063, 8, []string{"Centre-ville", "Massira", "Wifak", "Guich Oudaya"}, [][2]float64{{305, 2.8}}},
	{"Khémisset", "Rabat-Salé-Kénitra", "0537", 33.8240, -6.0663, 5, []string{"Centre-ville", "Hay Al Qods", "Hay Lalla Meryem"}, nil},
	{"Berrechid", "Casablanca-Settat", "0522", 33.2655, -7.5875, 5, []string{"Centre-ville", "Hay Al Falah", "Hay Hassani"}, nil},
}

// The points of `occonnect seed demo` (cmd/occonnect/admin.go), kept as they are there.
var seeded = []struct {
	code, name, city, address, opType string
	lat, lon                          float64
}{
	{"EP-0001", "Démo — Bureau de change Hassan", "Rabat", "Avenue Mohammed V, Rabat", "bureau_de_change", 34.020882, -6.841650},
	{"EP-0002", "Démo — Banque Maârif", "Casablanca", "Boulevard Zerktouni, Casablanca", "bank", 33.589886, -7.603869},
	{"EP-0003", "Démo — Change Jamaâ El Fna", "Marrakech", "Place Jamaâ El Fna, Marrakech", "bureau_de_change", 31.625826, -7.989161},
	{"EP-0004", "Démo — Bureau de change Bab Boujloud", "Fès", "Bab Boujloud, Fès", "bureau_de_change", 34.061920, -4.983740},
	{"EP-0005", "Démo — Transfert Tanger Ville", "Tanger", "Boulevard Pasteur, Tanger", "money_transfer", 35.777420, -5.812940},
	{"EP-0006", "Démo — Hôtel Agadir Bay (sous-délégataire)", "Agadir", "Boulevard du 20 Août, Agadir", "hotel", 30.416510, -9.598370},
}

var streets = []string{"Avenue Mohammed V", "Boulevard Hassan II", "Avenue des FAR", "Rue Ibn Khaldoun",
	"Avenue Allal Ben Abdellah", "Boulevard Mohammed VI", "Rue Ibn Battouta", "Avenue Moulay Youssef",
	"Rue Oued Sebou", "Avenue Al Massira", "Rue Tarik Ibn Ziad", "Avenue Abdelkrim El Khattabi",
	"Boulevard Moulay Ismaïl", "Avenue Hassan Ier", "Rue Al Jazaïr", "Boulevard de la Résistance",
	"Avenue Mohammed VI", "Rue Imam Malik", "Avenue Zerktouni", "Rue Ibn Rochd"}

var (
	bureaux   = []string{"Al Amal", "Al Wafa", "Atlas", "Bab Al Madina", "Express", "Al Baraka", "Noor", "Zitouna", "Menara", "Al Fath", "Assalam", "du Centre"}
	banks     = []string{"Banque Atlas", "Banque du Détroit", "Crédit Al Andalous", "Banque Oasis", "Banque des Deux Rives"}
	transfers = []string{"Transfert Rapide", "Cash Sahara", "Envoi Express", "Transfert Plus", "Argana Transfert"}
	hotels    = []string{"Les Orangers", "Le Zénith", "Riad Andalous", "Les Dunes", "Le Phare", "Bab Es-Sahra", "Les Palmiers", "Le Grand Atlas"}
)

// typeCycle gives every city of 4 points or more each operator type.
var typeCycle = []string{"bureau_de_change", "bank", "hotel", "money_transfer", "bank", "bureau_de_change", "money_transfer"}

var rng = rand.New(rand.NewPCG(2026, 7))

func pick(list []string) string { return list[rng.IntN(len(list))] }

const kmPerDegree = 6371.0088 * math.Pi / 180

// jitter places a point at most 2.5 km from the centre, on land.
func jitter(c city) (float64, float64) {
	for range 10000 {
		r := 2.5 * math.Sqrt(rng.Float64())
		theta := rng.Float64() * 2 * math.Pi // bearing
		dn, de := r*math.Cos(theta), r*math.Sin(theta)
		ok := true
		for _, s := range c.sea {
			b := s[0] * math.Pi / 180
			if dn*math.Cos(b)+de*math.Sin(b) > s[1]-0.3 {
				ok = false
			}
		}
		if ok {
			lat := c.lat + dn/kmPerDegree
			lon := c.lon + de/(kmPerDegree*math.Cos(c.lat*math.Pi/180))
			return math.Round(lat*1e6) / 1e6, math.Round(lon*1e6) / 1e6
		}
	}
	return c.lat, c.lon
}

// hours: the seven cells, Monday first.
func hours(opType string, tourist bool) [7]string {
	var h [7]string
	set := func(from, to int, v string) {
		for d := from; d <= to; d++ {
			h[d] = v
		}
	}
	switch opType {
	case "hotel":
		set(0, 6, "00:00-23:59")
	case "bank":
		if rng.IntN(3) == 0 {
			set(0, 4, "08:30-12:00 14:00-16:30")
		} else {
			set(0, 4, "08:15-15:45")
		}
		if rng.IntN(4) == 0 {
			h[5] = "09:00-12:30"
		}
	case "bureau_de_change":
		switch rng.IntN(3) {
		case 0:
			set(0, 5, "09:00-13:00 15:00-20:00")
		case 1:
			set(0, 5, "09:00-20:00")
		default:
			set(0, 4, "08:30-19:00")
			h[5] = "09:00-13:00"
		}
		if tourist || rng.IntN(4) == 0 {
			h[6] = "10:00-14:00"
		}
	case "money_transfer":
		set(0, 4, "08:30-12:30 14:30-18:30")
		h[5] = "09:00-13:00"
		if rng.IntN(5) == 0 {
			h[6] = "09:00-12:00"
		}
	}
	return h
}

func name(opType, quarter string) string {
	switch opType {
	case "bank":
		return fmt.Sprintf("Démo — %s, agence %s", pick(banks), quarter)
	case "hotel":
		return fmt.Sprintf("Démo — Hôtel %s (sous-délégataire)", pick(hotels))
	case "money_transfer":
		return fmt.Sprintf("Démo — %s %s", pick(transfers), quarter)
	default:
		return fmt.Sprintf("Démo — Bureau de change %s", pick(bureaux))
	}
}

func phone(prefix string) string {
	if rng.IntN(10) == 0 {
		return ""
	}
	return fmt.Sprintf("%s %02d %02d %02d", prefix, rng.IntN(100), rng.IntN(100), rng.IntN(100))
}

var tourist = map[string]bool{"Marrakech": true, "Agadir": true, "Essaouira": true, "Fès": true, "Tanger": true, "Ouarzazate": true}

func main() {
	f, err := os.Create("data/exchange_points_demo.csv")
	if err != nil {
		log.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"code", "name", "operator_type", "address", "city", "region", "lat", "lon", "phone",
		"mon", "tue", "wed", "thu", "fri", "sat", "sun", "active"})
	byCity := map[string]city{}
	for _, c := range cities {
		byCity[c.name] = c
	}
	write := func(code, name, opType, address string, c city, lat, lon float64, active bool) {
		h := hours(opType, tourist[c.name])
		rec := []string{code, name, opType, address, c.name, c.region, fmt.Sprintf("%.6f", lat), fmt.Sprintf("%.6f", lon), phone(c.phone)}
		rec = append(rec, h[:]...)
		rec = append(rec, fmt.Sprint(active))
		if err := w.Write(rec); err != nil {
			log.Fatal(err)
		}
	}
	made := map[string]int{}
	for _, s := range seeded {
		write(s.code, s.name, s.opType, s.address, byCity[s.city], s.lat, s.lon, true)
		made[s.city]++
	}
	n := len(seeded)
	for _, c := range cities {
		for i := made[c.name]; i < c.n; i++ {
			n++
			opType := typeCycle[i%len(typeCycle)]
			quarter := pick(c.quarters)
			address := fmt.Sprintf("%d, %s, %s, %s", 1+rng.IntN(180), pick(streets), quarter, c.name)
			lat, lon := jitter(c)
			write(fmt.Sprintf("EP-%04d", n), name(opType, quarter), opType, address, c, lat, lon, n%53 != 0)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d points in %d cities\n", n, len(cities))
}
