package engine

import (
	"strings"
	"testing"
)

// Every transform is registered once, documented, and either implemented or
// says why it is not.
func TestTransformsRegistry(t *testing.T) {
	t.Parallel()
	all := Transforms()
	if len(all) == 0 {
		t.Fatal("no transforms")
	}
	for i, tr := range all {
		if i > 0 && all[i-1].Name >= tr.Name {
			t.Errorf("Transforms() not sorted by name, or a name twice: %s after %s", tr.Name, all[i-1].Name)
		}
		if got, ok := LookupTransform(tr.Name); !ok || got != tr {
			t.Errorf("LookupTransform(%q) = %v, %v", tr.Name, got, ok)
		}
		if strings.TrimSpace(tr.Doc) == "" {
			t.Errorf("%s: no Doc", tr.Name)
		}
		if (tr.Apply == nil) == (tr.NotImplemented == "") {
			t.Errorf("%s: Apply set %v, NotImplemented %q: exactly one of them must be given", tr.Name, tr.Apply != nil, tr.NotImplemented)
		}
	}
	if _, ok := LookupTransform("no-such-transform"); ok {
		t.Error("LookupTransform found a transform that does not exist")
	}
}
