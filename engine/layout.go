package engine

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Mode names a layout of configuration files.
type Mode string

const (
	Amster Mode = "amster" // an Amster export: global/…, realms/root/…
	FBC    Mode = "fbc"    // file-based configuration: services/realm/root/…
)

// Layout knows where a layout keeps its files.
type Layout struct {
	Mode Mode
	// Prefix is the folder holding the services tree inside the input root:
	// "services/" when an FBC tree was given as the folder above services/.
	Prefix string
}

// DetectLayout decides the layout of the tree at root. An FBC tree may be
// given as its services/ folder or as the folder above it.
func DetectLayout(root string) (Layout, error) {
	isDir := func(p string) bool {
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		return err == nil && st.IsDir()
	}
	st, err := os.Stat(root)
	if err != nil {
		return Layout{}, &Error{Code: CodeInput, Msg: fmt.Sprintf("cannot read the input folder %s", root), Err: unwrapPathError(err)}
	}
	if !st.IsDir() {
		return Layout{}, &Error{Code: CodeInput, Msg: fmt.Sprintf("the input %s is a file; give the folder of an Amster export or of a file-based configuration", root)}
	}
	switch {
	case isDir("realm"):
		return Layout{Mode: FBC}, nil
	case isDir("services/realm"):
		return Layout{Mode: FBC, Prefix: "services/"}, nil
	case isDir("global") || isDir("realms"):
		return Layout{Mode: Amster}, nil
	}
	return Layout{}, &Error{Code: CodeInput, Msg: fmt.Sprintf("%s is neither an Amster export (no global/ or realms/ folder) nor a file-based configuration (no realm/ or services/realm/ folder); give the folder that holds them", root)}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// IsConfig reports whether the file at p (relative to the input root) is a
// configuration JSON file: it is then validated and written in the vendor's
// format. Everything else passes through byte for byte.
func (l Layout) IsConfig(p string) bool {
	if !strings.HasSuffix(p, ".json") {
		return false
	}
	switch l.Mode {
	case FBC:
		return strings.HasPrefix(p, l.Prefix)
	default:
		return strings.HasPrefix(p, "global/") || strings.HasPrefix(p, "realms/")
	}
}

// TrackingPath is where the ConfigurationVersionService lives.
func (l Layout) TrackingPath() string {
	if l.Mode == FBC {
		return l.Prefix + "realm/root/configurationversionservice/1.0/globalconfig/default.json"
	}
	return "global/ConfigurationVersionService.json"
}

// EntityPath says where a new entity's file goes.
func (l Layout) EntityPath(e *Entity) string {
	if l.Mode == FBC {
		realmDir := "root"
		if !e.Global && e.Realm != "/" && e.Realm != "" {
			realmDir = "root-" + strings.ReplaceAll(strings.Trim(e.Realm, "/"), "/", "-")
		}
		section := "organizationconfig"
		if e.Global {
			section = "globalconfig"
		}
		segs := idSegments(e.ID)
		for i, s := range segs {
			segs[i] = SanitizeName(strings.ToLower(s))
		}
		return l.Prefix + path.Join(append([]string{"realm", SanitizeName(realmDir), SanitizeName(strings.ToLower(e.Type)), "1.0", section}, segs...)...) + ".json"
	}
	base := "global"
	if !e.Global {
		base = "realms/root"
		if e.Realm != "/" && e.Realm != "" {
			base += "-" + SanitizeName(strings.ReplaceAll(strings.Trim(e.Realm, "/"), "/", "-"))
		}
	}
	name := e.ID
	for _, k := range sortedKeys(e.PathParams) {
		name = e.PathParams[k]
	}
	if name == "" || name == e.Type {
		return path.Join(base, SanitizeName(e.Type)) + ".json"
	}
	return path.Join(base, SanitizeName(e.Type), SanitizeName(name)) + ".json"
}

// idSegments splits an FBC entity id into folder names. A server URL inside
// the id (default/com-sun-identity-servers/http://am:80/am) is one name.
func idSegments(id string) []string {
	if i := strings.Index(id, "://"); i >= 0 {
		head := id[:i]
		j := strings.LastIndex(head, "/")
		var segs []string
		if j >= 0 {
			segs = strings.Split(head[:j], "/")
		}
		return append(segs, id[j+1:])
	}
	return strings.Split(id, "/")
}

// SanitizeName turns an entity id into one safe file or folder name, the way
// the vendor's writer does (http://am:80/am becomes http___am_80_am): no
// separators, no "." or "..", nothing the file system would read as a path.
func SanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == 0 || r < 0x20:
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || out == "." || out == ".." {
		return strings.Repeat("_", max(len(out), 1))
	}
	return out
}
