package e2e

import (
	"encoding/json"
	"strings"
	"sync"
)

// Every secret a test sees (passwords, client secrets, codes, tokens) is
// noted here; TestMain fails the run if any of them appears in the
// server's log output.
var seen struct {
	sync.Mutex
	secrets map[string]bool
}

// noteSecret records s as a secret the server must never log.
func noteSecret(s string) {
	if len(s) < 8 {
		return // too short to search for without false alarms
	}
	seen.Lock()
	defer seen.Unlock()
	if seen.secrets == nil {
		seen.secrets = map[string]bool{}
	}
	seen.secrets[s] = true
}

// noteResponseSecrets records the secret members of a JSON answer.
func noteResponseSecrets(body []byte) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token", "client_secret", "initial_access_token"} {
		if s, ok := m[k].(string); ok {
			noteSecret(s)
		}
	}
}

func secretCount() int {
	seen.Lock()
	defer seen.Unlock()
	return len(seen.secrets)
}

// leakedSecrets returns the noted secrets found in logs.
func leakedSecrets(logs string) []string {
	seen.Lock()
	defer seen.Unlock()
	var out []string
	for s := range seen.secrets {
		if strings.Contains(logs, s) {
			out = append(out, s)
		}
	}
	return out
}
