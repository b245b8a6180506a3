package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

// readmeCommand is one "$ amupgrade …" line of a ```console block of
// README.md and the output shown under it.
type readmeCommand struct {
	line int      // of the command in README.md
	args []string // after "amupgrade"
	want string   // the lines shown after it, each ending in a newline
}

// readmeCommands parses the ```console blocks of a README: each "$ " line is
// a command, the lines after it (until the next "$ " line or the end of the
// block) are what it prints.
func readmeCommands(src string) ([]readmeCommand, error) {
	var cmds []readmeCommand
	var cur *readmeCommand
	inBlock := false
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !inBlock:
			inBlock = strings.TrimSpace(line) == "```console"
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			inBlock, cur = false, nil
		case strings.HasPrefix(line, "$ "):
			words := strings.Fields(strings.TrimPrefix(line, "$ "))
			if len(words) == 0 || words[0] != "amupgrade" {
				return nil, fmt.Errorf("README.md:%d: a console block runs %q; only amupgrade commands can be checked", n, line)
			}
			cmds = append(cmds, readmeCommand{line: n, args: words[1:]})
			cur = &cmds[len(cmds)-1]
		case cur == nil:
			return nil, fmt.Errorf("README.md:%d: output before any $ command in a console block", n)
		default:
			cur.want += line + "\n"
		}
	}
	if inBlock {
		return nil, fmt.Errorf("README.md: a ```console block is not closed")
	}
	return cmds, sc.Err()
}

// syncBuffer is a buffer that several writers can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// streamWriter writes to its own buffer and to the shared, combined one, so
// that the combined one reads as a terminal shows both streams.
type streamWriter struct {
	own      bytes.Buffer
	combined *syncBuffer
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.combined.Write(p)
	return w.own.Write(p)
}

// TestReadme runs the commands of README.md's ```console blocks, in order, in
// a folder holding a copy of examples/, and requires that each prints exactly
// what README.md shows: its stdout, and its stderr only where the block shows
// it (a block shows what a terminal shows, both streams as they come).
func TestReadme(t *testing.T) {
	root := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := readmeCommands(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) == 0 {
		t.Fatal("README.md has no ```console block with a $ amupgrade command")
	}
	examples, err := filepath.Abs(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "examples"), os.DirFS(examples)); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	for _, c := range cmds {
		var combined syncBuffer
		stdout := &streamWriter{combined: &combined}
		stderr := &streamWriter{combined: &combined}
		code := (&CLI{Stdout: stdout, Stderr: stderr, noSync: true}).Run(context.Background(), append([]string{"amupgrade"}, c.args...))
		got := combined.buf.String()
		cmdline := "$ amupgrade " + strings.Join(c.args, " ")
		if code != ExitOK {
			t.Errorf("README.md:%d: %s\nexit %d, want 0", c.line, cmdline, code)
		}
		if got != c.want {
			var why string
			switch {
			case stdout.own.String() == c.want:
				why = "stdout is as shown, but the command also printed on stderr, which the block does not show:\n" + stderr.own.String()
			case stderr.own.Len() > 0:
				why = "stdout and stderr together (as a terminal shows them):"
			default:
				why = "stdout:"
			}
			t.Errorf("README.md:%d: %s\nprints other than README.md shows; %s\n%s", c.line, cmdline, why,
				diff.Diff("README.md", []byte(c.want), "amupgrade", []byte(got)))
		}
	}
}
