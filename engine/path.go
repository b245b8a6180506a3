package engine

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/amupgrade/amupgrade/amjson"
)

// Path is where an operation reads or writes inside a document: a JSON
// Pointer relative to the rule's section, or (Abs) relative to `data`.
type Path struct {
	Abs  bool
	Ptr  amjson.Pointer
	Text string // as written in the rule file
}

// ParsePath reads a rule path: "a/b" is relative to the section, "/a/b"
// starts at data, "/" alone is data itself and "" the section itself.
// Segments use JSON Pointer escapes (~1 for '/', ~0 for '~').
func ParsePath(s string) (Path, error) {
	switch s {
	case "":
		return Path{Text: s}, nil
	case "/":
		return Path{Abs: true, Text: s}, nil
	}
	abs := strings.HasPrefix(s, "/")
	src := s
	if !abs {
		src = "/" + s
	}
	ptr, err := amjson.ParsePointer(src)
	if err != nil {
		return Path{}, err
	}
	return Path{Abs: abs, Ptr: ptr, Text: s}, nil
}

// runCache holds what a run works out from the text of its expressions
// (the paths and regular expressions they name), so that each is parsed
// once per run rather than once per document. It goes with the run, and
// holds at most cacheLimit entries of each kind: an expression may build
// its paths from the document's values.
type runCache struct {
	paths, regexps sync.Map
	nPaths, nRegex atomic.Int32
}

const cacheLimit = 4096

// path parses a path written in an expression.
func (rc *runCache) path(s string) (Path, error) {
	if p, ok := rc.paths.Load(s); ok {
		return p.(Path), nil
	}
	p, err := ParsePath(s)
	if err != nil {
		return Path{}, fmt.Errorf("path %q: %w", s, err)
	}
	if rc.nPaths.Add(1) <= cacheLimit {
		rc.paths.Store(s, p)
	}
	return p, nil
}

// regexp compiles a regular expression of matches(), anchored.
func (rc *runCache) regexp(re string) (*regexp.Regexp, error) {
	if rx, ok := rc.regexps.Load(re); ok {
		return rx.(*regexp.Regexp), nil
	}
	rx, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return nil, err
	}
	if rc.nRegex.Add(1) <= cacheLimit {
		rc.regexps.Store(re, rx)
	}
	return rx, nil
}

// full returns the pointer of p from the document root, for reports.
func (c *opContext) full(p Path) amjson.Pointer {
	out := amjson.Pointer{"data"}
	if !p.Abs {
		out = append(out, c.scopePtr...)
	}
	return append(out, p.Ptr...)
}

// locate finds the object that holds p's last segment. It returns a nil
// parent when a parent is missing or is not an object.
func (c *opContext) locate(base *amjson.Value, p Path) (parent *amjson.Value, key string) {
	if len(p.Ptr) == 0 {
		return nil, ""
	}
	start := c.scope
	if p.Abs {
		start = base
	}
	parent = start.At(p.Ptr[:len(p.Ptr)-1])
	if parent == nil || parent.Kind != amjson.Object {
		return nil, ""
	}
	return parent, p.Ptr[len(p.Ptr)-1]
}

// lookup returns the value at p, or nil.
func (c *opContext) lookup(p Path) *amjson.Value {
	if len(p.Ptr) == 0 {
		if p.Abs {
			return c.data
		}
		return c.scope
	}
	if p.Abs {
		return c.data.At(p.Ptr)
	}
	return c.scope.At(p.Ptr)
}

// resolve parses a path written in an expression and returns its value.
func (c *opContext) resolve(s string) (*amjson.Value, *amjson.Value, string, error) {
	p, err := c.run.cache.path(s)
	if err != nil {
		return nil, nil, "", err
	}
	parent, key := c.locate(c.data, p)
	return c.lookup(p), parent, key, nil
}

// resolveOriginal returns the value p had before this run changed the
// document.
func (c *opContext) resolveOriginal(s string) (*amjson.Value, error) {
	p, err := c.run.cache.path(s)
	if err != nil {
		return nil, err
	}
	return c.originalAt(p), nil
}

func (c *opContext) originalAt(p Path) *amjson.Value {
	orig := c.doc.originalData()
	if orig == nil {
		return nil
	}
	ptr := p.Ptr
	if !p.Abs {
		ptr = append(append(amjson.Pointer{}, c.scopePtr...), p.Ptr...)
	}
	return orig.At(ptr)
}
