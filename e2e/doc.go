// Package e2e holds black-box tests that drive a running edgeauth over HTTP.
//
// The same tests run against two targets, chosen by EDGEAUTH_E2E:
//
//	(unset) or native   the authz handler on net/http, SQLite and an in-memory KV
//	wrangler            the Worker under `wrangler dev` (workerd, local D1 and KV),
//	                    started on a free port with its own --persist-to folder
//	url                 an already running server: EDGEAUTH_E2E_URL and
//	                    EDGEAUTH_E2E_ADMIN_TOKEN say where and how
//
// `make test` runs both native and wrangler.
package e2e
