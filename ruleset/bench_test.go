package ruleset_test

import (
	"io/fs"
	"testing"

	"github.com/amupgrade/amupgrade/rules"
	"github.com/amupgrade/amupgrade/ruleset"
)

// Loading the rules is part of every run's start-up cost.
func BenchmarkParseLatest(b *testing.B) {
	src, _ := fs.ReadFile(rules.FS, "fbc/latest.yaml")
	for b.Loop() {
		if _, err := ruleset.Parse("latest.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBundled(b *testing.B) {
	for b.Loop() {
		if _, err := ruleset.Bundled(); err != nil {
			b.Fatal(err)
		}
	}
}
