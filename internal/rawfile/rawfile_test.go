package rawfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadRegular(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "a.json")
	if err := os.WriteFile(p, []byte(`{"a":1}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	data, mode, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		Data string
		Mode fs.FileMode
	}
	if diff := cmp.Diff(file{`{"a":1}`, 0o640}, file{string(data), mode}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
