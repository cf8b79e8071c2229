// Package session keeps browser sessions: a signed-in user of one tenant
// in one browser, named by a random id that only the browser's cookie
// holds (authflow sets it). A session lasts TTL from its sign-in.
//
// Sessions live in KV under the id's hash (internal/kvrecord). KV is
// eventually consistent, so a session is read at each location as KV last
// saw it there; nothing here decides anything that must happen once.
package session
