package migrate

//go:generate go run ./internal/mksections -real ../../shared/testdata/real -out sections_mined.go

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Sections says which attributes of a configuration AM groups into section
// objects ("coreOAuth2Config": {…}) in its JSON. An attribute with no
// section stays at the top level of data.
type Sections interface {
	// Section returns the section of an attribute of a configuration of
	// service whose schema is subSchema ("" for the service's own schema):
	// ldapName is the attribute's stored name, jsonName its key in the file.
	Section(service, subSchema, ldapName, jsonName string) string
	// Source names where the sections come from, for the report.
	Source() string
}

// Flat is the Sections of a tree written without section objects, as the
// vendor tool writes it without --sectionsSource. AM reads both forms.
type Flat struct{}

func (Flat) Section(_, _, _, _ string) string { return "" }
func (Flat) Source() string                   { return "none (flat)" }

// Mined returns the section tables mined from real AM 7.4–8.0 trees
// (sections_mined.go, made by internal/mksections): for each service and
// sub-schema, the JSON name of each attribute found in a section.
func Mined() Sections { return minedSections{} }

type minedSections struct{}

func (minedSections) Section(service, subSchema, _, jsonName string) string {
	k := strings.ToLower(service)
	if subSchema != "" {
		k += "/" + strings.ToLower(subSchema)
	}
	return minedTable[k][jsonName]
}

func (minedSections) Source() string { return "tables mined from real AM 7.4–8.0 trees" }

// MinedHas reports whether the mined tables know section as a section of
// the configurations of service and subSchema.
func MinedHas(service, subSchema, section string) bool {
	k := strings.ToLower(service)
	if subSchema != "" {
		k += "/" + strings.ToLower(subSchema)
	}
	for _, s := range minedTable[k] {
		if s == section {
			return true
		}
	}
	return false
}

// Properties are sections read from AM's <name>.section.properties files,
// as the vendor tool reads them from --sectionsSource: name is the
// sub-schema's name when the configuration has one, else the service's.
// Their lines are section=attribute, attribute being the stored (LDAP)
// name; lines starting with '#' and empty lines are skipped.
type Properties struct {
	source string
	byName map[string]map[string]string // name → LDAP attribute → section
}

func (p *Properties) Section(service, subSchema, ldapName, _ string) string {
	name := service
	if subSchema != "" {
		name = subSchema
	}
	return p.byName[name][ldapName]
}

func (p *Properties) Source() string { return p.source }

// Names returns the service and sub-schema names the files cover, sorted.
func (p *Properties) Names() []string {
	out := make([]string, 0, len(p.byName))
	for n := range p.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

const sectionSuffix = ".section.properties"

// maxSectionsBytes bounds one section.properties file, and maxJarBytes a
// jar inside a war read into memory.
const (
	maxSectionsBytes = 4 << 20
	maxJarBytes      = 512 << 20
)

// LoadSections reads --sectionsSource: a <name>.section.properties file, a
// folder holding such files (and jars holding them, as an unpacked AM.war
// does), or an AM.war or jar (a zip: its .section.properties entries, and
// those of the jars inside it). A file found twice counts once: the first
// in the order WEB-INF/classes, then the jars, by name (a class loader's).
func LoadSections(src string) (*Properties, error) {
	p := &Properties{source: src, byName: map[string]map[string]string{}}
	st, err := os.Stat(src)
	if err != nil {
		return nil, &Error{File: src, Msg: "--sectionsSource: cannot read it; give a <service>.section.properties file, a folder of them, or an AM.war", Err: err}
	}
	if st.IsDir() {
		err = p.loadDir(src)
	} else {
		err = p.loadFile(src)
	}
	if err != nil {
		return nil, err
	}
	if len(p.byName) == 0 {
		return nil, &Error{File: src, Msg: "--sectionsSource holds no *" + sectionSuffix + " file; give the service's file, a folder of them, or an AM.war that holds them"}
	}
	return p, nil
}

func (p *Properties) loadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return &Error{File: name, Msg: "cannot read it", Err: err}
	}
	defer f.Close()
	var magic [4]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 4 && string(magic[:]) == "PK\x03\x04" {
		st, err := f.Stat()
		if err != nil {
			return &Error{File: name, Err: err}
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return &Error{File: name, Msg: "not a readable zip (war or jar) file", Err: err}
		}
		return p.loadZip(name, zr)
	}
	if !strings.HasSuffix(name, sectionSuffix) {
		return &Error{File: name, Msg: "--sectionsSource: name the file <service>" + sectionSuffix + " (the name says which service or sub-schema it is for), or give a folder of them or an AM.war"}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return &Error{File: name, Err: err}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSectionsBytes+1))
	if err != nil {
		return &Error{File: name, Msg: "cannot read it", Err: err}
	}
	return p.add(name, path.Base(filepath.ToSlash(name)), data)
}

func (p *Properties) loadDir(dir string) error {
	var props, jars []string
	err := filepath.WalkDir(dir, func(pth string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			switch {
			case strings.HasSuffix(d.Name(), sectionSuffix):
				props = append(props, pth)
			case strings.HasSuffix(d.Name(), ".jar"):
				jars = append(jars, pth)
			}
		}
		return nil
	})
	if err != nil {
		return &Error{File: dir, Msg: "cannot read the folder", Err: err}
	}
	sort.Strings(props)
	sort.Strings(jars)
	for _, f := range append(props, jars...) {
		if err := p.loadFile(f); err != nil {
			return err
		}
	}
	return nil
}

// loadZip reads the section files of a war or jar, and of the jars inside.
func (p *Properties) loadZip(name string, zr *zip.Reader) error {
	files := append([]*zip.File(nil), zr.File...)
	rank := func(f *zip.File) int {
		switch {
		case strings.HasPrefix(f.Name, "WEB-INF/classes/"):
			return 0
		case strings.HasSuffix(f.Name, sectionSuffix):
			return 1
		}
		return 2
	}
	sort.SliceStable(files, func(i, j int) bool {
		if ri, rj := rank(files[i]), rank(files[j]); ri != rj {
			return ri < rj
		}
		return files[i].Name < files[j].Name
	})
	for _, f := range files {
		switch {
		case strings.HasSuffix(f.Name, sectionSuffix):
			data, err := readZipFile(f, maxSectionsBytes)
			if err != nil {
				return &Error{File: name + "!" + f.Name, Msg: "cannot read it", Err: err}
			}
			if err := p.add(name+"!"+f.Name, path.Base(f.Name), data); err != nil {
				return err
			}
		case strings.HasSuffix(f.Name, ".jar"):
			data, err := readZipFile(f, maxJarBytes)
			if err != nil {
				return &Error{File: name + "!" + f.Name, Msg: "cannot read the jar", Err: err}
			}
			jr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				continue // not every .jar entry is a jar; AM's are
			}
			if err := p.loadZip(name+"!"+f.Name, jr); err != nil {
				return err
			}
		}
	}
	return nil
}

func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("larger than %d MiB", limit>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("larger than %d MiB", limit>>20)
	}
	return data, err
}

// add reads one section file; base is its file name.
func (p *Properties) add(where, base string, data []byte) error {
	if len(data) > maxSectionsBytes {
		return &Error{File: where, Msg: fmt.Sprintf("larger than %d MiB: not a section.properties file", maxSectionsBytes>>20)}
	}
	name := strings.TrimSuffix(base, sectionSuffix)
	if _, seen := p.byName[name]; seen {
		return nil // a class loader reads the first one
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxSectionsBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		section, attr, ok := strings.Cut(line, "=")
		section, attr = strings.TrimSpace(section), strings.TrimSpace(attr)
		// AM splits at every '=' and takes the first two fields.
		attr, _, _ = strings.Cut(attr, "=")
		if !ok || section == "" || attr == "" {
			return &Error{File: where, Line: n, Msg: fmt.Sprintf("%q is not a section=attribute line; fix the line, or start it with '#'", line)}
		}
		m[attr] = section
	}
	if err := sc.Err(); err != nil {
		return &Error{File: where, Msg: "cannot read it", Err: err}
	}
	p.byName[name] = m
	return nil
}

// Error is a problem with an input of the migration other than the LDIF
// itself (a section source, the options): where, and what to do.
type Error struct {
	File string
	Line int
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s = fmt.Sprintf("%s:%d", s, e.Line)
	}
	if s != "" {
		s += ": "
	}
	s += e.Msg
	if e.Err != nil {
		if e.Msg != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
