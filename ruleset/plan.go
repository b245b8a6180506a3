package ruleset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/rules"
)

// Set is a collection of rule files: the bundled ones, and any others.
type Set struct {
	files []*File
}

// Bundled loads the rule files embedded in the binary.
func Bundled() (*Set, error) {
	return LoadFS(rules.FS, "rules/")
}

// LoadFS indexes every <mode>/<name>.yaml of fsys; prefix is shown in
// messages before each file's path. Only each file's header (the fields
// before rules:) is read here; its rules are parsed and compiled when a run
// uses the file, so a run pays for the steps it needs only.
func LoadFS(fsys fs.FS, prefix string) (*Set, error) {
	s := &Set{}
	var all engine.Errors
	for _, mode := range []string{"amster", "fbc"} {
		names, _ := fs.Glob(fsys, mode+"/*.yaml")
		for _, name := range names {
			src, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			f, err := ParseHeader(prefix+name, src)
			if err != nil {
				all = append(all, errorsOf(err)...)
				continue
			}
			f.Name = strings.TrimSuffix(name, ".yaml")
			f.src = src
			if string(f.Mode) != mode {
				all = append(all, &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: prefix + name}, Msg: fmt.Sprintf("mode %s in the %s folder", f.Mode, mode)})
			}
			s.files = append(s.files, f)
		}
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	return s, s.checkIncludes()
}

// load parses a file's rules if that has not been done yet.
func (f *File) load() error {
	f.once.Do(func() {
		if f.src == nil {
			return
		}
		full, err := parse(f.Path, f.src, true)
		if err != nil {
			f.loadErr = err
			return
		}
		// The header, read by LoadFS, already gave the other fields, which
		// are read meanwhile (VersionHints): only the rules are new.
		f.Rules = full.Rules
		f.exprs = full.exprs
		f.services = full.services
	})
	return f.loadErr
}

func errorsOf(err error) engine.Errors {
	var es engine.Errors
	if errors.As(err, &es) {
		return es
	}
	var e *engine.Error
	if errors.As(err, &e) {
		return engine.Errors{e}
	}
	return engine.Errors{{Code: engine.CodeRule, Msg: err.Error()}}
}

// Files returns the set's files, by mode and name, with their rules. A
// file that does not parse is an error (every such file is reported).
func (s *Set) Files() ([]*File, error) {
	var all engine.Errors
	for _, f := range s.files {
		if err := f.load(); err != nil {
			all = append(all, errorsOf(err)...)
		}
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	return s.sortedFiles(), nil
}

func (s *Set) sortedFiles() []*File {
	out := append([]*File(nil), s.files...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Set) checkIncludes() error {
	var all engine.Errors
	for _, f := range s.files {
		for _, inc := range f.Include {
			g := s.lookup(f.Mode, inc)
			switch {
			case g == nil:
				all = append(all, &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: f.Path}, Msg: fmt.Sprintf("include %q: no such %s step", inc, f.Mode)})
			case g.Composite():
				all = append(all, &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: f.Path}, Msg: fmt.Sprintf("include %q: it includes steps itself; include step files only", inc)})
			}
		}
	}
	return all.Err()
}

// lookup finds a file by name or alias in a mode.
func (s *Set) lookup(mode engine.Mode, name string) *File {
	for _, f := range s.files {
		if f.Mode != mode {
			continue
		}
		if path.Base(f.Name) == name || f.Name == name {
			return f
		}
		for _, a := range f.Aliases {
			if a == name {
				return f
			}
		}
	}
	return nil
}

// Resolve turns a RULES argument into rule files: a path to a YAML file (with
// or without its extension), a folder of them, a bundled name (7.5.x-to-8.1.x,
// fbc/latest), or a vendor .groovy path (rules/fbc/latest.groovy), which maps
// to the bundled equivalent so existing scripts run unchanged.
func (s *Set) Resolve(arg string, mode engine.Mode) ([]*File, error) {
	if !strings.HasSuffix(arg, ".groovy") {
		for _, p := range []string{arg, arg + ".yaml", arg + ".yml"} {
			st, err := os.Stat(p)
			if err != nil {
				continue
			}
			if st.IsDir() {
				return loadDir(p)
			}
			return loadPath(p)
		}
	}
	name := filepath.ToSlash(arg)
	name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, ".groovy"), ".yaml"), ".yml")
	if i := strings.LastIndex(name, "rules/"); i >= 0 {
		name = name[i+len("rules/"):]
	}
	name = strings.TrimPrefix(name, "/")
	m := mode
	if dir, base, ok := strings.Cut(name, "/"); ok {
		switch dir {
		case "amster", "fbc":
			m, name = engine.Mode(dir), base
		}
	}
	if f := s.lookup(m, name); f != nil {
		return []*File{f}, nil
	}
	var names []string
	for _, f := range s.sortedFiles() {
		if f.Mode == m {
			names = append(names, path.Base(f.Name))
		}
	}
	return nil, &engine.Error{Code: engine.CodeRule, Msg: fmt.Sprintf("no rule file %q: not a file here, and no bundled %s step of that name (bundled: %s)", arg, m, strings.Join(names, ", "))}
}

func loadPath(p string) ([]*File, error) {
	f, err := LoadFile(p)
	if err != nil {
		return nil, err
	}
	return []*File{f}, nil
}

// loadDir loads every rule file of a folder, ordered by version step.
func loadDir(dir string) ([]*File, error) {
	var paths []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		paths = append(paths, m...)
	}
	var files []*File
	var all engine.Errors
	for _, p := range paths {
		fs, err := loadPath(p)
		if err != nil {
			all = append(all, errorsOf(err)...)
			continue
		}
		files = append(files, fs...)
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: dir}, Msg: "the folder holds no .yaml rule files"}
	}
	sort.SliceStable(files, func(i, j int) bool {
		if c := files[i].From.Compare(files[j].From); c != 0 {
			return c < 0
		}
		return files[i].To.Less(files[j].To)
	})
	return files, nil
}

// Plan chooses the bundled steps that take a tree from one AM version to
// another. FBC has one cumulative step (fbc/latest); Amster goes one
// release line at a time, and a gap is an error naming the missing step.
func (s *Set) Plan(mode engine.Mode, from, to engine.Version) ([]*File, error) {
	if mode == engine.FBC {
		f := s.lookup(engine.FBC, "latest")
		if f == nil {
			return nil, &engine.Error{Code: engine.CodeRule, Msg: "no bundled fbc/latest rule file"}
		}
		if from != nil && from.Minor().Less(f.From.Minor()) {
			return nil, &engine.Error{Code: engine.CodeRule, Msg: fmt.Sprintf("file-based configuration starts with AM %s; a tree from %s cannot be upgraded with fbc/latest", f.From, from)}
		}
		return []*File{f}, nil
	}
	if from == nil {
		return nil, &engine.Error{Code: engine.CodeInput, Msg: "cannot tell which AM version the export comes from (no amsterVersion in its files); give --from VERSION"}
	}
	var chain []*File
	cur := from.Minor()
	for cur.Less(to.Minor()) {
		var next *File
		for _, f := range s.sortedFiles() {
			if f.Mode != mode || f.Composite() || f.From.Compare(f.To) == 0 || f.From.Minor().Compare(cur) != 0 {
				continue
			}
			if next == nil || f.To.Less(next.To) {
				next = f
			}
		}
		if next == nil {
			return nil, &engine.Error{Code: engine.CodeRule, Msg: fmt.Sprintf("no bundled %s step from %s.x: the chain from %s to %s stops there", mode, cur, from, to)}
		}
		chain = append(chain, next)
		cur = next.To.Minor()
	}
	return chain, nil
}

// Config chooses what of the rule files a run uses.
type Config struct {
	// To caps the run: rules that belong to a later release are left out.
	To engine.Version
	// Groups are the optional rule groups switched on (--with).
	Groups []string
	// Only, when set, keeps just the rules with these ids (--only), so that
	// a rule can be tested on its own.
	Only []string
}

// Compile flattens the files, in order (composite files expanded), into one
// chain, leaving out rules of groups not asked for and rules after To.
func (s *Set) Compile(files []*File, cfg Config) (*engine.Chain, error) {
	if len(files) == 0 {
		return nil, &engine.Error{Code: engine.CodeRule, Msg: "no rule files"}
	}
	chain := &engine.Chain{Mode: files[0].Mode, ConfigVersions: map[string]string{}}
	known := map[string]bool{}
	found := map[string]bool{}
	var expand func(f *File) error
	expand = func(f *File) error {
		if f.Mode != chain.Mode {
			return &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: f.Path}, Msg: fmt.Sprintf("mixes %s and %s rule files in one run", chain.Mode, f.Mode)}
		}
		if f.Composite() {
			for _, inc := range f.Include {
				if err := expand(s.lookup(f.Mode, inc)); err != nil {
					return err
				}
			}
			return nil
		}
		if err := f.load(); err != nil {
			return err
		}
		chain.Steps = append(chain.Steps, engine.Step{Name: f.Name, File: f.Path, From: f.From, To: f.To})
		for k, v := range f.ConfigVersions {
			chain.ConfigVersions[k] = v
		}
		for _, r := range f.Rules {
			if r.Group != "" {
				known[r.Group] = true
			}
			since := r.Since
			if since == nil {
				since = f.To
			}
			if cfg.To != nil && cfg.To.Less(since) {
				continue
			}
			if r.Group != "" && !contains(cfg.Groups, r.Group) && !contains(cfg.Only, r.ID) {
				chain.Optional = append(chain.Optional, engine.OptionalRule{ID: r.ID, Title: r.Title, Group: r.Group})
				continue
			}
			if len(cfg.Only) > 0 {
				if !contains(cfg.Only, r.ID) {
					continue
				}
				found[r.ID] = true
			}
			rule := *r.Rule
			rule.Step = f.Name
			chain.Rules = append(chain.Rules, &rule)
		}
		return nil
	}
	for _, f := range files {
		if err := expand(f); err != nil {
			return nil, err
		}
	}
	for _, id := range cfg.Only {
		if !found[id] {
			return nil, &engine.Error{Code: engine.CodeRule, Msg: fmt.Sprintf("--only %s: no rule of these files has that id (or it belongs to a later release than --to)", id)}
		}
	}
	for _, g := range cfg.Groups {
		if !known[g] {
			var names []string
			for k := range known {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, &engine.Error{Code: engine.CodeRule, Msg: fmt.Sprintf("--with %s: no rule of these files is in that group (groups: %s)", g, strings.Join(names, ", "))}
		}
	}
	return chain, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
