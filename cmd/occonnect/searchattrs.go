package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc"

	"occonnect/internal/config"
	"occonnect/workflows"
)

// runSearchAttributes: `occonnect search-attributes` registers the workflows' search
// attributes (workflows.SearchAttributes) in OCC_TEMPORAL_NAMESPACE through the
// OperatorService, for a real cluster (the dev servers of make dev and the tests get them
// at start). It is idempotent: attributes already there with the same type are fine; one
// there with another type is an error and nothing is added.
// `occonnect search-attributes dev-flags` prints the `temporal server start-dev`
// arguments that register them, one per line (scripts/dev.sh).
func runSearchAttributes(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string) error {
	switch {
	case len(args) == 1 && args[0] == "dev-flags":
		for _, a := range workflows.DevServerSearchAttributeArgs() {
			fmt.Println(a)
		}
		return nil
	case len(args) > 0:
		return usageError("search-attributes takes no argument, or dev-flags")
	}
	tc, err := dialTemporal(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer tc.Close()
	return registerSearchAttributes(ctx, tc.OperatorService(), cfg.TemporalNamespace, os.Stdout)
}

// searchAttributeOperator is the part of the OperatorService the registration uses.
type searchAttributeOperator interface {
	ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error)
	AddSearchAttributes(context.Context, *operatorservice.AddSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error)
}

// registerSearchAttributes adds the missing search attributes to namespace and reports each
// on out.
func registerSearchAttributes(ctx context.Context, op searchAttributeOperator, namespace string, out io.Writer) error {
	have, err := listSearchAttributes(ctx, op, namespace)
	if err != nil {
		return err
	}
	missing := map[string]enumspb.IndexedValueType{}
	var clashes []string
	for _, k := range workflows.SearchAttributes {
		name, want := k.GetName(), k.GetValueType()
		got, ok := have[name]
		switch {
		case !ok:
			missing[name] = want
		case got != want:
			clashes = append(clashes, fmt.Sprintf("%s is %s, not %s", name,
				workflows.SearchAttributeTypeName(got), workflows.SearchAttributeTypeName(want)))
		default:
			fmt.Fprintf(out, "%-20s %-8s already registered\n", name, workflows.SearchAttributeTypeName(want))
		}
	}
	if len(clashes) > 0 {
		return fmt.Errorf("namespace %s: search attributes of another type (nothing was added; remove or rename them): %s",
			namespace, strings.Join(clashes, "; "))
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) { // AlreadyExists: added meanwhile; checked below
		return fmt.Errorf("namespace %s: add search attributes: %w", namespace, err)
	}
	if have, err = listSearchAttributes(ctx, op, namespace); err != nil {
		return err
	}
	for _, k := range workflows.SearchAttributes {
		name := k.GetName()
		if _, added := missing[name]; !added {
			continue
		}
		if have[name] != k.GetValueType() {
			return fmt.Errorf("namespace %s: %s is not registered as %s after adding it", namespace, name,
				workflows.SearchAttributeTypeName(k.GetValueType()))
		}
		fmt.Fprintf(out, "%-20s %-8s registered\n", name, workflows.SearchAttributeTypeName(k.GetValueType()))
	}
	return nil
}

// listSearchAttributes returns every search attribute of namespace (system and custom) with
// its type.
func listSearchAttributes(ctx context.Context, op searchAttributeOperator, namespace string) (map[string]enumspb.IndexedValueType, error) {
	resp, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("namespace %s: list search attributes: %w", namespace, err)
	}
	all := map[string]enumspb.IndexedValueType{}
	for name, t := range resp.GetSystemAttributes() {
		all[name] = t
	}
	for name, t := range resp.GetCustomAttributes() {
		all[name] = t
	}
	return all, nil
}
