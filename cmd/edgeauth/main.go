// Command edgeauth runs edgeauth natively and administers it.
//
//	edgeauth serve   [-addr 127.0.0.1:8787] [-db edgeauth.db] [-base-url URL] [-cron 15m]
//	edgeauth admin   NOUN VERB [flags] [ARGS]
//	edgeauth seed    [-url URL] [-tenant demo]
//	edgeauth secret
//
// serve runs the same authz handler as the Worker, on SQLite and an
// in-memory KV. It reads ADMIN_TOKEN and KEY_ENCRYPTION_KEY from the
// environment and checks them, with the base URL, before it opens the
// database. On SIGINT or SIGTERM it stops accepting connections and lets
// the requests in flight finish (up to 5 s) before it closes the database.
// admin is the admin CLI: tenants, clients, users, keys, the audit log and
// registration tokens through the admin API of a Worker or a native server
// (docs/cli.md). seed creates the demo tenant, clients and user through
// the admin API (idempotent). secret prints a new random 256-bit secret.
// A mistake on the command line exits with status 2, any other error with
// 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "admin":
		err = admin(ctx, os.Args[2:], osSys())
	case "seed":
		err = seed(ctx, os.Args[2:])
	case "secret":
		err = printSecret()
	case "-h", "-help", "--help", "help":
		fmt.Println(usageLine)
		return
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edgeauth:", err)
	}
	os.Exit(exitCode(err))
}

const usageLine = "usage: edgeauth serve|admin|seed|secret [flags]   (edgeauth CMD -h for flags)"

func usage() {
	fmt.Fprintln(os.Stderr, usageLine)
	os.Exit(2)
}

// usageError is a mistake on the command line, or a configuration that
// keeps a command from running: main prints it and exits 2, as the flag
// package does for an unknown flag. An admin command that returns one has
// sent nothing to the server.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitCode is the status of a command that returned err: 0, 2 for a
// usageError, else 1.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(*usageError)):
		return 2
	default:
		return 1
	}
}
