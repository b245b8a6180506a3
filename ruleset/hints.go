package ruleset

import (
	"sync"

	"github.com/amupgrade/amupgrade/engine"
)

// VersionHints is what the set's rule files know that reading a tree's AM
// release needs: the configuration version each release records (the FBC
// steps' versions tables), and the release that brings each tracked rule
// (a tree that records its id has that release's changes). A rule id in
// several files counts for the earliest release.
func (s *Set) VersionHints() engine.VersionHints {
	cvs := map[string]string{}
	for _, f := range s.files {
		for rel, cv := range f.ConfigVersions {
			cvs[rel] = cv
		}
	}
	releases := sync.OnceValue(func() map[string]engine.Version {
		m := map[string]engine.Version{}
		for _, f := range s.files {
			if f.Composite() || f.load() != nil {
				continue
			}
			for _, r := range f.Rules {
				if !r.Tracked {
					continue
				}
				rel := r.Since
				if rel == nil {
					rel = f.To
				}
				if old, ok := m[r.ID]; !ok || rel.Less(old) {
					m[r.ID] = rel
				}
			}
		}
		return m
	})
	return engine.VersionHints{ConfigVersions: cvs, RuleRelease: func(id string) engine.Version { return releases()[id] }}
}

// LastRelease is the latest release a step of the set goes to.
func (s *Set) LastRelease() engine.Version {
	var last engine.Version
	for _, f := range s.files {
		if last == nil || last.Less(f.To) {
			last = f.To
		}
	}
	return last
}
