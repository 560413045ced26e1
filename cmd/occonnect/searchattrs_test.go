package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"occonnect/internal/testenv"
	"occonnect/workflows"
)

// TestRegisterSearchAttributes registers the search attributes on a real dev server: the
// default namespace has them already (testenv starts the server with the Go definitions),
// a new namespace gets them all and a second run changes nothing, and a namespace where
// one exists with another type is refused with nothing added.
func TestRegisterSearchAttributes(t *testing.T) {
	ctx := context.Background()
	srv, err := testenv.StartTemporal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	op := c.OperatorService()

	register := func(ns string) (string, error) {
		var out bytes.Buffer
		err := registerSearchAttributes(ctx, op, ns, &out)
		return out.String(), err
	}
	count := func(out, word string) int { return strings.Count(out, word+"\n") }
	n := len(workflows.SearchAttributes)

	out, err := register("default")
	if err != nil || count(out, "already registered") != n {
		t.Fatalf("default namespace: %v\n%s", err, out)
	}

	newNamespace(t, c, "occ-fresh")
	out, err = register("occ-fresh")
	if err != nil || count(out, " registered") != n || !strings.Contains(out, "OccDueAt             Datetime registered") {
		t.Fatalf("fresh namespace: %v\n%s", err, out)
	}
	have, err := listSearchAttributes(ctx, op, "occ-fresh")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range workflows.SearchAttributes {
		if have[k.GetName()] != k.GetValueType() {
			t.Errorf("occ-fresh: %s is %v", k.GetName(), have[k.GetName()])
		}
	}
	t.Logf("fresh namespace:\n%s", out)
	out, err = register("occ-fresh")
	if err != nil || count(out, "already registered") != n {
		t.Fatalf("second run: %v\n%s", err, out)
	}

	newNamespace(t, c, "occ-clash")
	if _, err := op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: "occ-clash",
		SearchAttributes: map[string]enumspb.IndexedValueType{"OccStatus": enumspb.INDEXED_VALUE_TYPE_INT}}); err != nil {
		t.Fatal(err)
	}
	_, err = register("occ-clash")
	if err == nil || !strings.Contains(err.Error(), "OccStatus is Int, not Keyword") {
		t.Fatalf("clash: %v", err)
	}
	t.Logf("clash: %v", err)
	if have, err = listSearchAttributes(ctx, op, "occ-clash"); err != nil {
		t.Fatal(err)
	}
	if _, added := have["OccProcess"]; added {
		t.Error("a refused registration added attributes")
	}
}

// newNamespace registers a namespace and waits until the server serves it.
func newNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: name})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s: %v", name, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
