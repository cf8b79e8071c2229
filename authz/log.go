package authz

import "context"

// RequestInfo is what the server knows of a request beyond its URL and
// headers, and what a handler learns that the request's log line needs.
// The server puts one in every request's context (WithRequestInfo).
type RequestInfo struct {
	// Source is the client's address as a rate-limit key (ClientIP).
	Source string
	// Client is the request's client, once authenticated or looked up.
	Client string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying a new RequestInfo, and that info.
func WithRequestInfo(ctx context.Context) (context.Context, *RequestInfo) {
	info := &RequestInfo{}
	return context.WithValue(ctx, requestInfoKey{}, info), info
}

// NoteClient records the request's client id for the log line.
func NoteClient(ctx context.Context, id string) {
	if info, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		info.Client = id
	}
}
