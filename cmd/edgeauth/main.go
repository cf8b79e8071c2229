// Command edgeauth runs edgeauth natively and administers it.
//
//	edgeauth serve   [-addr 127.0.0.1:8787] [-db edgeauth.db] [-base-url URL] [-cron 15m]
//	edgeauth seed    [-url URL] [-tenant demo]
//	edgeauth secret
//
// serve runs the same authz handler as the Worker, on SQLite and an
// in-memory KV. It reads ADMIN_TOKEN and KEY_ENCRYPTION_KEY from the
// environment and checks them, with the base URL, before it opens the
// database. On SIGINT or SIGTERM it stops accepting connections and lets
// the requests in flight finish (up to 5 s) before it closes the database.
// seed creates the demo tenant, clients and user through the admin API
// (idempotent). secret prints a new random 256-bit secret. A mistake on the
// command line exits with status 2, any other error with 1.
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
	case "seed":
		err = seed(ctx, os.Args[2:])
	case "secret":
		err = printSecret()
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edgeauth:", err)
		if errors.As(err, new(*usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: edgeauth serve|seed|secret [flags]   (edgeauth CMD -h for flags)")
	os.Exit(2)
}
