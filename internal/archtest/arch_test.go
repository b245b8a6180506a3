// Package archtest holds the test that keeps the packages' imports as
// docs/architecture.md draws them.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/amupgrade/amupgrade/"

// allowed lists, for each package, the packages of this module it may
// import (its tests aside). The table of docs/architecture.md.
var allowed = map[string][]string{
	"amjson":               {},
	"atomictree":           {"internal/rawfile"},
	"engine":               {"amjson", "atomictree", "internal/rawfile"},
	"transforms":           {"amjson", "engine"},
	"ruleset":              {"amjson", "engine", "rules", "transforms"},
	"rules":                {},
	"ldif":                 {},
	"migrate":              {"amjson", "ldif"},
	"internal/checklist":   {"amjson", "engine"},
	"internal/report":      {"amjson", "engine", "internal/checklist"},
	"internal/idc":         {"amjson"},
	"internal/golden":      {},
	"internal/rawfile":     {},
	"internal/treetest":    {},
	"internal/upgradetest": {"engine", "ruleset"},
	"cmd/amupgrade":        {"internal/cli"},
}

func TestImports(t *testing.T) {
	root := filepath.Join("..", "..")
	for pkg, ok := range allowed {
		dir := filepath.Join(root, filepath.FromSlash(pkg))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Errorf("%s: %v (a package of docs/architecture.md is gone: update the table)", pkg, err)
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if dep, ours := strings.CutPrefix(p, module); ours && !slices.Contains(ok, dep) && !strings.HasPrefix(dep, pkg+"/") {
					t.Errorf("%s/%s imports %s, which docs/architecture.md does not allow it", pkg, name, dep)
				}
			}
		}
	}
	// Every package of the module has a row, so that a new one is placed.
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "tools" || strings.HasPrefix(rel, "tools/") ||
			rel == "internal/cli" || rel == "internal/archtest" || rel == "docs" || rel == "examples" || strings.HasPrefix(rel, "examples/") ||
			rel == "bin" || rel == "build":
			return filepath.SkipDir
		}
		if _, ok := allowed[rel]; ok || !hasGo(p) {
			return nil
		}
		for pkg := range allowed {
			if strings.HasPrefix(rel, pkg+"/") {
				return nil // a package's own internal packages
			}
		}
		t.Errorf("package %s has no row in docs/architecture.md (and in this test's table)", rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hasGo(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range m {
		if !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}
