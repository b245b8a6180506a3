package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Progress draws a progress bar on stderr while a long run reads, upgrades,
// renders and writes a tree. It draws only on a terminal, and only once a
// run has taken more than a moment (Delay), so short runs, pipes, logs and
// tests never see it. A nil or disabled Progress does nothing.
//
// The files are counted where they pass: the upgrade's sink calls Add for
// each. The count is capped at the phase's total.
type Progress struct {
	w     io.Writer
	delay time.Duration
	tick  time.Duration

	count atomic.Int64 // files done so far

	mu      sync.Mutex
	started time.Time // first phase
	label   string
	total   int64
	base    int64 // count when the phase began
	active  bool
	drawn   bool
	quit    chan struct{}
	stopped chan struct{}
}

// Delay is how long a run goes before the bar appears.
const Delay = 800 * time.Millisecond

// NewProgress returns a Progress drawing on w when enabled is true and w is
// a terminal; otherwise one that does nothing.
func NewProgress(w io.Writer, enabled bool) *Progress {
	if !enabled || !IsTerminal(w) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	return newProgress(w, Delay, 100*time.Millisecond)
}

func newProgress(w io.Writer, delay, tick time.Duration) *Progress {
	return &Progress{w: w, delay: delay, tick: tick}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f.Fd())
}

// Add counts n more files done in the current phase. The upgrade's sink
// calls it as each file passes.
func (p *Progress) Add(n int) {
	if p != nil {
		p.count.Add(int64(n))
	}
}

// Phase starts a phase of the run: label is what it does, total the files
// it goes through (0 when not known yet).
func (p *Progress) Phase(label string, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started.IsZero() {
		p.started = time.Now()
	}
	p.label, p.total, p.base = label, int64(total), p.count.Load()
	if !p.active {
		p.active = true
		p.quit, p.stopped = make(chan struct{}), make(chan struct{})
		go p.loop(p.quit, p.stopped)
	}
}

func (p *Progress) loop(quit, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(p.tick)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
			p.mu.Lock()
			if time.Since(p.started) >= p.delay {
				p.draw()
			}
			p.mu.Unlock()
		}
	}
}

// draw prints the bar over the current line; p.mu is held.
func (p *Progress) draw() {
	const width = 30
	done := p.count.Load() - p.base
	elapsed := time.Since(p.started).Round(100 * time.Millisecond)
	var line string
	if p.total > 0 {
		done = min(done, p.total)
		fill := int(done * width / p.total)
		line = fmt.Sprintf("%-16s [%s%s] %3d%%  %d/%d files  %s", p.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
			done*100/p.total, done, p.total, elapsed)
	} else {
		spin := `|/-\`[int(elapsed/(100*time.Millisecond))%4]
		line = fmt.Sprintf("%-16s [%c] %d files  %s", p.label, spin, done, elapsed)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// clear erases the bar; p.mu is held.
func (p *Progress) clear() {
	if p.drawn {
		io.WriteString(p.w, "\r\033[K")
		p.drawn = false
	}
}

// Stop erases the bar and stops drawing until the next Phase.
func (p *Progress) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if !p.active {
		p.mu.Unlock()
		return
	}
	p.active = false
	quit, stopped := p.quit, p.stopped
	p.mu.Unlock()
	close(quit)
	<-stopped
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}

// Writer returns a writer that erases the bar before each write to w, so
// that log lines printed during a phase are not mixed with it.
func (p *Progress) Writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return &progressWriter{p: p, w: w}
}

type progressWriter struct {
	p *Progress
	w io.Writer
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	pw.p.mu.Lock()
	defer pw.p.mu.Unlock()
	pw.p.clear()
	return pw.w.Write(b)
}
