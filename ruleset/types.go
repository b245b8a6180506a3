package ruleset

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/engine"
)

//go:generate go run ./internal/mktypes -real ../../shared/testdata/real -o entitytypes_gen.go

// bundledTypes are the entity types the bundled rule files select, per
// layout: types AM has although no mined tree holds one.
var bundledTypes = sync.OnceValue(func() map[engine.Mode][]string {
	out := map[engine.Mode][]string{}
	set, err := Bundled()
	if err != nil {
		return out
	}
	files, err := set.Files()
	if err != nil {
		return out
	}
	for _, f := range files {
		for _, s := range f.services {
			if !slices.Contains(out[f.Mode], s.name) {
				out[f.Mode] = append(out[f.Mode], s.name)
			}
		}
	}
	return out
})

// UnknownTypes returns a warning, at its place, for every entity type the
// file's selectors name that no configuration amupgrade knows holds in the
// file's layout: neither the real AM trees it was built from (AM 6.5 to 8.0,
// both layouts) nor the bundled rules. A typo there makes a rule that
// selects nothing. The closest known name is suggested.
func (f *File) UnknownTypes() engine.Errors {
	if err := f.load(); err != nil {
		return nil
	}
	known := knownTypes[string(f.Mode)]
	var names []string
	for n := range known {
		names = append(names, n)
	}
	names = append(names, bundledTypes()[f.Mode]...)
	var out engine.Errors
	for _, s := range f.services {
		if _, ok := known[s.name]; ok || slices.Contains(names, s.name) {
			continue
		}
		where := map[engine.Mode]string{engine.FBC: "a file-based configuration", engine.Amster: "an Amster export"}[f.Mode]
		msg := fmt.Sprintf("no AM configuration amupgrade knows has an entity of type %q in %s: a rule that selects it changes nothing", s.name, where)
		if best := closest(s.name, names); best != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", best)
		}
		out = append(out, &engine.Error{Code: engine.CodeRule, Pos: s.pos, Msg: msg})
	}
	return out
}

// closest is the known name nearest to got, when near enough to be a typo.
func closest(got string, names []string) string {
	best, bestD := "", 4
	for _, n := range names {
		if d := distance(strings.ToLower(got), strings.ToLower(n)); d < bestD || d == bestD && n < best {
			best, bestD = n, d
		}
	}
	return best
}
