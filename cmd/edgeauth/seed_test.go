package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAppendDevVar: the new variable is on a line of its own whether or not
// the file ends in a newline, and a new file is created 0600.
func TestAppendDevVar(t *testing.T) {
	for _, c := range []struct {
		name, before, want string
		exists             bool
	}{
		{"missing file", "", "K=v\n", false},
		{"empty file", "", "K=v\n", true},
		{"final newline", "A=1\n", "A=1\nK=v\n", true},
		{"no final newline", "A=1\nB=2", "A=1\nB=2\nK=v\n", true},
		{"CRLF", "A=1\r\n", "A=1\r\nK=v\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".dev.vars")
			if c.exists {
				if err := os.WriteFile(path, []byte(c.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := appendDevVar(path, "K", "v"); err != nil {
				t.Fatalf("appendDevVar: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("file = %q; want %q", got, c.want)
			}
			vars, err := readDevVars(path)
			if err != nil {
				t.Fatal(err)
			}
			if vars["K"] != "v" {
				t.Errorf("readDevVars: K = %q; want \"v\" (all: %q)", vars["K"], vars)
			}
			if c.before != "" && vars["A"] != "1" {
				t.Errorf("readDevVars: A = %q; want \"1\" (all: %q)", vars["A"], vars)
			}
			if !c.exists {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("new file mode %v; want no access for group and others", fi.Mode())
				}
			}
		})
	}
}
