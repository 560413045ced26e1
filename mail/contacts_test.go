package mail

import (
	"os"
	"strings"
	"testing"
)

// The contact details the tests render with (in production: the configuration).
const (
	SupportEmail = "occonnect@oc.gov.ma"
	SupportPhone = "05 37 26 63 63"
)

func TestMain(m *testing.M) {
	SetContacts(Contacts{SupportEmail: SupportEmail, SupportPhone: SupportPhone, ContactEmail: "Contact@oc.gov.ma", Website: "www.oc.gov.ma"})
	os.Exit(m.Run())
}

// TestContactsFromConfiguration: the e-mails print the contact details set, not others.
func TestContactsFromConfiguration(t *testing.T) {
	defer SetContacts(contact())
	SetContacts(Contacts{SupportEmail: "aide@example.gov.ma", SupportPhone: "05 00 00 00 00"})
	m, err := RenderCitizenWelcome(WelcomeData{FirstName: "Amina", LastName: "Benali", Language: LangFR})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, "aide@example.gov.ma") || !strings.Contains(part, "05 00 00 00 00") || strings.Contains(part, SupportEmail) {
			t.Errorf("the e-mail does not print the contacts set:\n%s", part)
		}
	}
}
