package store

import (
	"context"
	"fmt"
)

// SetCitizenLanguage sets the language of the citizen's e-mails ("fr" or "ar": the table's
// check refuses any other); they are rendered in it from then on.
func (s *Store) SetCitizenLanguage(ctx context.Context, citizenID int64, language string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE citizens SET language = ? WHERE id = ?`, language, citizenID); err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return nil
}
