//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package cli

// isTerminal is false where amupgrade cannot ask: no progress bar.
func isTerminal(uintptr) bool { return false }
