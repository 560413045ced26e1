package web

import (
	"regexp"
	"strings"
)

// MaxUserAgentSummary is the longest summary UserAgentSummary gives.
const MaxUserAgentSummary = 60

// appUserAgent is the OC Connect app's product token: "OCConnect/2.3.1 (Android 14)",
// "OC-Connect/2.3 (iOS 17.4)".
var appUserAgent = regexp.MustCompile(`(?i)\bOC[ _-]?Connect/(\d{1,4})(?:\.(\d{1,4}))?`)

// uaName is a name a summary gives, and the tokens of a User-Agent that say it.
type uaName struct {
	name   string
	tokens []string
}

// browsers are the browsers a summary names, in the order they are looked for: the
// tokens of one also appear in the ones after it (Edge and Opera say Chrome, Chrome says
// Safari).
var browsers = []uaName{
	{"Edge", []string{"Edg/", "EdgA/", "EdgiOS/", "Edge/"}},
	{"Opera", []string{"OPR/", "Opera"}},
	{"Samsung Internet", []string{"SamsungBrowser/"}},
	{"Firefox", []string{"Firefox/", "FxiOS/"}},
	{"Chrome", []string{"Chrome/", "CriOS/", "Chromium/"}},
	{"Safari", []string{"Safari/"}},
}

// systems are the operating systems a summary names, in the order they are looked for
// (Android says Linux, iOS says "like Mac OS X").
var systems = []uaName{
	{"Windows", []string{"Windows"}},
	{"Android", []string{"Android"}},
	{"iOS", []string{"iPhone", "iPad", "iPod", "iOS"}},
	{"ChromeOS", []string{"CrOS"}},
	{"macOS", []string{"Macintosh", "Mac OS X"}},
	{"Linux", []string{"Linux"}},
}

// UserAgentSummary is what a person reads of a User-Agent header to tell their sessions
// apart: "OC Connect Android 2.3" for the app, "Chrome on Windows" for a browser, the
// first product token otherwise ("okhttp 4.12.0"), "" for none. It is made of known
// words, digits and the characters [A-Za-z0-9 ._+-] only, at most MaxUserAgentSummary
// bytes: never the header itself, whose details (device model, build) are not kept.
func UserAgentSummary(header string) string {
	ua := header
	if len(ua) > 512 {
		ua = ua[:512]
	}
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	system := match(ua, systems)
	if m := appUserAgent.FindStringSubmatch(ua); m != nil {
		version := m[1]
		if m[2] != "" {
			version += "." + m[2]
		}
		if system == "Android" || system == "iOS" {
			return "OC Connect " + system + " " + version
		}
		return "OC Connect " + version
	}
	browser := match(ua, browsers)
	if browser == "" && strings.HasPrefix(ua, "Mozilla/") {
		browser = "Browser"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	}
	return productToken(ua)
}

// match is the name of the first entry one of whose tokens ua contains ("" for none).
func match(ua string, list []uaName) string {
	for _, e := range list {
		for _, t := range e.tokens {
			if strings.Contains(ua, t) {
				return e.name
			}
		}
	}
	return ""
}

// productToken is ua's first product token ("curl/8.5.0" → "curl 8.5.0"), with only the
// characters [A-Za-z0-9._+-] kept.
func productToken(ua string) string {
	first, _, _ := strings.Cut(strings.Join(strings.Fields(ua), " "), " ")
	name, version, _ := strings.Cut(first, "/")
	keep := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._+-", r):
				return r
			}
			return -1
		}, s)
	}
	out := keep(name)
	if v := keep(version); out != "" && v != "" {
		out += " " + v
	}
	if len(out) > MaxUserAgentSummary {
		out = out[:MaxUserAgentSummary]
	}
	return out
}
