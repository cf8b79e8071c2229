// Package audit appends events to the audit log (storage.Audit): who did
// what to which record, for admins to read back through the admin API.
//
// Invariants:
//   - An event never holds a secret: actors and subjects are ids, detail is
//     short JSON.
//   - A failure to write is logged and does not fail the request the event
//     describes (Record); a store call that writes an event together with
//     the change it describes takes it from Event.
package audit
