package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// MailSummary is a message in Mailpit's list.
type MailSummary struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	To        []struct {
		Address string `json:"Address"`
	} `json:"To"`
	Created time.Time `json:"Created"`
}

// Mail is a whole message.
type Mail struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	Text      string `json:"Text"`
	HTML      string `json:"HTML"`
}

func (m *Mailpit) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Messages lists the messages sent to "to" (all when empty), newest first.
func (m *Mailpit) Messages(ctx context.Context, to string) ([]MailSummary, error) {
	var res struct {
		Messages []MailSummary `json:"messages"`
	}
	path := "/api/v1/messages?limit=1000"
	if to != "" {
		path = "/api/v1/search?limit=1000&query=" + url.QueryEscape("to:"+to)
	}
	err := m.get(ctx, path, &res)
	return res.Messages, err
}

// Message reads one message.
func (m *Mailpit) Message(ctx context.Context, id string) (Mail, error) {
	var mail Mail
	err := m.get(ctx, "/api/v1/message/"+id, &mail)
	return mail, err
}

// WaitForMessages waits until at least n messages were sent to "to" and returns them,
// newest first.
func (m *Mailpit) WaitForMessages(ctx context.Context, to string, n int, timeout time.Duration) ([]Mail, error) {
	deadline := time.Now().Add(timeout)
	for {
		list, err := m.Messages(ctx, to)
		if err == nil && len(list) >= n {
			out := make([]Mail, 0, len(list))
			for _, s := range list {
				msg, err := m.Message(ctx, s.ID)
				if err != nil {
					return nil, err
				}
				out = append(out, msg)
			}
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d message(s) to the address after %s, want %d (last error: %v)", len(list), timeout, n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
