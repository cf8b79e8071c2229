//go:build js && wasm

package cfworker

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"
)

// startNodeServer starts an HTTP server of Node's on 127.0.0.1 (these
// tests run under Node, where fetch is undici's) and returns its URL.
//
//	/json      200 JSON, two X-Test headers
//	/redirect  302 to /json
//	/echo      the method, the X-Echo header and the body, as text
//	/big       2 MiB
//	/slow      headers after 30 s
func startNodeServer(t *testing.T) string {
	t.Helper()
	start := js.Global().Get("Function").New(`
const http = require("http");
const server = http.createServer((req, res) => {
  let body = [];
  req.on("data", (c) => body.push(c));
  req.on("end", () => {
    switch (req.url) {
    case "/json":
      res.writeHead(200, {"Content-Type": "application/json", "X-Test": ["a", "b"]});
      res.end('{"ok":true}');
      break;
    case "/redirect":
      res.writeHead(302, {"Location": "/json"});
      res.end();
      break;
    case "/echo":
      res.writeHead(201, {"Content-Type": "text/plain"});
      res.end(req.method + " " + req.headers["x-echo"] + " " + Buffer.concat(body).toString());
      break;
    case "/big":
      res.writeHead(200);
      res.end(Buffer.alloc(2 << 20, 120));
      break;
    case "/slow":
      setTimeout(() => { res.writeHead(200); res.end("late"); }, 30000).unref();
      break;
    default:
      res.writeHead(404);
      res.end();
    }
  });
});
return new Promise((resolve) => server.listen(0, "127.0.0.1", () => { server.unref(); resolve(server.address().port); }));
`)
	port, err := jsasync.Await(start.Invoke())
	if err != nil {
		t.Fatalf("starting the Node server: %v", err)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port.Int())
}

func fetchGet(t *testing.T, tr http.RoundTripper, ctx context.Context, url string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

// TestFetchTransport: answers, headers, bodies both ways, a redirect
// that is the answer, not followed, and a body past MaxBody refused.
func TestFetchTransport(t *testing.T) {
	base := startNodeServer(t)
	ctx := context.Background()
	tr := FetchTransport{MaxBody: 1 << 20}

	resp, body, err := fetchGet(t, tr, ctx, base+"/json")
	if err != nil || resp.StatusCode != 200 || body != `{"ok":true}` || resp.Header.Get("Content-Type") != "application/json" ||
		!strings.Contains(strings.Join(resp.Header.Values("X-Test"), ","), "a") {
		t.Errorf("GET /json = %+v, %q, %v; want 200 with its JSON and headers", resp, body, err)
	}

	resp, _, err = fetchGet(t, tr, ctx, base+"/redirect")
	if err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/json" {
		t.Errorf("GET /redirect = %+v, %v; want the 302 itself", resp, err)
	}

	req, _ := http.NewRequest(http.MethodPost, base+"/echo", strings.NewReader("grant_type=x"))
	req.Header.Set("X-Echo", "hello")
	if resp, err := tr.RoundTrip(req); err != nil {
		t.Errorf("POST /echo: %v", err)
	} else if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 201 || string(b) != "POST hello grant_type=x" {
		t.Errorf("POST /echo = %d %q; want 201 %q", resp.StatusCode, b, "POST hello grant_type=x")
	}

	if _, _, err := fetchGet(t, tr, ctx, base+"/big"); !errors.Is(err, ErrFetchBodyTooLarge) {
		t.Errorf("GET /big = %v; want ErrFetchBodyTooLarge", err)
	}
}

// TestFetchTransportStops: a server that does not answer is given up at
// Timeout, and at the end of the request's context, each with the
// context's error; the instance goes on serving afterwards (the aborted
// fetch leaves no callback behind to block it).
func TestFetchTransportStops(t *testing.T) {
	base := startNodeServer(t)
	tr := FetchTransport{Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, _, err := fetchGet(t, tr, context.Background(), base+"/slow")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("GET /slow with a 300 ms timeout = %v after %v; want context.DeadlineExceeded soon", err, time.Since(start))
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, _, err = fetchGet(t, FetchTransport{}, ctx, base+"/slow")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GET /slow cancelled = %v; want context.Canceled", err)
	}

	resp, body, err := fetchGet(t, FetchTransport{}, context.Background(), base+"/json")
	if err != nil || resp.StatusCode != 200 || body != `{"ok":true}` {
		t.Errorf("GET /json after the aborted fetches = %v, %q, %v; want 200", resp, body, err)
	}
}
