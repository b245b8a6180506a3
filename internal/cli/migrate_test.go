package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/tools/fbcldif/ldifgen"
	"github.com/rogpeppe/go-internal/diff"
)

// TestMigratedTreesUpgrade migrates the export of each real FBC tree with
// the vendor's command line, then runs the FBC upgrade's check on the
// result: the migration gives an ordinary FBC tree, which the upgrade reads
// without error (exit 0, or 4 when the 8.1 rules would change it).
func TestMigratedTreesUpgrade(t *testing.T) {
	t.Parallel()
	ents, err := os.ReadDir(realDir)
	if err != nil {
		t.Skipf("real trees not available (%v): the shared test data lives beside the repository", err)
	}
	for _, e := range ents {
		if st, err := os.Stat(filepath.Join(realDir, e.Name(), "services")); err != nil || !st.IsDir() {
			continue
		}
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g, err := ldifgen.New(filepath.Join(realDir, name))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			f, err := os.Create(filepath.Join(dir, "export.ldif"))
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Write(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			cli := &CLI{Stdout: &stdout, Stderr: &stderr, noSync: true}
			code := cli.Run(context.Background(), []string{"amupgrade", "--migrationMode", "--inputConfig", dir, "--output", out,
				"--dynamic-data", "keep", "rules/fbc/migrate-to-fbc.groovy"})
			if code != ExitOK {
				t.Fatalf("migration: exit %d\n%s%s", code, stdout.String(), stderr.String())
			}
			args := []string{"amupgrade", "-i", out, "--fileBasedMode", "--check", "--to", "8.1.0"}
			if _, err := os.Stat(filepath.Join(out, "realm/root/configurationversionservice/1.0/globalconfig/default.json")); err != nil {
				// The partial 7.0 tree records no version (nor does its export).
				args = append(args, "--ignoreNoRuleTracking")
			}
			stdout.Reset()
			stderr.Reset()
			code = cli.Run(context.Background(), args)
			if code != ExitOK && code != ExitChanges {
				t.Errorf("%s: exit %d, want 0 or 4\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
			}
		})
	}
}

// TestReadmeMigratedFile checks the file README.md shows under "Migrate to
// FBC" against what the migration of examples/ldif writes.
func TestReadmeMigratedFile(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- migrated: (\\S+) -->\n```json\n(.*?)```").FindAllSubmatch(src, -1)
	if len(m) == 0 {
		t.Fatal("README.md shows no migrated file (<!-- migrated: PATH --> and a json block)")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := (&CLI{Stdout: &stdout, Stderr: &stderr, noSync: true}).Run(context.Background(), []string{"amupgrade", "--migrationMode",
		"-i", filepath.Join(root, "examples", "ldif"), "-o", filepath.Join(out, "t"), "-q"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, mm := range m {
		got, err := os.ReadFile(filepath.Join(out, "t", string(mm[1])))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, mm[2]) {
			t.Errorf("README.md shows %s otherwise than the migration writes it:\n%s", mm[1], diff.Diff("README.md", mm[2], "migrated", got))
		}
	}
}
