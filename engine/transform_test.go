package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
)

// A transform that is not implemented may report, never change.
func TestNotImplementedChangesNothing(t *testing.T) {
	t.Parallel()
	tc := &TransformContext{t: &Transform{Name: "x", Gap: &Gap{None: true}}}
	if err := tc.Set(amjson.Pointer{"a"}, amjson.NewNull()); err == nil {
		t.Error("Set by a not-implemented transform: no error")
	}
	if err := tc.Delete(amjson.Pointer{"a"}); err == nil {
		t.Error("Delete by a not-implemented transform: no error")
	}
}

// Fetch reads nothing over the network unless the run allows it, and reads a
// URL once per run.
func TestFetchOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"issuer": "https://idp.example"}`)
	}))
	defer srv.Close()
	ctx := func(allow bool) *TransformContext {
		run := &Run{ctx: t.Context(), opts: Options{FetchWellKnown: allow, HTTPClient: srv.Client()}}
		return &TransformContext{c: &opContext{run: run}, t: &Transform{Name: "x"}}
	}
	if _, err := ctx(false).Fetch(srv.URL); err == nil || !strings.Contains(err.Error(), "--fetch-well-known") {
		t.Errorf("without --fetch-well-known: err = %v, want a refusal naming the flag", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("without --fetch-well-known: %d requests", n)
	}
	// Workers of one run that ask for one URL together make one request.
	tc := ctx(true)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			body, err := tc.Fetch(srv.URL)
			if err != nil || !strings.Contains(string(body), "idp.example") {
				t.Errorf("Fetch = %q, %v", body, err)
			}
		})
	}
	wg.Wait()
	if n := hits.Load(); n != 1 {
		t.Errorf("four fetches of one URL made %d requests, want 1", n)
	}
	if _, err := tc.Fetch("ftp://idp.example/x"); err == nil {
		t.Error("an ftp URL: no error")
	}
}
