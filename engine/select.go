package engine

import (
	"regexp"
	"slices"
	"strings"
)

// Scope says whether a rule applies to global entities, realm entities or both.
type Scope uint8

const (
	AnyScope Scope = iota
	GlobalScope
	RealmScope
)

// Matcher tests a string: an entity id, a realm, a path parameter.
type Matcher struct {
	Is           *string
	In           []string
	Contains     string
	ContainsFold string
	Regexp       *regexp.Regexp // anchored: matches the whole string
	Not          *Matcher
}

// Match reports whether s passes every test set in m.
func (m *Matcher) Match(s string) bool {
	if m == nil {
		return true
	}
	if m.Is != nil && s != *m.Is {
		return false
	}
	if m.In != nil && !slices.Contains(m.In, s) {
		return false
	}
	if m.Contains != "" && !strings.Contains(s, m.Contains) {
		return false
	}
	if m.ContainsFold != "" && !strings.Contains(strings.ToLower(s), strings.ToLower(m.ContainsFold)) {
		return false
	}
	if m.Regexp != nil && !m.Regexp.MatchString(s) {
		return false
	}
	if m.Not != nil && m.Not.Match(s) {
		return false
	}
	return true
}

// Selector picks the documents a rule part applies to. It reads only an
// entity's identity (its metadata), so a file no selector can match is never
// fully parsed.
type Selector struct {
	// Services lists the entity types; empty means every type.
	Services     []string
	Scope        Scope
	EntityID     *Matcher
	SunServiceID *Matcher
	Realm        *Matcher
	PathParams   map[string]*Matcher
}

// Match reports whether the entity is selected.
func (s *Selector) Match(e *Entity) bool {
	if e == nil {
		return false
	}
	if len(s.Services) > 0 && !slices.Contains(s.Services, e.Type) {
		return false
	}
	switch s.Scope {
	case GlobalScope:
		if !e.Global {
			return false
		}
	case RealmScope:
		if e.Global {
			return false
		}
	}
	if !s.EntityID.Match(e.ID) || !s.SunServiceID.Match(e.SunServiceID) {
		return false
	}
	if s.Realm != nil && (e.Global || !s.Realm.Match(e.Realm)) {
		return false
	}
	for name, m := range s.PathParams {
		v, ok := e.PathParams[name]
		if !ok || !m.Match(v) {
			return false
		}
	}
	return true
}
