package web

import (
	"regexp"
	"strings"
	"testing"
)

func TestUserAgentSummary(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", ""},
		{"   ", ""},
		// The app.
		{"OCConnect/2.3.1 (Android 14; SM-A546B)", "OC Connect Android 2.3"},
		{"OC-Connect/2.3 (iPhone; iOS 17.4)", "OC Connect iOS 2.3"},
		{"occonnect/3 okhttp/4.12.0", "OC Connect 3"},
		{"Mozilla/5.0 (Linux; Android 14; wv) OCConnect/2.10.0", "OC Connect Android 2.10"},
		// Browsers.
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge on Windows"},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome on iOS"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Safari on macOS"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on ChromeOS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", "Opera on Windows"},
		{"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
		{"Mozilla/5.0 (compatible; Unknown)", "Browser"},
		// Other clients: their first product token, cleaned.
		{"okhttp/4.12.0", "okhttp 4.12.0"},
		{"curl/8.5.0", "curl 8.5.0"},
		{"Go-http-client/1.1", "Go-http-client 1.1"},
		{"Dart/3.3 (dart:io)", "Dart 3.3"},
		{"<script>alert(1)</script>/1", "scriptalert1 script1"},
		{"'; DROP TABLE sessions; --", ""},
		{"\x00\xff\xfe", ""},
		{"نظام/1.0", ""},
		{"Client\t/2", "Client"},
		{strings.Repeat("A", 5000), strings.Repeat("A", MaxUserAgentSummary)},
	} {
		if got := UserAgentSummary(tc.header); got != tc.want {
			t.Errorf("UserAgentSummary(%.60q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

// TestUserAgentSummaryIsClean: whatever the header, the summary is short and made of
// harmless characters.
func TestUserAgentSummaryIsClean(t *testing.T) {
	clean := regexp.MustCompile(`^[A-Za-z0-9 ._+-]*$`)
	for _, h := range []string{"Mozilla/5.0 (\r\nX-Injected: 1) Chrome/1", "a\tb/c\nd", "x/" + strings.Repeat("é", 100),
		"OCConnect/99999.99999", "OCConnect/1.2 " + strings.Repeat("Android ", 200), "Mozilla/5.0 {{.}} ${7*7}"} {
		got := UserAgentSummary(h)
		if len(got) > MaxUserAgentSummary || !clean.MatchString(got) {
			t.Errorf("UserAgentSummary(%.40q) = %q", h, got)
		}
	}
}
