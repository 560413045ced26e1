package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal in-process SMTP server (plain text, no AUTH).
type fakeSMTP struct {
	ln        net.Listener
	rcptReply string // reply to RCPT TO; "250 2.1.5 OK" when empty

	mu    sync.Mutex
	cmds  []string
	datas []string
	wg    sync.WaitGroup
}

func newFakeSMTP(t *testing.T, rcptReply string) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, rcptReply: rcptReply}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeSMTP) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			if err := tp.PrintfLine("%s", l); err != nil {
				return
			}
		}
	}
	reply("220 fake.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.mu.Unlock()
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			reply("250-fake.test", "250-ENHANCEDSTATUSCODES", "250 HELP")
		case "HELO", "NOOP", "RSET":
			reply("250 2.0.0 OK")
		case "MAIL":
			reply("250 2.1.0 OK")
		case "RCPT":
			if f.rcptReply != "" {
				reply(f.rcptReply)
			} else {
				reply("250 2.1.5 OK")
			}
		case "DATA":
			reply("354 End data with <CR><LF>.<CR><LF>")
			lines, err := tp.ReadDotLines()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.datas = append(f.datas, strings.Join(lines, "\r\n"))
			f.mu.Unlock()
			reply("250 2.0.0 queued as 1")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 command not implemented")
		}
	}
}

func (f *fakeSMTP) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.datas...)
}

func newTestSender(t *testing.T, port int) *SMTPSender {
	t.Helper()
	s, err := NewSMTPSender(SMTPConfig{
		Host: "127.0.0.1", Port: port, From: "OC Connect <no-reply@oc.gov.ma>", Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	return s
}

func TestSMTPSenderSend(t *testing.T) {
	srv := newFakeSMTP(t, "")
	s := newTestSender(t, srv.port())
	msg := mustRenderCredentials(t, credentials("ar"))

	if err := s.Send(context.Background(), "amina@example.org", msg, "outbox-42"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	datas := srv.received()
	if len(datas) != 1 {
		t.Fatalf("server received %d messages, want 1", len(datas))
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(datas[0] + "\r\n"))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	h := parsed.Header
	if got := h.Get("Message-Id"); got != "<outbox-42@occonnect>" {
		t.Errorf("Message-ID = %q", got)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, msg.Subject)
	}
	if to := h.Get("To"); !strings.Contains(to, "amina@example.org") {
		t.Errorf("To = %q", to)
	}
	if from := h.Get("From"); !strings.Contains(from, "no-reply@oc.gov.ma") {
		t.Errorf("From = %q", from)
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		ct, cparams, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if !strings.EqualFold(cparams["charset"], "UTF-8") {
			t.Errorf("%s charset = %q", ct, cparams["charset"])
		}
		body, err := io.ReadAll(p) // multipart.Reader decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		parts[ct] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	if !hasLine(parts["text/plain"], "Mot de passe provisoire : "+testPassword) {
		t.Errorf("decoded text part lacks the password line:\n%s", parts["text/plain"])
	}
	if !strings.Contains(parts["text/html"], `dir="rtl" lang="ar"`) || !strings.Contains(parts["text/html"], testPassword) {
		t.Errorf("decoded HTML part incomplete")
	}

	// Without a messageID a random one is still set.
	if err := s.Send(context.Background(), "amina@example.org", msg, ""); err != nil {
		t.Fatalf("Send: %v", err)
	}
	datas = srv.received()
	parsed, err = netmail.ReadMessage(strings.NewReader(datas[1] + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if id := parsed.Header.Get("Message-Id"); id == "" || id == "<outbox-42@occonnect>" {
		t.Errorf("Message-ID without id = %q", id)
	}
}

func TestSMTPSenderRecipientRejected(t *testing.T) {
	const rcpt = "nobody@example.org"
	cases := []struct {
		reply     string
		permanent bool
		code      int
	}{
		{"550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown", true, 550},
		{"451 4.3.0 <" + rcpt + ">: Temporary lookup failure", false, 451},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			srv := newFakeSMTP(t, c.reply)
			s := newTestSender(t, srv.port())
			err := s.Send(context.Background(), rcpt, mustRenderCredentials(t, credentials("fr")), "7")
			if err == nil {
				t.Fatal("Send succeeded, want error")
			}
			if got := IsPermanent(err); got != c.permanent {
				t.Errorf("IsPermanent = %v, want %v (err: %v)", got, c.permanent, err)
			}
			var de *DeliveryError
			if !errors.As(err, &de) || de.Code != c.code || de.Stage != "RCPT TO" {
				t.Fatalf("err = %#v", err)
			}
			msg := err.Error()
			if strings.Contains(msg, rcpt) || strings.Contains(msg, "nobody") {
				t.Errorf("error leaks the recipient: %s", msg)
			}
			if strings.Contains(msg, testPassword) {
				t.Errorf("error leaks the body: %s", msg)
			}
			if !strings.Contains(msg, fmt.Sprint(c.code)) {
				t.Errorf("error lacks the SMTP code: %s", msg)
			}
			if len(srv.received()) != 0 {
				t.Errorf("no DATA expected")
			}
		})
	}
}

func TestSMTPSenderConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := newTestSender(t, port)
	err = s.Send(context.Background(), "amina@example.org", mustRenderCredentials(t, credentials("fr")), "1")
	if err == nil {
		t.Fatal("want error")
	}
	if IsPermanent(err) {
		t.Errorf("connection error classified permanent: %v", err)
	}
	if strings.Contains(err.Error(), "amina") {
		t.Errorf("error leaks the recipient: %v", err)
	}
}

func TestSMTPSenderCanceledContext(t *testing.T) {
	s := newTestSender(t, 2525)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Send(ctx, "amina@example.org", mustRenderCredentials(t, credentials("fr")), "1")
	if !errors.Is(err, context.Canceled) || IsPermanent(err) {
		t.Errorf("err = %v", err)
	}
}

func TestSMTPSenderInvalidInput(t *testing.T) {
	s := newTestSender(t, 2525) // nothing listens: validation must fail first
	msg := mustRenderCredentials(t, credentials("fr"))
	err := s.Send(context.Background(), "not an address <", msg, "1")
	if !errors.Is(err, ErrInvalidRecipient) || !IsPermanent(err) {
		t.Errorf("bad recipient: err = %v", err)
	}
	if strings.Contains(err.Error(), "not an address") {
		t.Errorf("error leaks the recipient: %v", err)
	}
	if err := s.Send(context.Background(), "a@example.org", msg, "bad id\r\nX-Evil: 1"); !errors.Is(err, ErrInvalidMessageID) {
		t.Errorf("bad message id: err = %v", err)
	}
	if err := s.Send(context.Background(), "a@example.org", Message{}, "1"); !errors.Is(err, ErrEmptyMessage) {
		t.Errorf("empty message: err = %v", err)
	}
}

func TestNewSMTPSenderValidation(t *testing.T) {
	ok := SMTPConfig{Host: "127.0.0.1", Port: 1025, From: "OC Connect <no-reply@oc.gov.ma>"}
	if _, err := NewSMTPSender(ok); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	bad := map[string]func(c *SMTPConfig){
		"no host":      func(c *SMTPConfig) { c.Host = "" },
		"bad from":     func(c *SMTPConfig) { c.From = "OC Connect" },
		"bad tls":      func(c *SMTPConfig) { c.TLS = "starttls-please" },
		"bad port":     func(c *SMTPConfig) { c.Port = 70000 },
		"neg timeout":  func(c *SMTPConfig) { c.Timeout = -time.Second },
		"pass no user": func(c *SMTPConfig) { c.Password = "secret" },
	}
	for name, mutate := range bad {
		c := ok
		mutate(&c)
		if _, err := NewSMTPSender(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, mode := range []string{"", "none", "opportunistic", "mandatory", "implicit", "MANDATORY"} {
		c := ok
		c.TLS = mode
		c.Port = 0
		c.Username, c.Password = "user", "pass"
		s, err := NewSMTPSender(c)
		if err != nil {
			t.Errorf("TLS %q rejected: %v", mode, err)
			continue
		}
		if s.timeout != DefaultTimeout || s.port == 0 {
			t.Errorf("TLS %q: defaults not applied (port %d, timeout %v)", mode, s.port, s.timeout)
		}
	}
}

// TestSMTPRequiresTLSUnlessLoopback: "none" and "opportunistic" (clear text when STARTTLS
// is missing or stripped) are refused towards a host that is not loopback, unless
// AllowPlaintext says so; mandatory and implicit go anywhere.
func TestSMTPRequiresTLSUnlessLoopback(t *testing.T) {
	base := SMTPConfig{Port: 1025, From: "OC Connect <no-reply@oc.gov.ma>", Username: "user", Password: "pw-s3cret-value"}
	for _, host := range []string{"smtp.example.org", "mailpit", "10.0.0.25", "0.0.0.0", "::"} {
		for _, mode := range []string{"", "none", "opportunistic", "NONE"} {
			c := base
			c.Host, c.TLS = host, mode
			_, err := NewSMTPSender(c)
			if !errors.Is(err, ErrPlaintext) {
				t.Errorf("TLS %q towards %s: %v, want ErrPlaintext", mode, host, err)
			} else if strings.Contains(err.Error(), "pw-s3cret-value") {
				t.Errorf("the refusal prints the password: %v", err)
			}
			c.AllowPlaintext = true
			if _, err := NewSMTPSender(c); err != nil {
				t.Errorf("TLS %q towards %s with AllowPlaintext: %v", mode, host, err)
			}
		}
		for _, mode := range []string{"mandatory", "implicit"} {
			c := base
			c.Host, c.TLS = host, mode
			if _, err := NewSMTPSender(c); err != nil {
				t.Errorf("TLS %q towards %s: %v", mode, host, err)
			}
		}
	}
	for _, host := range []string{"127.0.0.1", "127.0.0.53", "::1", "localhost"} {
		for _, mode := range []string{"", "none", "opportunistic"} {
			c := base
			c.Host, c.TLS = host, mode
			if _, err := NewSMTPSender(c); err != nil {
				t.Errorf("TLS %q towards loopback %s: %v", mode, host, err)
			}
		}
	}
}

func TestIsPermanent(t *testing.T) {
	if IsPermanent(nil) || IsPermanent(errors.New("boom")) || IsPermanent(context.DeadlineExceeded) {
		t.Error("generic errors must not be permanent")
	}
	if !IsPermanent(fmt.Errorf("outbox: %w", &DeliveryError{Permanent: true})) {
		t.Error("wrapped permanent DeliveryError not recognised")
	}
	if IsPermanent(&DeliveryError{Code: 451}) {
		t.Error("temporary DeliveryError classified permanent")
	}
}

func TestRedact(t *testing.T) {
	in := "550 5.1.1 <john.doe+x@example.org>: rejected, affected recipient(s): john.doe+x@example.org, affected message ID: <42@occonnect>"
	out := redact(in)
	if strings.Contains(out, "john") || strings.Contains(out, "example.org") {
		t.Errorf("redact left an address: %s", out)
	}
	if !strings.Contains(out, "42@occonnect") {
		t.Errorf("redact removed the message id: %s", out)
	}
}
