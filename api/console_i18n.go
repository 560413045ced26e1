package api

import (
	"fmt"
	"time"

	"occonnect/internal/i18n"
)

// consoleText is the console's word for key in lang (French or Arabic), from the console's
// catalog (internal/i18n/catalog/console); French is the fallback. Errors of the services use
// the API's catalog (message) unless the console says it better ("error.<code>").
func consoleText(lang, key string) string { return i18n.Console.Text(lang, key) }

// consoleProblemText is an error of a service as the console says it: its own words for
// the login answers (with the delay to wait), else the API's title and detail.
func consoleProblemText(lang string, e *apiError) string {
	t, ok := consoleText(lang, "error."+e.code), i18n.Console.Has("error."+e.code)
	if !ok {
		return message(lang, "title."+e.code) + " — " + message(lang, "detail."+e.code)
	}
	if e.code == "account_locked" || e.code == "rate_limited" {
		wait := e.retryAfter.Round(time.Second)
		d := i18n.Console.Plural(lang, "seconds", max(int(wait/time.Second), 1))
		if wait >= 2*time.Minute {
			d = i18n.Console.Plural(lang, "minutes", int((wait+time.Minute-1)/time.Minute))
		}
		return fmt.Sprintf(t, d)
	}
	return t
}
