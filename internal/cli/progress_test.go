package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a buffer the progress goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgressDraws(t *testing.T) {
	var out lockedBuffer
	p := newProgress(&out, 0, time.Millisecond)
	p.Phase("applying rules", 10)
	for range 4 {
		p.Add(1) // the sink counts each file
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "4/10 files") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := out.String(); !strings.Contains(s, "applying rules   [============                  ]  40%  4/10 files") {
		t.Fatalf("no bar at 40%%:\n%q", s)
	}
	// A log line erases the bar before it is printed.
	var log lockedBuffer
	w := p.Writer(&log)
	w.Write([]byte("Modifying configuration…\n"))
	if s := out.String(); !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the bar is not erased before a log line: %q", s[max(0, len(s)-40):])
	}
	// More files than the total: capped at the total.
	p.Add(20)
	for !strings.Contains(out.String(), "10/10 files") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := out.String(); !strings.Contains(s, "[==============================] 100%  10/10 files") || strings.Contains(s, "24/10") {
		t.Errorf("not capped at the total: %q", s[max(0, len(s)-80):])
	}
	// Stop erases the bar.
	p.Stop()
	if s := out.String(); !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("after Stop: %q", s[max(0, len(s)-60):])
	}
	p.Stop() // twice is fine
}

// A run shorter than the delay never shows the bar.
func TestProgressDelay(t *testing.T) {
	var out lockedBuffer
	p := newProgress(&out, time.Hour, time.Millisecond)
	p.Phase("reading", 0)
	time.Sleep(20 * time.Millisecond)
	p.Stop()
	if s := out.String(); s != "" {
		t.Errorf("a short run printed %q", s)
	}
}

// Off the terminal (buffers, pipes, files, tests) there is no bar, and the
// nil Progress does nothing.
func TestProgressOffTerminal(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, true)
	if p != nil {
		t.Fatal("a progress bar on a buffer")
	}
	p.Add(1)
	p.Phase("reading", 0)
	p.Stop()
	if w := p.Writer(&out); w != &out {
		t.Error("a disabled progress wraps the writer")
	}
	if IsTerminal(&out) {
		t.Error("a buffer is a terminal")
	}
}
