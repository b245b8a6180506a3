package transforms

import (
	"slices"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
)

// Every transform is registered once, documented, applies where it says
// (to documents or to the tree), and a transform that leaves part of the
// vendor's change undone says why, with one of the closed list of needs,
// and what to do by hand.
func TestTransformsRegistry(t *testing.T) {
	t.Parallel()
	all := All()
	if len(all) == 0 {
		t.Fatal("no transforms")
	}
	for i, tr := range all {
		if i > 0 && all[i-1].Name >= tr.Name {
			t.Errorf("All() not sorted by name, or a name twice: %s after %s", tr.Name, all[i-1].Name)
		}
		if got, ok := Lookup(tr.Name); !ok || got != tr {
			t.Errorf("Lookup(%q) = %v, %v", tr.Name, got, ok)
		}
		if strings.TrimSpace(tr.Doc) == "" {
			t.Errorf("%s: no Doc", tr.Name)
		}
		none := tr.Gap != nil && tr.Gap.None
		if tr.Tree {
			if tr.Apply != nil || (tr.ApplyTree == nil && !none) {
				t.Errorf("%s: a whole-tree transform needs ApplyTree (or none at all, when not implemented) and no Apply", tr.Name)
			}
		} else if tr.ApplyTree != nil || (tr.Apply == nil && !none) {
			t.Errorf("%s: a document transform needs Apply (or none at all, when not implemented) and no ApplyTree", tr.Name)
		}
		if g := tr.Gap; g != nil {
			if !slices.Contains(engine.Needs(), g.Needs) {
				t.Errorf("%s: Gap.Needs %q is none of %v", tr.Name, g.Needs, engine.Needs())
			}
			if g.Vendor == "" || g.Why == "" {
				t.Errorf("%s: Gap needs Vendor (what the vendor's change is) and Why (why it is not made)", tr.Name)
			}
			if none && g.Action == "" {
				t.Errorf("%s: not implemented without an Action: its manual step must say what to do by hand", tr.Name)
			}
		}
	}
	if _, ok := Lookup("no-such-transform"); ok {
		t.Error("Lookup found a transform that does not exist")
	}
}
