//go:build !js

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/edgeauth/edgeauth/internal/wranglertest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// runner is the installed conformance CLI and the Node that runs it.
type runner struct {
	node, cli            string
	version, nodeVersion string
}

// findRunner finds the runner and a Node >= 22 under dir/node_modules (npm
// ci in tools/conformance installs both). The platform's node-OS-ARCH
// package comes first: npm 11 skips the `node` package's install script
// that would otherwise link it.
func findRunner(ctx context.Context, dir string) (*runner, error) {
	nm := filepath.Join(dir, "node_modules")
	cliPkg := filepath.Join(nm, "@modelcontextprotocol", "conformance")
	raw, err := os.ReadFile(filepath.Join(cliPkg, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("conformance runner not installed (make conformance-deps, or npm ci in %s): %w", dir, err)
	}
	var pkg struct{ Version string }
	json.Unmarshal(raw, &pkg)
	r := &runner{cli: filepath.Join(cliPkg, "dist", "index.js"), version: "@modelcontextprotocol/conformance@" + pkg.Version}

	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	candidates := []string{
		filepath.Join(nm, "node-"+runtime.GOOS+"-"+arch, "bin", "node"),
		filepath.Join(nm, "node", "bin", "node"),
	}
	if p, err := exec.LookPath("node"); err == nil {
		candidates = append(candidates, p)
	}
	var tried []string
	for _, c := range candidates {
		out, err := exec.CommandContext(ctx, c, "--version").Output()
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(out))
		tried = append(tried, c+" "+v)
		major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
		if major >= 22 {
			r.node, r.nodeVersion = c, v
			return r, nil
		}
	}
	return nil, fmt.Errorf("the runner needs Node >= 22 (it uses fs.globSync); found %v. Run make conformance-deps", tried)
}

type runConfig struct {
	spec, issuer, clientID string
	username, password     string
	outDir                 string
	resource               string
	timeout                time.Duration
	verbose                bool
}

// check is one entry of the runner's checks.json.
type check struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	Status         string `json:"status"`
	ErrorMessage   string `json:"errorMessage"`
	SpecReferences []struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"specReferences"`
}

// report is the outcome of one run of the runner for one spec date.
type report struct {
	spec         string
	elapsed      time.Duration
	exitCode     int
	timedOut     bool
	authURL      string
	browserErr   error
	browserSteps []string
	output       []string           // the runner's stdout and stderr
	checks       map[string][]check // by scenario
	problems     []string           // why it failed; empty when ok
	ok           bool
}

// runOnce runs `conformance authorization` for one spec date and plays the
// browser when it asks for one.
func runOnce(ctx context.Context, r *runner, c runConfig) *report {
	rep := &report{spec: c.spec, checks: map[string][]check{}}
	start := time.Now()
	defer func() { rep.elapsed = time.Since(start) }()

	os.RemoveAll(c.outDir)
	if err := os.MkdirAll(c.outDir, 0o755); err != nil {
		rep.problems = append(rep.problems, err.Error())
		return rep
	}
	port, err := wranglertest.FreePort()
	if err != nil {
		rep.problems = append(rep.problems, err.Error())
		return rep
	}
	args := []string{r.cli, "authorization",
		"--url", c.issuer, "--client-id", c.clientID,
		"--port", strconv.Itoa(port), "--spec-version", c.spec, "--output-dir", c.outDir}
	if c.resource != "" {
		args = append(args, "--resource", c.resource)
	}
	fmt.Printf("\n--- %s: %s %s\n", c.spec, filepath.Base(r.node), strings.Join(append([]string{"conformance"}, args[1:]...), " "))

	cmd := exec.Command(r.node, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		rep.problems = append(rep.problems, "start the runner: "+err.Error())
		return rep
	}
	var killOnce sync.Once
	kill := func() { killOnce.Do(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }) }
	exited := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.Close(); exited <- err }()

	// The browser, started when the runner prints the authorization URL.
	authPrefix := c.issuer + "/authorize?"
	var browserDone chan struct{}
	var mu sync.Mutex
	lineCh := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lineCh <- sc.Text()
		}
		io.Copy(io.Discard, pr)
		close(lineCh)
	}()
	lines := lineCh

	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	var waitErr error
	linesOpen, running := true, true
	for linesOpen || running {
		select {
		case line, ok := <-lines:
			if !ok {
				linesOpen, lines = false, nil
				continue
			}
			rep.output = append(rep.output, line)
			if c.verbose || interesting(line) {
				fmt.Printf("  | %s\n", line)
			}
			if u := strings.TrimSpace(line); strings.HasPrefix(u, authPrefix) && browserDone == nil {
				rep.authURL = u
				browserDone = make(chan struct{})
				go func() {
					defer close(browserDone)
					b := newBrowser(origin(c.issuer), c.username, c.password)
					_, err := b.authorize(u)
					mu.Lock()
					rep.browserErr, rep.browserSteps = err, b.steps
					mu.Unlock()
					if err != nil {
						// The runner would wait 5 minutes for a callback.
						kill()
					}
				}()
			}
		case waitErr = <-exited:
			running = false
		case <-timer.C:
			rep.timedOut = true
			kill()
		case <-ctx.Done():
			kill()
		}
	}
	if browserDone != nil {
		<-browserDone
	}
	rep.exitCode = cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) {
		rep.problems = append(rep.problems, "runner: "+waitErr.Error())
	}
	rep.readChecks(c.outDir)
	return rep
}

// interesting lines of the runner's output are shown even without -v.
func interesting(line string) bool {
	for _, p := range []string{"===", "✓", "✗", "Total:", "Running test", "Error", "error", "Failed"} {
		if strings.Contains(line, p) {
			return true
		}
	}
	return false
}

func origin(u string) string {
	i := strings.Index(u, "://")
	if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
		return u[:i+3+j]
	}
	return u
}

// resultDirRE matches the runner's per-scenario result folders:
// authorization-server-<scenario>-<ISO time with : and . as ->.
var resultDirRE = regexp.MustCompile(`^authorization-server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$`)

func (rep *report) readChecks(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		rep.problems = append(rep.problems, err.Error())
		return
	}
	for _, e := range entries {
		m := resultDirRE.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name(), "checks.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue // killed before it finished: "no checks reported" says so
		} else if err != nil {
			rep.problems = append(rep.problems, err.Error())
			continue
		}
		var cs []check
		if err := json.Unmarshal(raw, &cs); err != nil {
			rep.problems = append(rep.problems, fmt.Sprintf("%s/checks.json: %v", e.Name(), err))
			continue
		}
		rep.checks[m[1]] = append(rep.checks[m[1]], cs...)
	}
}

// judge decides: every expected scenario reported, every check SUCCESS (or
// WARNING with warningsOK), exit code 0, no timeout, the browser got through.
func (rep *report) judge(warningsOK bool) {
	if rep.timedOut {
		rep.problems = append(rep.problems, "timed out; killed the runner")
	}
	if rep.browserErr != nil {
		rep.problems = append(rep.problems, fmt.Sprintf("browser: %v (steps: %v)", rep.browserErr, rep.browserSteps))
	}
	if rep.authURL == "" && len(rep.checks["authorization-server-metadata-endpoint"]) > 0 && rep.checks["authorization-server-metadata-endpoint"][0].Status == "SUCCESS" {
		rep.problems = append(rep.problems, "the runner never printed an authorization URL")
	}
	for _, sc := range scenarios {
		cs := rep.checks[sc]
		if len(cs) == 0 {
			rep.problems = append(rep.problems, "scenario "+sc+": no checks reported")
		}
		for _, ch := range cs {
			switch {
			case ch.Status == "SUCCESS", ch.Status == "INFO":
			case ch.Status == "WARNING" && warningsOK:
			default:
				rep.problems = append(rep.problems, fmt.Sprintf("%s: %s %s: %s", sc, ch.ID, ch.Status, ch.ErrorMessage))
			}
		}
	}
	if rep.exitCode != 0 {
		rep.problems = append(rep.problems, fmt.Sprintf("runner exit code %d", rep.exitCode))
	}
	rep.ok = len(rep.problems) == 0
}

func (rep *report) print(w io.Writer) {
	verdict := "PASS"
	if !rep.ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "--- %s: %s in %s (runner exit %d)\n", rep.spec, verdict, rep.elapsed.Round(100*time.Millisecond), rep.exitCode)
	for _, sc := range sortedKeys(rep.checks) {
		for _, ch := range rep.checks[sc] {
			fmt.Fprintf(w, "    %-8s %s / %s: %s\n", ch.Status, sc, ch.ID, ch.Description)
			if ch.ErrorMessage != "" {
				fmt.Fprintf(w, "             message: %s\n", ch.ErrorMessage)
			}
			if ch.Status != "SUCCESS" {
				for _, ref := range ch.SpecReferences {
					fmt.Fprintf(w, "             spec: %s %s\n", ref.ID, ref.URL)
				}
			}
		}
	}
	for _, p := range rep.problems {
		fmt.Fprintf(w, "    problem: %s\n", p)
	}
	if !rep.ok && len(rep.output) > 0 {
		fmt.Fprintf(w, "    runner output (last lines):\n")
		for _, l := range rep.output[max(0, len(rep.output)-25):] {
			fmt.Fprintf(w, "      | %s\n", l)
		}
	}
}

func (rep *report) summaryLine() string {
	verdict := "PASS"
	if !rep.ok {
		verdict = "FAIL"
	}
	var parts []string
	for _, sc := range scenarios {
		n := map[string]int{}
		for _, ch := range rep.checks[sc] {
			n[ch.Status]++
		}
		s := fmt.Sprintf("%s: %d passed, %d failed", sc, n["SUCCESS"], n["FAILURE"])
		if n["WARNING"] > 0 {
			s += fmt.Sprintf(", %d warning", n["WARNING"])
		}
		if n["SKIPPED"] > 0 {
			s += fmt.Sprintf(", %d skipped", n["SKIPPED"])
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("%s  %s  %-6s  %s", rep.spec, verdict, rep.elapsed.Round(100*time.Millisecond), strings.Join(parts, "; "))
}

func sortedKeys(m map[string][]check) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
