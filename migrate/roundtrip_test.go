package migrate_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/migrate"
	"github.com/amupgrade/amupgrade/tools/fbcldif/ldifgen"
	"github.com/google/go-cmp/cmp"
)

// realDir is the shared corpus of real AM trees, outside the repository.
var realDir = filepath.Join("..", "..", "shared", "testdata", "real")

// realFBCTrees lists the real FBC trees: the folders holding services/.
func realFBCTrees(t testing.TB) []string {
	ents, err := os.ReadDir(realDir)
	if err != nil {
		t.Skipf("real trees not available (%v): the shared test data lives beside the repository", err)
	}
	var out []string
	for _, e := range ents {
		if st, err := os.Stat(filepath.Join(realDir, e.Name(), "services")); err == nil && st.IsDir() {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Skip("no real FBC tree in " + realDir)
	}
	return out
}

// memInput is an LDIF export held in memory.
func memInput(name string, data []byte) migrate.Input {
	return migrate.Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// collect is a sink that keeps every file.
type collect struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (c *collect) put(f *migrate.File) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string][]byte{}
	}
	c.files[f.Path] = append([]byte(nil), f.Data...)
	return nil
}

// sortClasses orders metadata.objectClass, which AM 7.0 wrote unsorted
// and the migration writes sorted (as AM 7.4 and later do).
func sortClasses(doc *amjson.Value) {
	if oc := doc.Get("metadata").Get("objectClass"); oc != nil && oc.Kind == amjson.Array {
		sort.SliceStable(oc.Items, func(i, j int) bool {
			return strings.ToLower(oc.Items[i].Text) < strings.ToLower(oc.Items[j].Text)
		})
	}
}

// TestRoundTripRealTrees writes the LDIF a configuration store would hold
// for each real FBC tree (ldifgen: DNs from metadata.uid, values as
// sunKeyValue, a sunServiceSchema per service carrying the types), migrates
// it back, and compares every file with the tree's, as parsed JSON: key
// order aside, every value equal and of the same JSON type, arrays in the
// same order (the migration keeps the export's order, so sets are not
// needed). ldifgen.Expected documents the few differences a store imposes
// (placeholders have their values, "" is no value).
func TestRoundTripRealTrees(t *testing.T) {
	t.Parallel()
	for _, name := range realFBCTrees(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g, err := ldifgen.New(filepath.Join(realDir, name))
			if err != nil {
				t.Fatal(err)
			}
			var export bytes.Buffer
			if err := g.Write(&export); err != nil {
				t.Fatal(err)
			}
			if len(g.Stats.Conflicts) > 0 {
				t.Errorf("the tree types an attribute two ways; the store cannot hold that:\n%s", strings.Join(g.Stats.Conflicts, "\n"))
			}
			var c collect
			res, err := migrate.Migrate(context.Background(), []migrate.Input{memInput(name+".ldif", export.Bytes())},
				migrate.Options{Dynamic: migrate.DynamicKeep}, c.put)
			if err != nil {
				t.Fatal(err)
			}
			want, skipped, err := g.Expected()
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for _, p := range sortedKeys(want) {
				got, ok := c.files[p]
				if !ok {
					t.Errorf("%s: not written", p)
					bad++
					continue
				}
				gv, err := amjson.Parse(got)
				if err != nil {
					t.Fatalf("%s: the migration wrote JSON that does not parse: %v", p, err)
				}
				wv := want[p]
				sortClasses(gv)
				sortClasses(wv)
				if !amjson.Equal(wv, gv) {
					bad++
					if bad <= 10 {
						t.Errorf("%s (-tree +migrated):\n%s", p, cmp.Diff(wv.Interface(), gv.Interface()))
					}
				}
			}
			if bad > 10 {
				t.Errorf("… %d files differ in all", bad)
			}
			// The files the tree does not have are those of the ancestors
			// the export needs (a service entry the partial trees lack).
			var extra []string
			for p := range c.files {
				if _, ok := want[p]; !ok {
					extra = append(extra, p)
				}
			}
			sort.Strings(extra)
			for _, p := range extra {
				doc, _ := amjson.Parse(c.files[p])
				if !g.Added(doc.Get("metadata").Get("uid").Text) {
					t.Errorf("%s: written, but not in the tree, nor an ancestor its export needs", p)
				}
			}
			// Values the tree holds on entries FBC gives no file (a container
			// file the vendor's Amster rules gave an attribute) are reported.
			noFile := 0
			for _, n := range res.Notices {
				if n.Code == migrate.NoticeNoFile {
					noFile += n.Count
				}
			}
			if want := containerValues(t, g, filepath.Join(realDir, name, "services"), skipped); noFile != want {
				t.Errorf("%d entries with values-without-file notices, want %d (the container files with values)", noFile, want)
			}
			for _, n := range res.Notices {
				switch n.Code {
				case migrate.NoticeBadValue, migrate.NoticeNotInSchema, migrate.NoticeManyValues, migrate.NoticeDuplicateKey,
					migrate.NoticeNoEquals, migrate.NoticeOutside, migrate.NoticeFileName:
					t.Errorf("notice %s at %s:%d (%s): %s", n.Code, n.File, n.Line, n.Output, n.Msg)
				}
			}
			t.Logf("%d entries → %d files (%d compared, %d added ancestors); %d tree files give none: %s",
				res.Entries, res.Files, len(want), len(extra), len(skipped), clipList(skipped, 5))
			if len(g.Moved) > 0 || len(g.Renamed) > 0 {
				t.Logf("named otherwise than AM names them (the migration follows the DN): %s",
					clipList(append(g.Moved, g.Renamed...), 5))
			}
		})
	}
}

// containerValues counts the skipped files that hold values.
func containerValues(t *testing.T, g *ldifgen.Generator, root string, skipped []string) int {
	n := 0
	for _, p := range skipped {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil || !strings.HasSuffix(p, ".json") {
			continue
		}
		doc, err := amjson.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if uid := doc.Get("metadata").Get("uid"); uid == nil || !g.Has(uid.Text) {
			continue // no entry of the export (no uid, or another base DN)
		}
		if d := doc.Get("data"); d != nil && len(d.Members) > 2 {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func clipList(l []string, n int) string {
	if len(l) <= n {
		return strings.Join(l, ", ")
	}
	return strings.Join(l[:n], ", ") + ", …"
}
