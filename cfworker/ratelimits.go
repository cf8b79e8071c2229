package cfworker

import (
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
)

// RateLimitBindings maps each rule to the name of its Workers Rate Limiting
// binding in wrangler.toml ([[ratelimits]]), which declares the limits of
// ratelimit.DefaultRates (TestRateLimitBindings holds the three together).
var RateLimitBindings = map[ratelimit.Rule]string{
	ratelimit.LimitLoginIP:             "LIMIT_LOGIN_IP",
	ratelimit.LimitLoginUser:           "LIMIT_LOGIN_USER",
	ratelimit.LimitToken:               "LIMIT_TOKEN",
	ratelimit.LimitRegister:            "LIMIT_REGISTER",
	ratelimit.LimitAdminFails:          "LIMIT_ADMIN_FAILS",
	ratelimit.LimitAdmin:               "LIMIT_ADMIN",
	ratelimit.LimitClientMetadata:      "LIMIT_CLIENT_METADATA",
	ratelimit.LimitDeviceAuthorization: "LIMIT_DEVICE_AUTHORIZATION",
	ratelimit.LimitUserCode:            "LIMIT_USER_CODE",
}

// rateLimitPeriod is the window every binding in wrangler.toml uses.
const rateLimitPeriod = 60 * time.Second
