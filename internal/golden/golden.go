// Package golden runs golden cases: an input tree, the arguments of an
// amupgrade run, and the expected output tree (with, optionally, the
// expected stderr and exit code). Each case also runs a second time over its
// own output, which must then not change: rules are idempotent.
//
// A case is a folder:
//
//	args        the arguments, without -i and -o (shell-like words; $CASE
//	            stands for the case folder)
//	in/         the input tree
//	want/       the expected output tree; want/stderr and want/exit hold
//	            the expected stderr and exit code (absent: nothing on
//	            stderr, exit 0)
package golden

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/rogpeppe/go-internal/txtar"
)

// RunFunc runs amupgrade in-process with args (args[0] is the program name).
type RunFunc func(args []string, stdout, stderr io.Writer) int

// Case is one golden case folder.
type Case struct {
	Name    string
	Dir     string
	Archive string // a .txtar case; Dir is then where it was unpacked
}

// Find returns the cases under dir: every folder holding an args file, and
// every .txtar file (one archive with args, in/… and want/… files, for small
// cases such as one rule's before and after).
func Find(dir string) ([]Case, error) {
	var cases []Case
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "in" || d.Name() == "want") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "args" {
			rel, _ := filepath.Rel(dir, filepath.Dir(p))
			cases = append(cases, Case{Name: filepath.ToSlash(rel), Dir: filepath.Dir(p)})
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".txtar") {
			rel, _ := filepath.Rel(dir, p)
			cases = append(cases, Case{Name: strings.TrimSuffix(filepath.ToSlash(rel), ".txtar"), Archive: p})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no golden cases under %s (a case is a folder with an args file, in/ and want/)", dir)
	}
	return cases, nil
}

// Result is the outcome of a case: nil Problems means it passed.
type Result struct {
	Case     Case
	Problems []string
	Updated  []string
	// ExitChanged, after an update, says that the case now expects another
	// exit code than it did ("exit 3, was 4"), which the caller must show.
	ExitChanged string
}

// Run runs a case in scratch (an empty folder). With update, want/ is
// rewritten to what the run gives: changed files only, stale files removed.
func (c Case) Run(run RunFunc, scratch string, update bool) Result {
	res := Result{Case: c}
	fail := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	if c.Archive != "" {
		ar, err := txtar.ParseFile(c.Archive)
		if err != nil {
			fail("%v", err)
			return res
		}
		c.Dir = filepath.Join(scratch, "case")
		if err := unpack(ar, c.Dir); err != nil {
			fail("%s: %v", c.Archive, err)
			return res
		}
		defer func() {
			if update && len(res.Updated) > 0 {
				if err := repack(ar, c.Dir, c.Archive); err != nil {
					res.Problems = append(res.Problems, err.Error())
				}
			}
		}()
	}
	argText, err := os.ReadFile(filepath.Join(c.Dir, "args"))
	if err != nil {
		fail("%v", err)
		return res
	}
	words, err := splitWords(strings.ReplaceAll(string(argText), "$CASE", c.Dir))
	if err != nil {
		fail("args: %v", err)
		return res
	}
	in := filepath.Join(c.Dir, "in")
	out := filepath.Join(scratch, "out")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"amupgrade", "-i", in, "-o", out}, words...), &stdout, &stderr)
	gotErr := strings.NewReplacer(out, "$OUT", in, "$IN", c.Dir, "$CASE").Replace(stderr.String())

	want := filepath.Join(c.Dir, "want")
	wantCode := 0
	if b, err := os.ReadFile(filepath.Join(want, "exit")); err == nil {
		wantCode, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	wantErr, errFileErr := os.ReadFile(filepath.Join(want, "stderr"))
	if update {
		if code != wantCode {
			existing, _ := readTree(want)
			if code != 0 && wantCode == 0 && len(existing) > 0 {
				// A passing case does not quietly become one that expects a failure.
				fail("the run now exits %d, and the case expects it to succeed: --update does not record a failure over a passing case; "+
					"fix the rules, or write want/exit yourself if the case is meant to test an error; stderr:\n%s", code, gotErr)
				return res
			}
			res.ExitChanged = fmt.Sprintf("exit %d, was %d", code, wantCode)
		}
		res.Updated = updateTree(want, out, code, gotErr)
		return res
	}
	if code != wantCode {
		fail("exit code %d, want %d; stderr:\n%s", code, wantCode, gotErr)
	}
	// No want/stderr means the run says nothing on stderr: a new warning fails the case.
	if (errFileErr == nil || errors.Is(errFileErr, fs.ErrNotExist)) && string(wantErr) != gotErr {
		fail("stderr differs:\n%s", diff.Diff("want/stderr", wantErr, "got", []byte(gotErr)))
	}
	if code != 0 {
		if written, _ := readTree(out); len(written) > 0 {
			fail("the run failed (exit %d) but wrote %d files to the output", code, len(written))
		}
	}
	if code == 0 {
		res.Problems = append(res.Problems, compareTrees(want, out)...)
		// The second run over the output must change nothing.
		out2 := filepath.Join(scratch, "out2")
		var so, se bytes.Buffer
		if code2 := run(append([]string{"amupgrade", "-i", out, "-o", out2}, words...), &so, &se); code2 != 0 {
			fail("second run over the output failed with exit %d:\n%s", code2, se.String())
		} else {
			for _, p := range compareTrees(out, out2) {
				fail("not idempotent: a second run changed the output: %s", p)
			}
		}
	}
	return res
}

// unpack writes an archive's files under dir.
func unpack(ar *txtar.Archive, dir string) error {
	for _, f := range ar.Files {
		name := filepath.Clean(filepath.FromSlash(f.Name))
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("file %q leaves the case", f.Name)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// repack rewrites an archive's want/ files from the unpacked case, keeping
// its comment and every other file in place.
func repack(ar *txtar.Archive, dir, path string) error {
	out := &txtar.Archive{Comment: ar.Comment}
	for _, f := range ar.Files {
		if !strings.HasPrefix(f.Name, "want/") {
			out.Files = append(out.Files, f)
		}
	}
	want, err := readTree(filepath.Join(dir, "want"))
	if err != nil {
		return err
	}
	for _, p := range sortedKeys(want) {
		out.Files = append(out.Files, txtar.File{Name: "want/" + p, Data: want[p]})
	}
	for _, name := range []string{"exit", "stderr"} {
		if b, err := os.ReadFile(filepath.Join(dir, "want", name)); err == nil {
			out.Files = append(out.Files, txtar.File{Name: "want/" + name, Data: b})
		}
	}
	return os.WriteFile(path, txtar.Format(out), 0o644)
}

// special files of want/ that are not part of the tree.
func special(rel string) bool { return rel == "stderr" || rel == "exit" }

// compareTrees lists every difference between the expected and the written tree.
func compareTrees(want, got string) []string {
	w, werr := readTree(want)
	g, gerr := readTree(got)
	if err := errors.Join(werr, gerr); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, p := range sortedKeys(w) {
		gb, ok := g[p]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("expected file %s was not written", p))
		case !bytes.Equal(w[p], gb):
			problems = append(problems, fmt.Sprintf("%s differs:\n%s", p, diff.Diff("want/"+p, w[p], "got/"+p, gb)))
		}
	}
	for _, p := range sortedKeys(g) {
		if _, ok := w[p]; !ok {
			problems = append(problems, fmt.Sprintf("written file %s was not expected", p))
		}
	}
	return problems
}

func readTree(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if special(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = b
		return err
	})
	return files, err
}

// updateTree makes want/ hold the run's output, touching only what changed.
func updateTree(want, out string, code int, stderr string) []string {
	var changed []string
	w, _ := readTree(want)
	g, _ := readTree(out)
	for p, b := range g {
		if !bytes.Equal(w[p], b) {
			dst := filepath.Join(want, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(dst), 0o755)
			os.WriteFile(dst, b, 0o644)
			changed = append(changed, p)
		}
	}
	for p := range w {
		if _, ok := g[p]; !ok {
			os.Remove(filepath.Join(want, filepath.FromSlash(p)))
			changed = append(changed, p+" (removed)")
		}
	}
	writeSpecial := func(name, content string, keep bool) {
		p := filepath.Join(want, name)
		old, err := os.ReadFile(p)
		switch {
		case keep && (err != nil || string(old) != content):
			os.MkdirAll(want, 0o755)
			os.WriteFile(p, []byte(content), 0o644)
			changed = append(changed, name)
		case !keep && err == nil:
			os.Remove(p)
			changed = append(changed, name+" (removed)")
		}
	}
	writeSpecial("exit", fmt.Sprintf("%d\n", code), code != 0)
	writeSpecial("stderr", stderr, code != 0 || stderr != "")
	sort.Strings(changed)
	return changed
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// splitWords splits an args file into words: whitespace separates, single
// or double quotes group, # starts a comment line.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, r := range line + "\n" {
			switch {
			case quote != 0 && r == quote:
				quote = 0
			case quote != 0:
				cur.WriteRune(r)
			case r == '\'' || r == '"':
				quote, inWord = r, true
			case r == ' ' || r == '\t' || r == '\n':
				if inWord {
					words = append(words, cur.String())
					cur.Reset()
					inWord = false
				}
			default:
				cur.WriteRune(r)
				inWord = true
			}
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote %c", quote)
	}
	return words, nil
}
