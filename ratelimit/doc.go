// Package ratelimit names edgeauth's rate limits and counts them: the
// Limiter interface the server calls, and MemoryLimiter, the native
// server's exact in-process limiter. In the Worker the Workers Rate
// Limiting bindings implement Limiter (cfworker). Keys are built per
// tenant, so one tenant's attack never throttles another's users; a
// client address counts an IPv6 /64 as one (ClientIP).
//
// A rate limit is a brake on floods, not an account's protection: the
// lockout of failed sign-ins is decided in the database.
package ratelimit
