package cli

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"testing"

	"github.com/amupgrade/amupgrade/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*/want with the current output")

// TestGolden runs every case under testdata/golden; see package golden.
func TestGolden(t *testing.T) {
	t.Parallel()
	cases, err := golden.Find(filepath.Join("..", "..", "testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(args []string, stdout, stderr io.Writer) int {
		return (&CLI{Stdout: stdout, Stderr: stderr, noSync: true}).Run(context.Background(), args)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			res := c.Run(run, t.TempDir(), *update)
			for _, u := range res.Updated {
				t.Logf("updated %s", u)
			}
			for _, p := range res.Problems {
				t.Error(p)
			}
		})
	}
}
