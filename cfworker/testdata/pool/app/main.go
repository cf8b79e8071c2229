//go:build js && wasm

// Command app is the pool's test Worker (see ../wrangler.toml): routes that
// do D1 and KV I/O echoing a request id, panic on demand, use waitUntil and
// report the instance's memory, for cfworker's pool tests (pool_test.go)
// and Node checks (testdata/node).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"syscall/js"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"

	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/d1"

	"github.com/edgeauth/edgeauth/cfworker"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
)

func main() {
	conn, err := d1.OpenConnector("DB")
	if err != nil {
		panic(err)
	}
	db := sql.OpenDB(conn)
	store, err := kv.NewWorkers("KV")
	if err != nil {
		panic(err)
	}
	a := &app{db: db, kv: store}
	cfworker.Serve(cfworker.Handlers{HTTP: a.routes(), Scheduled: a.scheduled})
}

type app struct {
	db         *sql.DB
	kv         storage.KV
	reuseCalls int // /reuse calls this instance served
}

func (a *app) routes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"status": "ok"})
	})
	// /echo: D1 through database/sql and syumai's driver, KV through
	// storage/kv, the paths edgeauth itself uses.
	m.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		ctx := r.Context()
		if _, err := a.db.ExecContext(ctx, "INSERT INTO echo (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v", id, "d1:"+id); err != nil {
			fail(w, err)
			return
		}
		var v string
		if err := a.db.QueryRowContext(ctx, "SELECT v FROM echo WHERE id = ?", id).Scan(&v); err != nil {
			fail(w, err)
			return
		}
		if err := a.kv.Put(ctx, "echo:"+id, []byte("kv:"+id), time.Minute); err != nil {
			fail(w, err)
			return
		}
		got, err := a.kv.Get(ctx, "echo:"+id)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, map[string]any{"id": id, "d1": v, "kv": string(got), "instance": instanceID()})
	})
	// /echo-raw: the same I/O on the bindings directly, awaited with
	// jsasync.Await, which leaks nothing.
	m.HandleFunc("GET /echo-raw", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		db := cloudflare.GetBinding("DB")
		if _, err := jsasync.Await(db.Call("prepare", "INSERT INTO echo (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v").Call("bind", id, "d1:"+id).Call("run")); err != nil {
			fail(w, err)
			return
		}
		row, err := jsasync.Await(db.Call("prepare", "SELECT v FROM echo WHERE id = ?").Call("bind", id).Call("first", "v"))
		if err != nil {
			fail(w, err)
			return
		}
		ns := cloudflare.GetBinding("KV")
		opts := js.Global().Get("Object").New()
		opts.Set("expirationTtl", 60)
		if _, err := jsasync.Await(ns.Call("put", "echo:"+id, "kv:"+id, opts)); err != nil {
			fail(w, err)
			return
		}
		got, err := jsasync.Await(ns.Call("get", "echo:"+id))
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, map[string]any{"id": id, "d1": row.String(), "kv": got.String(), "instance": instanceID()})
	})
	m.HandleFunc("GET /kv", func(w http.ResponseWriter, r *http.Request) {
		v, err := a.kv.Get(r.Context(), r.URL.Query().Get("key"))
		if errors.Is(err, storage.ErrNotFound) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, map[string]any{"value": string(v)})
	})
	m.HandleFunc("POST /kv", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if err := a.kv.Put(r.Context(), q.Get("key"), []byte(q.Get("value")), time.Hour); err != nil {
			fail(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("half a response"))
		panic("pooltest: panic on demand")
	})
	// /exit crashes the whole Go program from another goroutine, which no
	// recover can catch: the pool must see the exit.
	m.HandleFunc("GET /exit", func(w http.ResponseWriter, r *http.Request) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			panic("pooltest: unrecovered panic in a goroutine")
		}()
		<-done
	})
	m.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		writeJSON(w, map[string]any{"slept_ms": ms, "instance": instanceID()})
	})
	// /wait answers at once and writes KV key wait:ID from waitUntil work
	// 300 ms later.
	m.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		cloudflare.WaitUntil(func() {
			time.Sleep(300 * time.Millisecond)
			if err := a.kv.Put(context.Background(), "wait:"+id, []byte("done:"+id), time.Minute); err != nil {
				fmt.Println("pooltest: wait:", err)
			}
		})
		writeJSON(w, map[string]any{"id": id})
	})
	// /reuse?ms=N asks the pool to answer this URL again without Go for N
	// ms (the ResponseWriter's ReuseUntil); its body names the call that
	// made it. status=S answers S instead of 200; bump=1 bumps the cache
	// generation during the call.
	m.HandleFunc("GET /reuse", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ms, _ := strconv.Atoi(q.Get("ms"))
		if q.Get("bump") == "1" {
			cfworker.Generation{}.Bump()
		}
		if ru, ok := w.(interface{ ReuseUntil(time.Time) }); ok {
			ru.ReuseUntil(time.Now().Add(time.Duration(ms) * time.Millisecond))
		}
		a.reuseCalls++
		if code, _ := strconv.Atoi(q.Get("status")); code != 0 {
			w.WriteHeader(code)
		}
		writeJSON(w, map[string]any{"instance": instanceID(), "call": a.reuseCalls})
	})
	m.HandleFunc("GET /bump", func(w http.ResponseWriter, r *http.Request) {
		cfworker.Generation{}.Bump()
		writeJSON(w, map[string]any{"bumped": true})
	})
	m.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		// Collect twice and let the finaliser goroutine release js.Values.
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := cfworker.Stats()
		writeJSON(w, map[string]any{
			"instance": s.ID, "served": s.Served, "js_refs": s.JSRefs,
			"heap_alloc": ms.HeapAlloc, "heap_objects": ms.HeapObjects,
			"goroutines": runtime.NumGoroutine(),
		})
	})
	return m
}

// scheduled records the last cron event in KV key cron:last.
func (a *app) scheduled(ctx context.Context, e cfworker.ScheduledEvent) error {
	return a.kv.Put(ctx, "cron:last", []byte(e.Cron+" "+e.ScheduledTime.Format(time.RFC3339)), time.Hour)
}

func instanceID() int { return cfworker.Stats().ID }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
