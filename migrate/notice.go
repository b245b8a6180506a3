package migrate

import (
	"sort"
	"sync"
)

// Notice codes: what a migration reports because it could not type, place
// or keep something. Each is counted; the notice keeps its first occurrence.
const (
	// NoticeNoEquals: a sunKeyValue value without '=' (AM's reader logs and
	// skips such values; so does the migration).
	NoticeNoEquals = "value-without-equals"
	// NoticeNoSchema: the export holds no schema for a service (or the
	// schema has no sub-schema for a configuration): its values are written
	// as strings (one value) or arrays (several), untyped.
	NoticeNoSchema = "no-schema"
	// NoticeNotInSchema: an attribute stored on an entry that its schema does
	// not define; written as a string or an array under its stored name.
	NoticeNotInSchema = "not-in-schema"
	// NoticeBadValue: a value that does not parse as its schema's syntax
	// (a number, a boolean, JSON, a map entry); written as the string it is.
	NoticeBadValue = "bad-value"
	// NoticeManyValues: several values for a single-valued attribute; the
	// first in the export is written.
	NoticeManyValues = "many-values"
	// NoticeNotWritten: an LDAP attribute that FBC files do not hold
	// (sunsmspriority, labeledURI, description, attributes of no known
	// use); its values are in no file.
	NoticeNotWritten = "not-written"
	// NoticeNoFile: values stored on an entry that FBC has no file for (a
	// container, a version entry): in no file.
	NoticeNoFile = "values-without-file"
	// NoticeOutside: an entry outside <base>/ou=services, which is not
	// configuration (the service account, ou=admins, …); not migrated.
	NoticeOutside = "outside-configuration"
	// NoticeUnknownContainer: an entry directly below a version entry that
	// is none of AM's containers (GlobalConfig, OrganizationConfig, …);
	// written as a file with its values untyped.
	NoticeUnknownContainer = "unknown-container"
	// NoticeFileName: a name holding characters no real FBC tree shows in a
	// file name; replaced by '_'.
	NoticeFileName = "file-name"
	// NoticeDuplicateKey: two attributes of an entry that become the same
	// JSON key; the last is written.
	NoticeDuplicateKey = "duplicate-key"
)

// Notice is one thing a migration reports, counted over the export.
type Notice struct {
	Code string `json:"code"`
	// Msg says what was found and what was done.
	Msg   string `json:"message"`
	Count int    `json:"count"`
	// The first occurrence: the LDIF file and line, the entry's DN, and the
	// file of the tree it concerns with a JSON Pointer inside it.
	File    string `json:"file"`
	Line    int    `json:"line"`
	DN      string `json:"dn,omitempty"`
	Output  string `json:"output,omitempty"`
	Pointer string `json:"pointer,omitempty"`

	order int // the input file's index, for "first"
}

// maxNotices bounds the distinct notices kept; the rest are counted.
const maxNotices = 2000

// notices gathers the notices of a run from its workers.
type notices struct {
	mu      sync.Mutex
	byKey   map[string]*Notice
	dropped map[string]int // per code, beyond maxNotices
}

func newNotices() *notices {
	return &notices{byKey: map[string]*Notice{}, dropped: map[string]int{}}
}

// add counts one occurrence of the notice named by code and key; n is its
// text and position, kept for the first occurrence in input order (so the
// result does not depend on the number of workers).
func (ns *notices) add(key string, n Notice) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	k := n.Code + "\x00" + key
	old := ns.byKey[k]
	if old == nil {
		if len(ns.byKey) >= maxNotices {
			ns.dropped[n.Code]++
			return
		}
		n.Count = 1
		ns.byKey[k] = &n
		return
	}
	old.Count++
	if n.order < old.order || n.order == old.order && n.Line < old.Line {
		c := old.Count
		*old = n
		old.Count = c
	}
}

// list returns the notices in input order.
func (ns *notices) list() ([]Notice, map[string]int) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	out := make([]Notice, 0, len(ns.byKey))
	for _, n := range ns.byKey {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.order != b.order {
			return a.order < b.order
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Msg < b.Msg
	})
	dropped := map[string]int{}
	for c, n := range ns.dropped {
		dropped[c] = n
	}
	return out, dropped
}
