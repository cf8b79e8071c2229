package authz

import (
	"context"
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
)

// limit applies rule to key and answers 429 too_many_requests with
// Retry-After when it is exceeded. A limiter failure lets the request
// through, logged: the lockout and the other controls still hold.
func (s *Server) limit(ctx context.Context, rule ratelimit.Rule, key string) error {
	ok, retry, err := s.cfg.Limiter.Allow(ctx, rule, key)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter failed", "rule", string(rule), "err", err)
		return nil
	}
	if ok {
		return nil
	}
	return &Error{Code: CodeTooManyRequests, Description: "too many requests; try again later", RetryAfter: max(retry, time.Second)}
}

func retryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}
