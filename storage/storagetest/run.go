package storagetest

import (
	"testing"

	"github.com/edgeauth/edgeauth/storage"
)

// Run runs the conformance suite against the stores newStore returns. It
// calls newStore once per concern; the stores may share one database.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"Tenants", testTenants},
		{"Clients", testClients},
		{"Users", testUsers},
		{"SigningKeys", testKeys},
		{"Codes", testCodes},
		{"RefreshTokens", testRefresh},
		{"Consents", testConsents},
		{"Audit", testAudit},
		{"Lockouts", testLockouts},
		{"Sessions", testSessions},
		{"DeviceAuthorizations", testDevices},
		{"Connections", testConnections},
		{"Identities", testIdentities},
		{"PruneExpired", testPrune},
		{"DeleteTenantCascades", testCascade},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}
