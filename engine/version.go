package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a dotted version number: an AM release (7.5.0) or a
// configuration version (6.0.0.0). "x" components read as 0, so the vendor's
// step names (7.5.x) parse too.
type Version []int

// ParseVersion reads "7.5.0", "7.5.x", "8.0.0.0" or "7.5".
func ParseVersion(s string) (Version, error) {
	if s == "" {
		return nil, fmt.Errorf("empty version")
	}
	parts := strings.Split(s, ".")
	v := make(Version, len(parts))
	for i, p := range parts {
		if p == "x" || p == "X" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("version %q: %q is not a number; write versions like 7.5.0", s, p)
		}
		v[i] = n
	}
	return v, nil
}

// MustVersion is ParseVersion for constants.
func MustVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Compare returns -1, 0 or 1; missing components count as 0.
func (v Version) Compare(w Version) int {
	n := max(len(v), len(w))
	for i := range n {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Less reports v < w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// Minor returns the first two components: the release line a step starts from.
func (v Version) Minor() Version {
	m := Version{0, 0}
	copy(m, v)
	return m
}

func (v Version) String() string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// gateOpen decides a version-before gate. An unknown version (nil) opens
// every gate, as the vendor does when run without version tracking. With
// several gates (one per release line, as the vendor's forVersionsBefore),
// the gate is open if the version is older than a gate of its own line, or
// older than all of them.
func gateOpen(gates []Version, current Version) bool {
	if len(gates) == 0 || current == nil {
		return true
	}
	if len(gates) == 1 {
		return current.Less(gates[0])
	}
	olderThanAll := true
	for _, g := range gates {
		if !current.Less(g) {
			olderThanAll = false
		} else if len(g) > 0 && len(current) > 0 && g[0] == current[0] {
			return true
		}
	}
	return olderThanAll
}
