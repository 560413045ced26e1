package service

import (
	"context"
	"crypto/sha256"
	"strings"
)

type ctxSource struct{}

// WithClientAddress gives the use cases the client's address (web.IPKey's form: an IPv4
// address or an IPv6 /64), as the adapters see it behind the trusted proxies: the lockout
// counts failed sign-ins per account and address with it (guard).
func WithClientAddress(ctx context.Context, address string) context.Context {
	if address == "" {
		return ctx
	}
	h := sha256.Sum256([]byte("source:" + address))
	return context.WithValue(ctx, ctxSource{}, h[:16])
}

// sourceOf is the hashed client address WithClientAddress gave (nil: none, as for the
// use cases called outside a request).
func sourceOf(ctx context.Context) []byte {
	s, _ := ctx.Value(ctxSource{}).([]byte)
	return s
}

type ctxRequestID struct{}

// WithRequestID gives the use cases the request's id (X-Request-ID), for the audit rows
// of what the request did.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxRequestID{}, id)
}

func requestIDOf(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID{}).(string)
	return id
}

type ctxUserAgent struct{}

// maxUserAgent is the most of a user agent's summary a session keeps (the column's size).
const maxUserAgent = 64

// WithUserAgent gives the use cases a summary of the client's User-Agent ("OC Connect
// Android 2.3", "Chrome on Windows"; the adapters make it), kept with the sessions the
// request opens so that their owner can tell them apart (GET /me/sessions).
func WithUserAgent(ctx context.Context, summary string) context.Context {
	if summary == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxUserAgent{}, summary)
}

// userAgentOf is the summary WithUserAgent gave ("": none), cut to what a session keeps.
func userAgentOf(ctx context.Context) string {
	s, _ := ctx.Value(ctxUserAgent{}).(string)
	if r := []rune(strings.ToValidUTF8(s, "")); len(r) > maxUserAgent {
		return string(r[:maxUserAgent])
	}
	return strings.ToValidUTF8(s, "")
}
