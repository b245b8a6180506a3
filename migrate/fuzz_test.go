package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/atomictree"
	"github.com/amupgrade/amupgrade/ldif"
	"github.com/amupgrade/amupgrade/migrate"
)

// FuzzMigrate migrates arbitrary input: no panic; an error is one of the
// migration's; every file written is JSON that parses, at a path the tree
// writer accepts.
func FuzzMigrate(f *testing.F) {
	f.Add([]byte(nested))
	f.Add([]byte("dn: ou=services,ou=am-config\nou: services\n\ndn: o=a,ou=services,ou=am-config\no: a\nsunKeyValue: x\n"))
	f.Add([]byte("dn: ou=..,ou=default,ou=GlobalConfig,ou=1.0,ou=S,ou=services,ou=am-config\nsunKeyValue: a=\xff\n"))
	for _, p := range []string{filepath.Join("..", "examples", "ldif", "am-config.ldif")} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	paths, _ := filepath.Glob(filepath.Join(realLDIFDir, "*.ldif"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []migrate.DynamicMode{migrate.DynamicStop, migrate.DynamicKeep} {
			_, err := migrate.Migrate(context.Background(), []migrate.Input{memInput("f.ldif", data)},
				migrate.Options{Dynamic: mode, Jobs: 2, LDIF: &ldif.Options{MaxLine: 1 << 16, MaxEntry: 1 << 18}},
				func(f *migrate.File) error { // called from the workers: no t.Fatal here
					if err := atomictree.CheckTreePath(f.Path); err != nil {
						t.Errorf("path %q of %s: %v", f.Path, f.DN, err)
						return err
					}
					if _, err := amjson.Parse(f.Data); err != nil {
						t.Errorf("%s: the file does not parse: %v\n%s", f.Path, err, f.Data)
						return err
					}
					return nil
				})
			if t.Failed() {
				return
			}
			if err == nil {
				continue
			}
			var es migrate.Errors
			var de *migrate.DynamicError
			var me *migrate.Error
			var le *ldif.Error
			if !errors.As(err, &es) && !errors.As(err, &de) && !errors.As(err, &me) && !errors.As(err, &le) {
				t.Fatalf("error %T: %v", err, err)
			}
		}
	})
}
