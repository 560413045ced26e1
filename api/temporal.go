package api

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
)

// updateWorkflow sends an Update and waits for its result (decoded into result). A refusal
// by the workflow's validator comes back as a *temporal.ApplicationError with the type the
// validator gave; a closed or unknown workflow as *serviceerror.NotFound.
func (s *Server) updateWorkflow(ctx context.Context, workflowID, name string, result any, args ...any) error {
	return s.updateWorkflowID(ctx, workflowID, "", name, result, args...)
}

// updateWorkflowID is updateWorkflow with a chosen Update ID ("" for a random one). The
// server runs an Update ID at most once per run: a second request with the same ID, while
// the first is in flight or after it completed, waits for and returns the first one's
// outcome instead of being validated again. A refused Update leaves no trace, so its ID
// can be tried again.
func (s *Server) updateWorkflowID(ctx context.Context, workflowID, updateID, name string, result any, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     updateID,
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, result)
}
