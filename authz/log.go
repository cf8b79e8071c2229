package authz

import "context"

// RequestInfo is what a handler learns that the request's log line needs:
// the client, once authenticated or looked up. The server puts one in
// every request's context (WithRequestInfo).
type RequestInfo struct {
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
