//go:build !linux

package cli

import "testing"

func testMountPoint(t *testing.T, bin string) { t.Skip("mounts a tmpfs: Linux only") }
