//go:build !amupgrade_testhooks

package cli

import "context"

// phasePause is nil in every build but the tests' (see pause_on.go).
var phasePause func(ctx context.Context, phase string)
