// Package gen builds large file-based configuration (FBC) trees for
// benchmarks from a real AM tree: it copies the tree as it is and adds N
// copies of one realm (/alpha → /alpha1 … /alphaN), rewriting only the
// realm-specific JSON values byte for byte so that every file keeps the
// exact layout of its original.
package gen

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Module is the module path of the repository this tool belongs to.
const Module = "github.com/amupgrade/amupgrade"

// DefaultTemplateRealm is the realm that is copied.
const DefaultTemplateRealm = "alpha"

// DefaultCopies is the number of realm copies made by default.
const DefaultCopies = 150

// Permissions of everything the generator writes. The shared source trees
// are read-only (0444/0555); the output must be removable and writable by
// the benchmarks, so modes are not copied.
const (
	dirPerm  fs.FileMode = 0o755
	filePerm fs.FileMode = 0o644
)

// Options says what to generate.
type Options struct {
	Src    string // root of the source FBC tree (the folder holding services/)
	Out    string // output root; must not exist or be empty
	Copies int    // number of realm copies
	Realm  string // template realm name without '/'; default DefaultTemplateRealm
}

// Stats describes a generated tree.
type Stats struct {
	Copies        int    `json:"copies"`
	Files         int    `json:"files"`          // regular files in the output
	Bytes         int64  `json:"bytes"`          // their total size
	BaseFiles     int    `json:"base_files"`     // files copied as they are
	FilesPerCopy  int    `json:"files_per_copy"` // realm folder files + realm entity
	ChangedValues int    `json:"changed_values"` // JSON values rewritten, all copies
	EntityIDCodec string `json:"entity_id_codec"`
}

// TemplateInfo describes a source tree as seen by the generator.
type TemplateInfo struct {
	BaseFiles    int
	FilesPerCopy int
}

func (o *Options) realm() string {
	if o.Realm == "" {
		return DefaultTemplateRealm
	}
	return o.Realm
}

func entityPath(root, realm string) string {
	return filepath.Join(root, "services", "global", "realms", "root-"+realm+".json")
}

func folderPath(root, realm string) string {
	return filepath.Join(root, "services", "realm", "root-"+realm)
}

// Inspect counts the files of src and of its template realm.
func Inspect(src, realm string) (TemplateInfo, error) {
	if realm == "" {
		realm = DefaultTemplateRealm
	}
	var ti TemplateInfo
	if _, err := os.Stat(entityPath(src, realm)); err != nil {
		return ti, fmt.Errorf("template realm entity: %w", err)
	}
	n, err := countFiles(src)
	if err != nil {
		return ti, err
	}
	m, err := countFiles(folderPath(src, realm))
	if err != nil {
		return ti, fmt.Errorf("template realm folder: %w", err)
	}
	ti.BaseFiles, ti.FilesPerCopy = n, m+1
	return ti, nil
}

// CopiesFor returns the number of copies that brings the tree closest to
// target files (at least 0).
func (ti TemplateInfo) CopiesFor(target int) int {
	if ti.FilesPerCopy <= 0 || target <= ti.BaseFiles {
		return 0
	}
	return int(math.Round(float64(target-ti.BaseFiles) / float64(ti.FilesPerCopy)))
}

func countFiles(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n, err
}

// Generate writes the tree described by o.
func Generate(o Options) (Stats, error) {
	realm := o.realm()
	var st Stats
	if o.Copies < 0 {
		return st, fmt.Errorf("copies must be >= 0, got %d", o.Copies)
	}
	if err := checkPaths(o.Src, o.Out); err != nil {
		return st, err
	}
	for i := 1; i <= o.Copies; i++ {
		name := realm + strconv.Itoa(i)
		if _, err := os.Lstat(entityPath(o.Src, name)); err == nil {
			return st, fmt.Errorf("source already has a realm %q: copies would clash", "/"+name)
		}
		if _, err := os.Lstat(folderPath(o.Src, name)); err == nil {
			return st, fmt.Errorf("source already has a realm folder %q: copies would clash", folderPath(o.Src, name))
		}
	}
	tpl, err := loadTemplate(o.Src, realm)
	if err != nil {
		return st, err
	}
	if err := ensureEmptyDir(o.Out); err != nil {
		return st, err
	}
	n, b, err := CopyTree(o.Src, o.Out)
	if err != nil {
		return st, err
	}
	st.BaseFiles, st.Files, st.Bytes = n, n, b
	st.FilesPerCopy = len(tpl.files) + 1
	st.Copies = o.Copies
	st.EntityIDCodec = tpl.codecName

	type result struct {
		files, changed int
		bytes          int64
		err            error
	}
	jobs := make(chan int)
	results := make([]result, o.Copies+1)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	if workers > o.Copies {
		workers = o.Copies
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f, c, b, err := tpl.writeCopy(o.Out, i)
				results[i] = result{f, c, b, err}
			}
		}()
	}
	for i := 1; i <= o.Copies; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for i := 1; i <= o.Copies; i++ {
		r := results[i]
		if r.err != nil {
			return st, fmt.Errorf("copy %d: %w", i, r.err)
		}
		st.Files += r.files
		st.Bytes += r.bytes
		st.ChangedValues += r.changed
	}
	return st, nil
}

// checkPaths refuses outputs that overlap the source or lie in this
// repository: the generator never writes into the repository.
func checkPaths(src, out string) error {
	if src == "" || out == "" {
		return errors.New("both a source and an output directory are needed")
	}
	as, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	ao, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if within(ao, as) || within(as, ao) {
		return fmt.Errorf("output %s and source %s overlap", ao, as)
	}
	if root, err := FindRepoRoot(filepath.Dir(ao)); err == nil && within(ao, root) {
		return fmt.Errorf("output %s is inside the repository %s; write generated trees elsewhere", ao, root)
	}
	return nil
}

// within reports whether p is dir or below it (both absolute, clean).
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func ensureEmptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, dirPerm)
	case err != nil:
		return err
	case len(ents) > 0:
		return fmt.Errorf("output directory %s is not empty", dir)
	}
	return nil
}

// CopyTree copies the regular files and folders of src into dst (which may
// exist), streaming each file, with modes 0644/0755. It returns the number
// of files and bytes copied.
func CopyTree(src, dst string) (int, int64, error) {
	var files int
	var total int64
	buf := make([]byte, 256<<10)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, dirPerm)
		case d.Type().IsRegular():
			n, err := copyFile(p, target, buf)
			files++
			total += n
			return err
		default:
			return fmt.Errorf("%s: unsupported file type %v", p, d.Type())
		}
	})
	return files, total, err
}

func copyFile(src, dst string, buf []byte) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(out, in, buf)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

type tplFile struct {
	rel  string // relative to the realm folder, slash-separated
	data []byte
	json bool
}

type template struct {
	realm     string
	entity    []byte
	dirs      []string // relative to the realm folder, parents first
	files     []tplFile
	codec     *base64.Encoding
	codecName string
}

func loadTemplate(src, realm string) (*template, error) {
	t := &template{realm: realm}
	var err error
	if t.entity, err = os.ReadFile(entityPath(src, realm)); err != nil {
		return nil, fmt.Errorf("template realm entity: %w", err)
	}
	if t.codec, t.codecName, err = detectEntityIDCodec(filepath.Dir(entityPath(src, realm))); err != nil {
		return nil, err
	}
	root := folderPath(src, realm)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if rel != "." {
				t.dirs = append(t.dirs, rel)
			}
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			t.files = append(t.files, tplFile{rel: rel, data: b, json: strings.HasSuffix(p, ".json")})
		default:
			return fmt.Errorf("%s: unsupported file type %v", p, d.Type())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("template realm folder: %w", err)
	}
	return t, nil
}

// codecs are the base64 variants a realm entityId might use, in order of
// preference when the source tree cannot tell them apart. AM's ids are
// base64url without padding: the root realm "/" is "Lw".
var codecs = []struct {
	name string
	enc  *base64.Encoding
}{
	{"base64url, no padding", base64.RawURLEncoding},
	{"base64url, padded", base64.URLEncoding},
	{"base64 std, no padding", base64.RawStdEncoding},
	{"base64 std, padded", base64.StdEncoding},
}

// detectEntityIDCodec finds the base64 variant that reproduces the entityId
// of every realm entity in dir from its metadata.realm.
func detectEntityIDCodec(dir string) (*base64.Encoding, string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", err
	}
	ok := make([]bool, len(codecs))
	for i := range ok {
		ok[i] = true
	}
	seen := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, "", err
		}
		var doc struct {
			Metadata struct {
				Realm    string `json:"realm"`
				EntityID string `json:"entityId"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, "", fmt.Errorf("%s: %w", e.Name(), err)
		}
		if doc.Metadata.Realm == "" {
			continue
		}
		seen++
		for i, c := range codecs {
			if c.enc.EncodeToString([]byte(doc.Metadata.Realm)) != doc.Metadata.EntityID {
				ok[i] = false
			}
		}
	}
	for i, c := range codecs {
		if ok[i] && seen > 0 {
			return c.enc, c.name, nil
		}
	}
	return nil, "", fmt.Errorf("%s: no base64 variant reproduces the realm entityIds", dir)
}

// Renamer returns the rewrite rules for copy number i.
func (t *template) Renamer(i int) RealmRenamer {
	name := t.realm + strconv.Itoa(i)
	return RealmRenamer{
		Old:         t.realm,
		New:         name,
		EntityIDOld: t.codec.EncodeToString([]byte("/" + t.realm)),
		EntityIDNew: t.codec.EncodeToString([]byte("/" + name)),
	}
}

// writeCopy writes copy i: the realm folder and the realm entity.
func (t *template) writeCopy(out string, i int) (files, changed int, total int64, err error) {
	r := t.Renamer(i)
	dir := folderPath(out, r.New)
	if err := os.Mkdir(dir, dirPerm); err != nil {
		return 0, 0, 0, err
	}
	for _, d := range t.dirs {
		if err := os.Mkdir(filepath.Join(dir, d), dirPerm); err != nil {
			return 0, 0, 0, err
		}
	}
	write := func(path string, data []byte) error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		files++
		total += int64(len(data))
		return err
	}
	for _, f := range t.files {
		data := f.data
		if f.json {
			var n int
			if data, n, err = RewriteStrings(f.data, r.FolderValue); err != nil {
				return files, changed, total, fmt.Errorf("%s: %w", f.rel, err)
			}
			if err := checkLeftovers(data, r.Old); err != nil {
				return files, changed, total, fmt.Errorf("%s: %w", f.rel, err)
			}
			changed += n
		}
		if err := write(filepath.Join(dir, f.rel), data); err != nil {
			return files, changed, total, err
		}
	}
	data, n, err := RewriteStrings(t.entity, r.EntityValue)
	if err != nil {
		return files, changed, total, fmt.Errorf("realm entity: %w", err)
	}
	if err := checkLeftovers(data, r.Old); err != nil {
		return files, changed, total, fmt.Errorf("realm entity: %w", err)
	}
	changed += n
	err = write(entityPath(out, r.New), data)
	return files, changed, total, err
}

// checkLeftovers is a guard: a copy must not name the template realm in
// the forms the rewrite handles.
func checkLeftovers(data []byte, realm string) error {
	for _, s := range Leftovers(realm) {
		if bytes.Contains(data, []byte(s)) {
			return fmt.Errorf("still contains %s after the rewrite", s)
		}
	}
	return nil
}

// Leftovers lists byte strings that must not appear in a copy of realm.
func Leftovers(realm string) []string {
	return []string{
		`"/` + realm + `"`,
		`"/` + realm + `/`,
		`o=` + realm + `,`,
		`realm=` + realm + `"`,
		`realm=` + realm + `&`,
		`realm=/` + realm + `"`,
		`realm=/` + realm + `&`,
	}
}

// FindRepoRoot walks up from start to the folder whose go.mod declares
// Module.
func FindRepoRoot(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(b) == Module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above %s", Module, start)
		}
		dir = parent
	}
}

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// SharedReal is the default location of the real test trees, relative to
// the repository root.
const SharedReal = "../shared/testdata/real"

// DefaultRealDir returns SharedReal resolved against the repository root
// found above the working directory (or relative to the working directory
// when there is none).
func DefaultRealDir() string {
	if root, err := FindRepoRoot("."); err == nil {
		return filepath.Clean(filepath.Join(root, SharedReal))
	}
	return filepath.Clean(SharedReal)
}

// DefaultSrc is the default source tree: fbc-7.5.0-darkedges in
// DefaultRealDir.
func DefaultSrc() string {
	return filepath.Join(DefaultRealDir(), "fbc-7.5.0-darkedges")
}
