//go:build !unix

package cli

import "os"

const oNoFollow = 0

// tryLock cannot lock outside Unix: no temporary file is taken for a killed run's.
func tryLock(f *os.File) bool { return false }
