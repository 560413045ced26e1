// Command consoleshots takes the screenshots (docs/screenshots) of the officer console from the real
// stack with demo data: a Temporal dev server, Mailpit and a fresh MariaDB database (as the
// end-to-end tests start them), the worker and the API in this process, and headless
// Chromium. Complaints get a two-minute first-response target (the demonstration override),
// so that the list shows every SLA state: an escalated complaint, one due soon, one paused,
// and new ones on time. It takes about three minutes.
//
//	go run ./tools/consoleshots -out docs/screenshots
//
// It needs what `make test` needs: the pinned tools in .tools/, MariaDB and Chromium.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/chromedp/chromedp"

	"occonnect/activities"
	"occonnect/domain"
	"occonnect/internal/codec"
	"occonnect/internal/passhash"
	"occonnect/internal/server"
	"occonnect/internal/testenv"
	"occonnect/mail"
	"occonnect/service"
	"occonnect/store"
	"occonnect/worker"
	"occonnect/workflows"
)

const (
	staffPassword = "demo-password-2026"
	// firstResponse replaces the two business days of the first response (demonstration).
	firstResponse = 2 * time.Minute
	width, height = 1366, 800
)

func main() {
	out := flag.String("out", "docs/screenshots", "folder of the PNG files")
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
	flag.Parse()
	if err := run(*out, *chromium); err != nil {
		log.Fatal(err)
	}
}

type demo struct {
	api     *httptest.Server
	mailpit *testenv.Mailpit
	store   *store.Store
}

func run(out, chromium string) error {
	ctx := context.Background()
	tp, err := testenv.StartTemporal(ctx)
	if err != nil {
		return err
	}
	defer tp.Stop()
	mp, err := testenv.StartMailpit(ctx)
	if err != nil {
		return err
	}
	defer mp.Stop()
	dsn, drop, err := testenv.NewDatabase(ctx, "shots")
	if err != nil {
		return err
	}
	defer drop()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	st := store.New(db)
	logger := slog.New(slog.DiscardHandler)
	keys, err := codec.ParseKeys(testenv.PayloadKeys)
	if err != nil {
		return err
	}
	tc, err := worker.Dial(ctx, tp.Address, "default", logger, keys)
	if err != nil {
		return err
	}
	defer tc.Close()
	hasher, err := passhash.NewHasher(passhash.DefaultParams)
	if err != nil {
		return err
	}
	mailer, err := mail.NewSMTPSender(mail.SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, From: "OC Connect <no-reply@occonnect.local>"})
	if err != nil {
		return err
	}
	w := worker.New(tc, &activities.Activities{Store: st, Mailer: mailer, Hasher: hasher, CredentialTTL: time.Hour})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	svc := service.New(service.Deps{Store: st, Temporal: tc, Hasher: hasher, Logger: logger, ReissueWindow: time.Hour,
		Complaints: workflows.ComplaintConfig{FirstResponseOverride: firstResponse}})
	d := &demo{api: httptest.NewServer(server.Handler(server.Options{Services: svc, Logger: logger})), mailpit: mp, store: st}
	defer d.api.Close()
	if err := d.seed(ctx, hasher); err != nil {
		return err
	}

	// The citizens, and what they ask for.
	log.Print("enrolling the demo citizens")
	salma, err := d.citizen(ctx, "BE123456", "Salma", "Alaoui", "salma.alaoui@example.ma", "ar")
	if err != nil {
		return err
	}
	youssef, err := d.citizen(ctx, "CD654321", "Youssef", "Benali", "youssef.benali@example.ma", "fr")
	if err != nil {
		return err
	}
	khadija, err := d.citizen(ctx, "EE112233", "Khadija", "Tazi", "khadija.tazi@example.ma", "fr")
	if err != nil {
		return err
	}
	officer, err := d.login("officer@demo.oc.local")
	if err != nil {
		return err
	}
	start := time.Now()
	escalated, err := d.complaint(youssef, "allowance_balance", "Solde de la dotation touristique non mis à jour",
		"Le solde affiché dans l'application ne tient pas compte de l'annulation de mon achat de devises du 3 novembre.", "")
	if err != nil {
		return err
	}
	if _, err := d.post("/api/v1/me/dts-requests", salma, map[string]any{"fiscal_year": 2025, "ir_amount_mad": 48000,
		"attestation_reference": "DGI-IR-2025-004512"}, http.StatusAccepted); err != nil {
		return err
	}
	arabic, err := d.complaint(salma, "dts", "تأخر في معالجة طلب المخصص السياحي الإضافي",
		"قدمت طلب المخصص السياحي الإضافي منذ أسبوعين ولم أتوصل بأي رد، وموعد سفري يقترب.", "")
	if err != nil {
		return err
	}
	paused, err := d.complaint(khadija, "exchange_point_service", "Reçu de change non remis",
		"Le bureau de change ne m'a pas remis de reçu pour mon achat de 1 000 EUR.", "EP-0001")
	if err != nil {
		return err
	}
	// The officer asks both for information; Salma answers, so her complaint is worked on.
	for _, c := range []struct{ ref, question string }{
		{arabic, "مرحبا، هل يمكنكم إرسال مرجع شهادة الضريبة على الدخل لسنة 2025 كما هو مدون في الطلب؟"},
		{paused, "Pouvez-vous préciser la date et l'heure de votre passage au guichet ?"},
	} {
		task, err := d.task(officer, c.ref)
		if err != nil {
			return err
		}
		if _, err := d.post("/api/v1/tasks/"+task+"/claim", officer, nil, http.StatusOK); err != nil {
			return err
		}
		if _, err := d.post("/api/v1/tasks/"+task+"/complete", officer, map[string]string{"outcome": "request_info", "comment": c.question}, http.StatusOK); err != nil {
			return err
		}
	}
	if err := d.waitStatus(salma, arabic, "waiting_for_citizen"); err != nil {
		return err
	}
	if _, err := d.post("/api/v1/me/complaints/"+arabic+"/messages", salma, map[string]string{"body": "المرجع هو DGI-IR-2025-004512، وقد أرفقت الشهادة بالطلب."}, http.StatusCreated); err != nil {
		return err
	}
	// Due soon: filed so that its last quarter has begun when the screenshot is taken.
	time.Sleep(time.Until(start.Add(30 * time.Second)))
	soonAt := time.Now()
	if _, err := d.complaint(youssef, "exchange_point_service", "Guichet fermé aux heures affichées",
		"Le bureau EP-0002 était fermé mardi à 11 h alors que l'affichage indique 8 h 30 – 18 h.", "EP-0002"); err != nil {
		return err
	}
	log.Print("waiting for the first complaint to escalate")
	if err := d.waitStatusLevel(youssef, escalated, 1); err != nil {
		return err
	}
	// On time: filed now.
	if _, err := d.complaint(khadija, "app_access", "Code de vérification non reçu",
		"Je ne reçois pas le code de vérification par SMS depuis ce matin.", ""); err != nil {
		return err
	}
	time.Sleep(time.Until(soonAt.Add(firstResponse * 4 / 5)))

	// The screenshots.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	bctx, stop, err := browser(chromium)
	if err != nil {
		return err
	}
	defer stop()
	if err := d.signIn(bctx, "supervisor@demo.oc.local"); err != nil {
		return err
	}
	if err := shoot(bctx, filepath.Join(out, "console-tasks.png")); err != nil {
		return err
	}
	log.Printf("the list, %s after the first complaint", time.Since(start).Round(time.Second))
	bctx2, stop2, err := browser(chromium)
	if err != nil {
		return err
	}
	defer stop2()
	if err := d.signIn(bctx2, "officer@demo.oc.local"); err != nil {
		return err
	}
	task, err := d.task(officer, arabic)
	if err != nil {
		return err
	}
	if err := chromedp.Do(bctx2, chromedp.Navigate(d.api.URL+"/console/lang?to=ar&next=/console/tasks/"+task),
		chromedp.WaitVisible(chromedp.ID("conversation"))); err != nil {
		return err
	}
	return shoot(bctx2, filepath.Join(out, "console-task-ar.png"))
}

func (d *demo) seed(ctx context.Context, hasher *passhash.Hasher) error {
	for _, p := range []store.ExchangePoint{
		{Code: "EP-0001", Name: "Démo — Bureau de change Hassan", City: "Rabat", Address: "Avenue Mohammed V", Lat: 34.0209, Lon: -6.8416},
		{Code: "EP-0002", Name: "Démo — Bureau de change Atlas", City: "Casablanca", Address: "Boulevard d'Anfa", Lat: 33.5731, Lon: -7.5898},
	} {
		p.Active = true
		if err := d.store.UpsertExchangePoint(ctx, p); err != nil {
			return err
		}
	}
	hash, err := hasher.Hash(staffPassword)
	if err != nil {
		return err
	}
	return testenv.SeedStaff(ctx, d.store, hash,
		testenv.StaffSeed{Email: "agent@demo.oc.local", Role: domain.RoleAgent, ExchangePoint: "EP-0001"},
		testenv.StaffSeed{Email: "officer@demo.oc.local", Role: domain.RoleOfficer},
		testenv.StaffSeed{Email: "officer2@demo.oc.local", Role: domain.RoleOfficer},
		testenv.StaffSeed{Email: "supervisor@demo.oc.local", Role: domain.RoleSupervisor},
		testenv.StaffSeed{Email: "head@demo.oc.local", Role: domain.RoleHeadOfUnit})
}

// call sends a JSON request and decodes the answer, which must have the status.
func (d *demo) post(path, token string, body any, status int) (map[string]any, error) {
	return d.do(http.MethodPost, path, token, body, status)
}

func (d *demo) do(method, path, token string, body any, status int) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.api.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out, nil
}

func (d *demo) login(email string) (string, error) {
	r, err := d.post("/api/v1/staff/login", "", map[string]string{"email": email, "password": staffPassword}, http.StatusOK)
	if err != nil {
		return "", err
	}
	return r["token"].(string), nil
}

var passwordLine = regexp.MustCompile(`Mot de passe provisoire : (\S+)`)

// citizen enrols a citizen at EP-0001, activates the account and sets a password; it
// returns a session token.
func (d *demo) citizen(ctx context.Context, cin, first, last, email, lang string) (string, error) {
	agent, err := d.login("agent@demo.oc.local")
	if err != nil {
		return "", err
	}
	if _, err := d.post("/api/v1/enrollments", agent, map[string]string{"cin": cin, "first_name": first, "last_name": last,
		"email": email, "birth_date": "1990-04-12", "language": lang}, http.StatusAccepted); err != nil {
		return "", err
	}
	msgs, err := d.mailpit.WaitForMessages(ctx, email, 1, 30*time.Second)
	if err != nil {
		return "", err
	}
	m := passwordLine.FindStringSubmatch(msgs[0].Text)
	if m == nil {
		return "", errors.New("no password in the credentials e-mail")
	}
	r, err := d.post("/api/v1/activation", "", map[string]string{"cin": cin, "password": m[1]}, http.StatusOK)
	if err != nil {
		return "", err
	}
	password := "Un thé à la menthe sur la terrasse de " + first
	if _, err := d.do(http.MethodPut, "/api/v1/me/password", r["token"].(string),
		map[string]string{"current_password": m[1], "new_password": password}, http.StatusNoContent); err != nil {
		return "", err
	}
	r, err = d.post("/api/v1/auth/login", "", map[string]string{"cin": cin, "password": password}, http.StatusOK)
	if err != nil {
		return "", err
	}
	return r["token"].(string), nil
}

// complaint files a complaint and waits until it is in the queue.
func (d *demo) complaint(token, category, subject, description, ep string) (string, error) {
	body := map[string]string{"category": category, "subject": subject, "description": description}
	if ep != "" {
		body["exchange_point_code"] = ep
	}
	r, err := d.post("/api/v1/me/complaints", token, body, http.StatusAccepted)
	if err != nil {
		return "", err
	}
	ref := r["reference"].(string)
	return ref, d.waitStatus(token, ref, "in_queue")
}

func (d *demo) waitStatus(token, ref, status string) error {
	return d.wait(token, ref, func(c map[string]any) bool { return c["status"] == status })
}

func (d *demo) waitStatusLevel(token, ref string, level float64) error {
	return d.wait(token, ref, func(c map[string]any) bool { return c["escalation_level"] == level })
}

func (d *demo) wait(token, ref string, ok func(map[string]any) bool) error {
	deadline := time.Now().Add(firstResponse + time.Minute)
	for time.Now().Before(deadline) {
		c, err := d.do(http.MethodGet, "/api/v1/me/complaints/"+ref, token, nil, http.StatusOK)
		if err != nil {
			return err
		}
		if ok(c) {
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("complaint %s: timed out", ref)
}

// task finds the task of a subject in the staff member's list.
func (d *demo) task(token, subject string) (string, error) {
	for range 50 {
		r, err := d.do(http.MethodGet, "/api/v1/tasks?limit=100", token, nil, http.StatusOK)
		if err != nil {
			return "", err
		}
		for _, it := range r["items"].([]any) {
			if m := it.(map[string]any); m["subject_id"] == subject {
				return m["id"].(string), nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", fmt.Errorf("no task for %s", subject)
}

// browser starts headless Chromium with a fresh profile.
func browser(bin string) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "consoleshots-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.UserDataDir(dir),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("lang", "fr-FR"), chromedp.WindowSize(width, height))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() { cancel(); cancelAlloc(); _ = os.RemoveAll(dir) }
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return ctx, stop, nil
}

func (d *demo) signIn(ctx context.Context, email string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(d.api.URL+"/console/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), staffPassword)); err != nil {
		return err
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("login"))); err != nil {
		return err
	}
	return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("table.tasks")))
}

// shoot saves the whole page (the viewport grown to the page's height).
func shoot(ctx context.Context, path string) error {
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
	if err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, max(h, height))); err != nil {
		return err
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	log.Printf("%s (%d bytes)", path, len(png))
	return os.WriteFile(path, png, 0o644)
}
