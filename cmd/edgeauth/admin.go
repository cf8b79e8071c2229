package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// The admin CLI, `edgeauth admin NOUN VERB [flags] [ARGS]`, is a client of
// the admin API (/admin/v1) of a Worker or a native server. Each noun has
// its file (admin_tenants.go, admin_clients.go, ...); adminclient.go is the
// HTTP client, admin_config.go finds the URL and the token, admin_output.go
// prints. docs/cli.md is its manual.

// command is a node of the command tree: a group of commands (sub) or a
// command that runs (flags).
type command struct {
	name    string
	summary string // one line, lower case, no final period
	// usage follows the command's path in its synopsis, e.g.
	// "--tenant T CLIENT_ID".
	usage   string
	example string
	// args is how many positional arguments the command takes; with
	// optional, at most that many (the command checks the rest).
	args     int
	optional bool
	sub      []*command
	// flags declares the command's own flags on fs and returns what runs
	// once they are parsed.
	flags func(fs *flag.FlagSet) runFunc
	// need names the flags that must be given, e.g. "tenant".
	need []string
	// offline commands get no admin API client (login makes its own);
	// noOutput ones print no answer, so have no -o flag.
	offline, noOutput bool
}

type runFunc func(ctx context.Context, c *call) error

// call is one run of a command.
type call struct {
	args []string
	sys  *sys
	api  *adminClient // nil for offline commands
	conn *connFlags
	json bool // -o json
}

// sys is the world a command sees, so that tests can give their own.
type sys struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
}

func osSys() *sys {
	return &sys{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
}

// adminTree is `edgeauth admin`.
func adminTree() *command {
	return &command{
		name:    "admin",
		summary: "administer an edgeauth server through its admin API",
		usage:   "COMMAND ...",
		example: "edgeauth admin login --url https://auth.example.com --token-stdin < admin-token\n" +
			"edgeauth admin tenants create acme --name Acme\n" +
			"edgeauth admin clients list --tenant acme",
		sub: []*command{loginCommand(), tenantsCommand(), clientsCommand(), usersCommand(),
			sessionsCommand(), grantsCommand(), consentsCommand(),
			connectionsCommand(), keysCommand(), auditCommand(), registrationTokensCommand()},
	}
}

// admin runs `edgeauth admin args...`.
func admin(ctx context.Context, args []string, s *sys) error {
	return dispatch(ctx, adminTree(), []string{"edgeauth", "admin"}, args, s)
}

// dispatch finds the command args name under cmd and runs it; path is
// the command line that led to cmd.
func dispatch(ctx context.Context, cmd *command, path, args []string, s *sys) error {
	if cmd.sub == nil {
		return runLeaf(ctx, cmd, path, args, s)
	}
	name := strings.Join(path, " ")
	if len(args) == 0 {
		printGroupHelp(s.stderr, cmd, path)
		return usagef("%s: missing command (see %s --help)", name, name)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printGroupHelp(s.stdout, cmd, path)
		return nil
	}
	for _, c := range cmd.sub {
		if c.name == args[0] {
			return dispatch(ctx, c, append(slices.Clone(path), c.name), args[1:], s)
		}
	}
	if strings.HasPrefix(args[0], "-") {
		return usagef("%s: flags go after the command: %s COMMAND [flags] (see %s --help)", name, name, name)
	}
	return usagef("%s: unknown command %q (see %s --help)", name, args[0], name)
}

// runLeaf parses the command line of cmd, connects and runs it.
func runLeaf(ctx context.Context, cmd *command, path, args []string, s *sys) error {
	c, run, err := parseLeaf(cmd, path, args, s)
	if err != nil || run == nil {
		return err
	}
	if !cmd.offline {
		if c.api, err = c.conn.client(s); err != nil {
			return err
		}
	}
	return run(ctx, c)
}

// parseLeaf parses and checks the command line of cmd. A nil runFunc
// without an error means the help was asked for, and printed.
func parseLeaf(cmd *command, path, args []string, s *sys) (*call, runFunc, error) {
	name := strings.Join(path, " ")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := cmd.flags(fs)
	conn := declareConnFlags(fs)
	output := "table"
	if !cmd.noOutput {
		fs.StringVar(&output, "o", "table", "output `FORMAT`: table (for people) or json (the API's JSON, for scripts)")
		fs.StringVar(&output, "output", "table", "the same as -o: table or json (`FORMAT`)")
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printLeafHelp(s.stdout, cmd, path, fs)
		return nil, nil, nil
	}
	switch {
	case err != nil:
		return nil, nil, usagef("%s: %v (see %s --help)", name, err, name)
	case len(pos) < cmd.args && !cmd.optional:
		return nil, nil, usagef("%s: missing argument (usage: %s %s)", name, name, cmd.usage)
	case len(pos) > cmd.args:
		return nil, nil, usagef("%s: unexpected argument %q (usage: %s %s)", name, pos[cmd.args], name, cmd.usage)
	case output != "table" && output != "json":
		return nil, nil, usagef("%s: -o %q: want table or json", name, output)
	}
	set := setFlags(fs)
	for _, f := range cmd.need {
		if !set[f] || fs.Lookup(f).Value.String() == "" {
			return nil, nil, usagef("%s: --%s is required (usage: %s %s)", name, f, name, cmd.usage)
		}
	}
	if readers := stdinReaders(fs); len(readers) > 1 {
		return nil, nil, usagef("%s: %s both read standard input: give one of them a file", name, strings.Join(readers, " and "))
	}
	return &call{args: pos, sys: s, conn: conn, json: output == "json"}, run, nil
}

// stdinReaders are the flags given that read standard input.
func stdinReaders(fs *flag.FlagSet) []string {
	var names []string
	fs.Visit(func(f *flag.Flag) {
		switch v := f.Value.String(); {
		case (f.Name == "token-stdin" || f.Name == "password-stdin") && v == "true":
			names = append(names, "--"+f.Name)
		case f.Name == "json" && v == "-":
			names = append(names, "--json -")
		}
	})
	return names
}

// parseInterspersed parses fs from args, letting positional arguments and
// flags mix (`clients get web --tenant acme`); after "--" everything is
// positional. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printGroupHelp(w io.Writer, cmd *command, path []string) {
	name := strings.Join(path, " ")
	fmt.Fprintf(w, "Usage: %s %s\n\n%s.\n\nCommands:\n", name, cmd.usage, capitalize(cmd.summary))
	width := 0
	for _, c := range cmd.sub {
		width = max(width, len(c.name))
	}
	for _, c := range cmd.sub {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nExample:\n%s\n\nRun '%s COMMAND --help' for a command's flags and an example.\n", indent(cmd.example), name)
	if len(path) == 2 {
		fmt.Fprint(w, adminHelpFooter)
	}
}

// adminHelpFooter ends `edgeauth admin --help`: what docs/cli.md says at
// more length.
const adminHelpFooter = `
Configuration, first found wins (docs/cli.md):
  URL      --url, EDGEAUTH_URL, the profile's url
  token    --token-file or --token-stdin, EDGEAUTH_ADMIN_TOKEN, the profile's token
  profile  --profile, EDGEAUTH_PROFILE, "default", in $XDG_CONFIG_HOME/edgeauth/config
           (~/.config/edgeauth/config), which must be mode 0600; with --profile the
           environment's URL and token are not used.

Exit status: 0 done; 1 the server could not be reached or answered an error;
2 the command was refused before anything was sent (bad command line or
configuration).
`

func printLeafHelp(w io.Writer, cmd *command, path []string, fs *flag.FlagSet) {
	name := strings.Join(path, " ")
	fmt.Fprintf(w, "Usage: %s %s\n\n%s.\n\nExample:\n%s\n", name, cmd.usage, capitalize(cmd.summary), indent(cmd.example))
	var own, common []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if commonFlags[f.Name] {
			common = append(common, f)
		} else {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, own)
	}
	fmt.Fprintln(w, "\nConnection and output flags:")
	printFlags(w, common)
}

// commonFlags are the flags every command has.
var commonFlags = map[string]bool{"url": true, "profile": true, "token-file": true, "token-stdin": true,
	"insecure-http": true, "o": true, "output": true}

func printFlags(w io.Writer, flags []*flag.Flag) {
	for _, f := range flags {
		typ, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if typ != "" {
			line += " " + typ
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stringList is a flag that may be repeated; each use adds one value.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// setFlags is the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
