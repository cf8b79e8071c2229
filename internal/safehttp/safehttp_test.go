package safehttp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTransportRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, err := (&http.Client{Transport: NewTransport(false, 2*time.Second)}).Get(srv.URL)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("GET %s without allowLoopback = %v; want %v", srv.URL, err, ErrForbiddenAddress)
	}
	resp, err := (&http.Client{Transport: NewTransport(true, 2*time.Second)}).Get(srv.URL)
	if err != nil {
		t.Fatalf("GET %s with allowLoopback = %v", srv.URL, err)
	}
	resp.Body.Close()
}
