package service

import (
	"context"
	"crypto/sha256"
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
