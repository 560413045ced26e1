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
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
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
