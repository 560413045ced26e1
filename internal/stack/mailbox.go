package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"occonnect/internal/testenv"
)

// Mailbox watches Mailpit with a single poller and indexes the new messages by recipient,
// so that hundreds of citizens waiting for their e-mail cost one request per interval
// instead of one each. Messages already in Mailpit when it starts are ignored.
type Mailbox struct {
	mp       *testenv.Mailpit
	interval time.Duration

	mu      sync.Mutex
	known   map[string]bool                  // IDs of every message listed so far
	byTo    map[string][]testenv.MailSummary // new messages by recipient address
	total   int                              // new messages
	changed chan struct{}                    // closed (and replaced) when messages arrive
	err     error                            // the last polling error, nil after a success
}

// mailpitPage is a page of Mailpit's message list (newest first).
type mailpitPage struct {
	Total    int                   `json:"total"`
	Messages []testenv.MailSummary `json:"messages"`
}

// NewMailbox lists what Mailpit holds (to ignore it) and polls for new messages every
// interval until ctx ends.
func NewMailbox(ctx context.Context, mp *testenv.Mailpit, interval time.Duration) (*Mailbox, error) {
	m := &Mailbox{mp: mp, interval: interval, known: map[string]bool{}, byTo: map[string][]testenv.MailSummary{},
		changed: make(chan struct{})}
	for start := 0; ; start += 1000 {
		page, err := m.page(ctx, start, 1000)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Messages {
			m.known[s.ID] = true
		}
		if len(page.Messages) < 1000 {
			break
		}
	}
	go m.poll(ctx)
	return m, nil
}

func (m *Mailbox) page(ctx context.Context, start, limit int) (mailpitPage, error) {
	var page mailpitPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/messages?start=%d&limit=%d", m.mp.APIURL, start, limit), nil)
	if err != nil {
		return page, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return page, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return page, fmt.Errorf("mailpit messages: %s", resp.Status)
	}
	return page, json.NewDecoder(resp.Body).Decode(&page)
}

func (m *Mailbox) poll(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := m.scan(ctx)
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
	}
}

// scan reads the list from the newest message down until every message Mailpit counts
// has been seen (a message delivered late can sort below newer ones, so the scan does not
// stop at the first known one).
func (m *Mailbox) scan(ctx context.Context) error {
	size := 20 // small while nothing arrives: the page also says how many Mailpit holds
	for start := 0; ; start += size {
		if start > 0 {
			size = 200
		}
		page, err := m.page(ctx, start, size)
		if err != nil {
			return err
		}
		m.mu.Lock()
		arrived := false
		for _, s := range page.Messages {
			if m.known[s.ID] {
				continue
			}
			m.known[s.ID] = true
			m.total++
			arrived = true
			for _, to := range s.To {
				addr := strings.ToLower(to.Address)
				m.byTo[addr] = append(m.byTo[addr], s)
			}
		}
		if arrived {
			close(m.changed)
			m.changed = make(chan struct{})
		}
		complete := len(m.known) >= page.Total
		m.mu.Unlock()
		if complete || len(page.Messages) < size {
			return nil
		}
	}
}

// Messages returns the new messages to address whose subject contains subject, in the
// order they were seen.
func (m *Mailbox) Messages(to, subject string) []testenv.MailSummary {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []testenv.MailSummary
	for _, s := range m.byTo[strings.ToLower(to)] {
		if strings.Contains(s.Subject, subject) {
			out = append(out, s)
		}
	}
	return out
}

// Total is the number of new messages seen so far.
func (m *Mailbox) Total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}

// Wait waits until at least n new messages to address have a subject containing subject,
// and returns them.
func (m *Mailbox) Wait(ctx context.Context, to, subject string, n int) ([]testenv.MailSummary, error) {
	for {
		m.mu.Lock()
		changed, pollErr := m.changed, m.err
		m.mu.Unlock()
		if list := m.Messages(to, subject); len(list) >= n {
			return list, nil
		}
		select {
		case <-ctx.Done():
			if pollErr != nil {
				return nil, fmt.Errorf("%w (last Mailpit error: %v)", ctx.Err(), pollErr)
			}
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

// WaitTotal waits until at least n new messages arrived.
func (m *Mailbox) WaitTotal(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		changed, total := m.changed, m.total
		m.mu.Unlock()
		if total >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d e-mails: %w", total, n, ctx.Err())
		case <-changed:
		}
	}
}

// Read fetches a whole message.
func (m *Mailbox) Read(ctx context.Context, id string) (testenv.Mail, error) {
	return m.mp.Message(ctx, id)
}
