package amjson

import (
	"os"
	"testing"
)

// jsonBenchInputs returns the largest .json file of the 7.5.0 tree (a long
// script, the worst case for string scanning) and the whole tree (typical
// small config files, the worst case for per-value costs).
func jsonBenchInputs(b *testing.B) map[string][][]byte {
	b.Helper()
	var all [][]byte
	var largest []byte
	for _, path := range jsonRealFiles(b, "fbc-7.5.0-darkedges") {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, data)
		if len(data) > len(largest) {
			largest = data
		}
	}
	return map[string][][]byte{"largest": {largest}, "tree": all}
}

func jsonTotalSize(files [][]byte) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f))
	}
	return n
}

func BenchmarkParse(b *testing.B) {
	inputs := jsonBenchInputs(b)
	for _, name := range []string{"largest", "tree"} {
		files := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(jsonTotalSize(files))
			b.ReportAllocs()
			for b.Loop() {
				for _, data := range files {
					if _, err := Parse(data); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	inputs := jsonBenchInputs(b)
	for _, name := range []string{"largest", "tree"} {
		files := inputs[name]
		vals := make([]*Value, len(files))
		for i, data := range files {
			v, err := Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			vals[i] = v
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(jsonTotalSize(files))
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				for _, v := range vals {
					buf = AppendJSON(buf[:0], v, PrintOptions{})
				}
			}
		})
	}
}

func BenchmarkReformat(b *testing.B) {
	inputs := jsonBenchInputs(b)
	for _, name := range []string{"largest", "tree"} {
		files := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(jsonTotalSize(files))
			b.ReportAllocs()
			var buf []byte
			var err error
			for b.Loop() {
				for _, data := range files {
					if buf, err = Reformat(buf[:0], data, PrintOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
