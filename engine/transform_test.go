package engine

import (
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
)

// A transform that is not implemented may report, never change.
func TestNotImplementedChangesNothing(t *testing.T) {
	t.Parallel()
	tc := &TransformContext{t: &Transform{Name: "x", Gap: &Gap{None: true}}}
	if err := tc.Set(amjson.Pointer{"a"}, amjson.NewNull()); err == nil {
		t.Error("Set by a not-implemented transform: no error")
	}
	if err := tc.Delete(amjson.Pointer{"a"}); err == nil {
		t.Error("Delete by a not-implemented transform: no error")
	}
}
