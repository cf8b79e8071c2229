package migrations_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/migrations"
)

func TestFiles(t *testing.T) {
	names, err := migrations.Files()
	if err != nil {
		t.Fatalf("Files() error = %v", err)
	}
	if len(names) == 0 || names[0] != "0001_init.sql" {
		t.Fatalf("Files() = %q; want it to start with 0001_init.sql", names)
	}
	valid := regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)
	for i, name := range names {
		if !valid.MatchString(name) {
			t.Errorf("file %q is not named NNNN_name.sql", name)
		}
		if i > 0 && names[i-1][:4] == name[:4] {
			t.Errorf("files %q and %q share a number", names[i-1], name)
		}
		sql, err := migrations.Read(name)
		if err != nil {
			t.Fatalf("Read(%q) error = %v", name, err)
		}
		// D1 runs each file in its own transaction and rejects explicit ones.
		upper := strings.ToUpper(sql)
		for _, banned := range []string{"BEGIN", "COMMIT", "PRAGMA"} {
			if regexp.MustCompile(`(?m)^\s*` + banned + `\b`).MatchString(upper) {
				t.Errorf("Read(%q) contains a %s statement; D1 rejects it", name, banned)
			}
		}
	}
}
