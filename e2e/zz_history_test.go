package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"occonnect/internal/codec"
	"occonnect/internal/stack"
)

func collectHistory(iter client.HistoryEventIterator) (*historypb.History, error) {
	h := &historypb.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// TestZZHistoriesHoldNoPersonalData runs last (file and name order): it fetches the
// history of every workflow of this run from the server and looks for every CIN, name,
// e-mail, initial and new password the tests used, in clear or base64, in the raw bytes.
// The logs are read at the end of TestMain, after every test (checkLogs).
func TestZZHistoriesHoldNoPersonalData(t *testing.T) {
	ctx := context.Background()
	env.mu.Lock()
	secrets := append([]string(nil), env.personal...)
	env.mu.Unlock()
	if len(secrets) < 10 {
		t.Fatalf("only %d values to look for: did the other tests run?", len(secrets))
	}
	var workflows int
	var token []byte
	for {
		resp, err := env.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 100, NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range resp.Executions {
			workflows++
			id := ex.Execution.WorkflowId
			h, err := collectHistory(env.temporal.GetWorkflowHistory(ctx, id, ex.Execution.RunId, false, 0))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := h.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			checkEncrypted(t, id, h)
			for _, s := range secrets {
				for _, form := range []string{s, strings.ToLower(s), base64.StdEncoding.EncodeToString([]byte(s))} {
					if strings.Contains(string(raw), form) || strings.Contains(id, form) {
						t.Errorf("workflow %s holds personal data or a secret in clear", id)
					}
				}
			}
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			break
		}
	}
	if workflows < 5 {
		t.Fatalf("only %d workflows found", workflows)
	}
	t.Logf("scanned %d workflow histories for %d values", workflows, len(secrets))
}

// checkEncrypted: the input of a run, as stored by the server, is encrypted with the payload
// codec and decodes through the codec server the Temporal Web UI calls.
func checkEncrypted(t *testing.T, id string, h *historypb.History) {
	t.Helper()
	input := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(input) == 0 {
		t.Fatalf("%s: no input", id)
	}
	p := input[0]
	if string(p.Metadata[codec.MetadataEncoding]) != codec.EncodingAESGCM {
		t.Fatalf("%s: input stored in clear (%s)", id, p.Metadata[codec.MetadataEncoding])
	}
	srv := httptest.NewServer(codec.Handler(codec.New(env.keys), "", "e2e-token"))
	defer srv.Close()
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	r := callWith(t, &stack.Client{BaseURL: srv.URL, HTTP: http.DefaultClient}, http.MethodPost, "/decode", "e2e-token",
		stack.RawBody{ContentType: "application/json", Bytes: body}) // protojson, not encoding/json
	var decoded commonpb.Payloads
	if err := protojson.Unmarshal(r.Raw, &decoded); err != nil || r.Status != http.StatusOK || len(decoded.Payloads) != 1 {
		t.Fatalf("%s: codec server: %d %v", id, r.Status, err)
	}
	_, ref, _ := strings.Cut(id, "/")
	if !strings.Contains(string(decoded.Payloads[0].Data), ref) {
		t.Fatalf("%s: the decoded input does not name the run's subject", id)
	}
}
