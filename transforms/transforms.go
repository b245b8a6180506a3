// Package transforms holds the transforms written in Go that rule files
// name (`transform: jakarta-scripts`): the script transforms of AM 8's move
// to Jakarta EE and the vendor's named Java transforms. Each is documented
// one by one in docs/rules.md.
//
// They work only through the exported API of package engine: a
// TransformContext for a document (Set, Delete, Append, Touch and Changed,
// so that the document is marked changed, `original()` still sees the data
// as read, and every change is reported; Notice, ManualStep and Create for
// the rest), a TreeContext for the whole tree. Package ruleset resolves the
// names of rule files here; engine runs what it is handed and knows none of
// them.
package transforms

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/engine"
)

// registry is every transform, by name. It is built once, from the lists of
// this package, and never changes after, so that every run (and every
// goroutine of a run) sees the same transforms, and no code outside this
// package can add one that reaches into a document behind the rules' back.
var registry = sync.OnceValue(func() map[string]*engine.Transform {
	m := map[string]*engine.Transform{}
	for _, t := range slices.Concat(scriptTransforms(), vendorTransforms()) {
		if _, dup := m[t.Name]; dup {
			// Two built-ins of one name: TestTransformsRegistry catches it.
			panic("transforms: two transforms named " + t.Name)
		}
		m[t.Name] = t
	}
	return m
})

// Lookup returns the transform of that name.
func Lookup(name string) (*engine.Transform, bool) {
	t, ok := registry()[name]
	return t, ok
}

// All returns every transform, by name.
func All() []*engine.Transform {
	out := slices.Collect(maps.Values(registry()))
	slices.SortFunc(out, func(a, b *engine.Transform) int { return strings.Compare(a.Name, b.Name) })
	return out
}
