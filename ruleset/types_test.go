package ruleset

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The table of known entity types is what the generator gives from the
// shared real trees.
func TestKnownTypesCurrent(t *testing.T) {
	real := filepath.Join("..", "..", "shared", "testdata", "real")
	if _, err := os.Stat(real); err != nil {
		t.Skipf("the shared real trees are absent (%v): the table of entity types cannot be checked", err)
	}
	if testing.Short() {
		t.Skip("-short: the generator is not run")
	}
	out := filepath.Join(t.TempDir(), "gen.go")
	cmd := exec.Command("go", "run", "./internal/mktypes", "-real", real, "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("entitytypes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("ruleset/entitytypes_gen.go is stale: run go generate ./ruleset")
	}
}

// A typo in a selector's service gets a warning with the right name; a
// type AM has does not.
func TestUnknownTypes(t *testing.T) {
	t.Parallel()
	src := "from: 8.0.0\nto: 8.1.0\nmode: amster\nrules:\n" +
		"  - id: A\n    select: {service: [OAuth2Provider, Sesion]}\n    do: [{add: {x: 1}}]\n"
	f, err := Parse("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ws := f.UnknownTypes()
	if len(ws) != 1 || ws[0].Error() != `r.yaml:6:40: no AM configuration amupgrade knows has an entity of type "Sesion" in an Amster export: a rule that selects it changes nothing (did you mean "Session"?)` {
		t.Errorf("warnings: %v", ws)
	}
}
