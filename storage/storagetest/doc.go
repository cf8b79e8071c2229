// Package storagetest is the one conformance suite for edgeauth's storage
// backends. Run checks a storage.Store and RunKV a storage.KV; every
// backend's own test is a few lines that call them (SQLite and Memory
// natively, D1 and Workers KV inside workerd).
//
// The suite asserts WHICH error comes back (errors.Is against the storage
// sentinels), the single-statement races under 50 concurrent goroutines,
// time, byte and list round-trips, and cascades. Every test makes its own
// tenant ids and KV keys with a random suffix and deletes its tenants when
// it ends, so the suite can run any number of times against one persistent
// database. It never asserts on timing.
package storagetest
