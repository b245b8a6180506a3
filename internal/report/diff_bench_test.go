package report

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/amupgrade/amupgrade/engine"
)

// bigFile returns a JSON file of about size bytes, one attribute a line, and a copy in which
// one line in every `every` is changed (every = 1: all of them).
func bigFile(size, every int) (old, new []byte) {
	var a, b bytes.Buffer
	a.WriteString("{\n  \"data\" : {\n")
	b.WriteString("{\n  \"data\" : {\n")
	for i := 0; a.Len() < size; i++ {
		fmt.Fprintf(&a, "    \"attribute%08d\" : \"value number %d of the old file\",\n", i, i)
		if i%every == 0 {
			fmt.Fprintf(&b, "    \"attribute%08d\" : \"value number %d of the new file\",\n", i, i)
		} else {
			fmt.Fprintf(&b, "    \"attribute%08d\" : \"value number %d of the old file\",\n", i, i)
		}
	}
	a.WriteString("    \"last\" : true\n  }\n}\n")
	b.WriteString("    \"last\" : true\n  }\n}\n")
	return a.Bytes(), b.Bytes()
}

// BenchmarkDiff diffs one large file, with a few lines changed and with every line changed:
// "go-internal" is rogpeppe/go-internal's diff.Diff, which unifiedDiff replaced; "ours" is
// unifiedDiff; "collector" is what --diff does with a file, unifiedDiff and the masking of
// secrets. 200 MB is beyond maxDiffBytes: ours gives a note.
//
//	go test ./internal/report -run '^$' -bench BenchmarkDiff -benchmem -benchtime 1x
func BenchmarkDiff(b *testing.B) {
	for _, size := range []int{2 << 20, 14 << 20, 200 << 20} {
		for _, every := range []int{100000, 1} {
			old, new := bigFile(size, every)
			changed := "few-lines"
			if every == 1 {
				changed = "every-line"
			}
			for _, impl := range []string{"go-internal", "ours", "collector"} {
				b.Run(fmt.Sprintf("%dMB/%s/%s", size>>20, changed, impl), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(old) + len(new)))
					for b.Loop() {
						switch impl {
						case "go-internal":
							diff.Diff("a/big.json", old, "b/big.json", new)
						case "ours":
							unifiedDiff("a/big.json", old, "b/big.json", new)
						case "collector":
							c := NewCollector(engine.FBC, DiffChanged, Masker{})
							c.Observe(&engine.FileResult{Path: "big.json", In: old, Out: new, JSON: true})
							if len(c.Diffs()) != 1 {
								b.Fatal("no diff")
							}
						}
					}
				})
			}
		}
	}
}
