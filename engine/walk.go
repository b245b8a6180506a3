package engine

import (
	"runtime"
	"slices"
	"strings"
	"sync"
)

// entryKind is what a directory entry is, as far as a walk cares.
type entryKind uint8

const (
	entryFile  entryKind = iota // a regular file
	entryLink                   // a symbolic link, never followed
	entryOther                  // a device, socket, pipe…
)

// treeEntry is one entry under the walked root (folders are not listed).
type treeEntry struct {
	rel  string // slash-separated, relative to the root
	kind entryKind
}

// dirReader reads one folder (rel, relative to root; "" for root) into the
// entries it holds and its subfolders. Each walker goroutine has its own.
type dirReader interface {
	read(root, rel string) (entries []treeEntry, dirs []string, err error)
}

// walkTree lists every entry under root, reading folders on several
// goroutines: a configuration tree holds about one folder per file, and
// each costs system calls. The result is sorted by path; of several
// unreadable folders, the one first in path order is reported.
func walkTree(root string, newReader func() dirReader) ([]treeEntry, error) {
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		queue   = []string{""}
		active  int
		entries []treeEntry
		failed  = map[string]error{}
	)
	worker := func() {
		r := newReader()
		mu.Lock()
		defer mu.Unlock()
		for {
			for len(queue) == 0 && active > 0 {
				cond.Wait()
			}
			if len(queue) == 0 {
				cond.Broadcast()
				return
			}
			rel := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			active++
			mu.Unlock()
			ents, dirs, err := r.read(root, rel)
			mu.Lock()
			active--
			if err != nil {
				failed[rel] = err
			}
			entries = append(entries, ents...)
			queue = append(queue, dirs...)
			cond.Broadcast()
		}
	}
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), 4)) {
		wg.Go(worker)
	}
	wg.Wait()
	if len(failed) > 0 {
		first := slices.MinFunc(sortedKeys(failed), walkOrder)
		return nil, failed[first]
	}
	slices.SortFunc(entries, func(a, b treeEntry) int { return strings.Compare(a.rel, b.rel) })
	return entries, nil
}

// walkOrder compares slash paths as a depth-first walk meets them, folder
// by folder ("a/x" before "a b/x", which string order puts the other way).
func walkOrder(a, b string) int {
	return strings.Compare(strings.ReplaceAll(a, "/", "\x00"), strings.ReplaceAll(b, "/", "\x00"))
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
