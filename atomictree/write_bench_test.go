package atomictree

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchTreeFiles is 5,000 files of 4 KiB in 200 folders.
func benchTreeFiles() []File {
	files := make([]File, 5000)
	data := make([]byte, 4096)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	for i := range files {
		files[i] = File{Path: fmt.Sprintf("realm%d/service%03d/entity%04d.json", i%4, i%200, i), Data: data}
	}
	return files
}

// benchRoot is a folder in memory when there is one, so that the figures show the writer's
// cost rather than the disk's.
func benchRoot(b *testing.B) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "amupgrade-bench-")
		if err == nil {
			b.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return b.TempDir()
}

// BenchmarkWriter writes benchTreeFiles through WriteTree (a slice) and through the
// streaming API (8 goroutines putting files as they come, each reusing one buffer): "new" into
// an absent output, "replace" over the same tree, which adds deleting the old one.
func BenchmarkWriter(b *testing.B) {
	files := benchTreeFiles()
	apis := []struct {
		name  string
		write func(b *testing.B, out string)
	}{
		{"WriteTree", func(b *testing.B, out string) {
			if _, err := WriteTree(b.Context(), out, files, Options{Clean: true}); err != nil {
				b.Fatal(err)
			}
		}},
		{"Writer", func(b *testing.B, out string) {
			w, err := NewWriter(b.Context(), out, Options{Clean: true})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Abort()
			if err := putAll(w, files, 8); err != nil {
				b.Fatal(err)
			}
			if _, err := w.Commit(b.Context(), nil); err != nil {
				b.Fatal(err)
			}
		}},
	}
	for _, api := range apis {
		b.Run(api.name+"/new", func(b *testing.B) {
			dir := benchRoot(b)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out := filepath.Join(dir, strconv.Itoa(i))
				api.write(b, out)
				b.StopTimer()
				_ = os.RemoveAll(out)
				b.StartTimer()
			}
		})
		b.Run(api.name+"/replace", func(b *testing.B) {
			out := filepath.Join(benchRoot(b), "out")
			api.write(b, out)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				api.write(b, out)
			}
		})
	}
}
