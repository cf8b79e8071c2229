// Command edgeauth runs edgeauth natively and administers it.
//
//	edgeauth serve   [-addr 127.0.0.1:8787] [-db edgeauth.db] [-base-url URL]
//	edgeauth seed    [-url URL] [-tenant demo]
//	edgeauth secret
//
// serve runs the same authz handler as the Worker, on SQLite and an
// in-memory KV. It reads ADMIN_TOKEN and KEY_ENCRYPTION_KEY from the
// environment. seed creates the demo tenant, clients and user through the
// admin API (idempotent). secret prints a new random 256-bit secret.
package main

import (
	"context"
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
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: edgeauth serve|seed|secret [flags]   (edgeauth CMD -h for flags)")
	os.Exit(2)
}
