// Package audit appends events to the audit log (storage.Audit): who did
// what to which record, for admins to read back through the admin API.
//
// Invariants:
//   - An event never holds a secret: actors and subjects are ids, detail is
//     short JSON. Each is bounded (128 bytes for actor and subject, cleaned
//     of control and invisible characters; 1 KB of detail), so no request
//     can make an event large.
//   - Events of unauthenticated requests (failed sign-ins, failed admin
//     authentications) are counted, not appended one by one (Log.Count):
//     one event per source address, tenant and hour whose count grows, at
//     most UnauthenticatedSources addresses of their own per hour and the
//     rest together. No flood, from one address or many, grows the log
//     faster than that.
//   - The log is append-only: events outlive what they describe (a deleted
//     tenant's too) until the scheduled job prunes them after the
//     retention.
//   - A failure to write is logged and does not fail the request the event
//     describes (Record); a store call that writes an event together with
//     the change it describes takes it from Event.
package audit
