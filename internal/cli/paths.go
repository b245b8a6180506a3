package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/amupgrade/amupgrade/atomictree"
)

// runPaths are the paths a run is given, each resolved through every link on its way
// (atomictree.Resolve), including the part that does not exist yet: every check compares
// these, so that no link can put one inside another. "" where not given.
type runPaths struct {
	in, out, report, log string
}

func resolvePaths(o *options) (runPaths, error) {
	var p runPaths
	for _, r := range []struct {
		flag, given string
		to          *string
	}{
		{"--inputConfig", o.in, &p.in},
		{"--output", o.out, &p.out},
		{"--report", o.report, &p.report},
		{"--log-output", o.log, &p.log},
	} {
		if r.given == "" {
			continue
		}
		resolved, err := atomictree.Resolve(r.given)
		if err != nil {
			return runPaths{}, &usageError{fmt.Sprintf("%s: %v", r.flag, err)}
		}
		*r.to = resolved
	}
	return p, nil
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) || (strings.HasSuffix(dir, string(filepath.Separator)) && strings.HasPrefix(p, dir))
}

// via names where a given path leads, when links make it lead elsewhere than its text says.
func via(given, resolved string) string {
	if abs, err := filepath.Abs(given); err == nil && abs == resolved {
		return given
	}
	return fmt.Sprintf("%s (%s, through links)", given, resolved)
}

// checkFolders refuses outputs that would destroy or mix with the input.
func checkFolders(o *options, p runPaths) (inPlace bool, err error) {
	if o.out == "" {
		return false, nil
	}
	in, out := p.in, p.out
	switch {
	case in == out:
		return true, nil
	case within(out, in):
		return false, &usageError{fmt.Sprintf("the output folder %s is inside the input folder %s; choose a folder outside it, or the input folder itself to upgrade in place", via(o.out, out), o.in)}
	case within(in, out):
		return false, &usageError{fmt.Sprintf("the input folder %s is inside the output folder %s, which would be replaced; choose another output folder", o.in, via(o.out, out))}
	}
	return false, nil
}

// checkOutputEmpty refuses to replace a folder that holds files without --clean.
func checkOutputEmpty(o *options, out string) error {
	// --check and --diff write nothing, so what the output holds does not
	// matter to them (a --dry-run still reports what the real run would).
	entries, err := os.ReadDir(out)
	if err == nil && len(entries) > 0 && !o.cleanSet && !o.check && !o.diff {
		return &usageError{fmt.Sprintf("the output folder %s exists and is not empty; give --clean true to replace its contents, or --clean false to write over it and keep other files", o.out)}
	}
	return nil
}

// checkSideFiles checks the report and the log paths before any work: neither is the other,
// nor a folder, nor inside the input of a run that replaces it; a log never inside the tree
// being replaced. A report inside the output is written as a file of the new tree, swapped in
// with it; it returns that file's path in the tree ("" when the report goes elsewhere).
func checkSideFiles(o *options, p runPaths, writes, inPlace bool) (reportInTree string, err error) {
	if p.report != "" && p.report == p.log {
		return "", &usageError{fmt.Sprintf("--report and --log-output name the same file %s; give each its own", via(o.report, p.report))}
	}
	if !writes || p.out == "" {
		return "", nil
	}
	tree := "the output folder " + o.out
	if inPlace {
		tree = "the folder " + o.out + ", which is upgraded in place,"
	}
	if p.log != "" && within(p.log, p.out) {
		return "", &usageError{fmt.Sprintf("--log-output %s is inside %s: the log would be swapped away with the old tree, or become part of the configuration; write it outside that folder", via(o.log, p.log), tree)}
	}
	if p.report == "" || !within(p.report, p.out) {
		return "", nil
	}
	if fi, err := os.Stat(p.report); p.report == p.out || (err == nil && fi.IsDir()) {
		return "", &usageError{fmt.Sprintf("--report %s is a folder; name a file", o.report)}
	}
	rel := filepath.ToSlash(strings.TrimPrefix(p.report, p.out+string(filepath.Separator)))
	if err := atomictree.CheckTreePath(rel); err != nil {
		return "", &usageError{fmt.Sprintf("--report %s: %v", o.report, err)}
	}
	return rel, nil
}

// sideFileError words an error creating the report or log file, before any work.
func sideFileError(flag, given, resolved string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &usageError{fmt.Sprintf("%s %s: cannot be written (%v); choose a writable folder: nothing was done", flag, via(given, resolved), err)}
}
