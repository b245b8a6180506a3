//go:build amupgrade_testhooks

package cli

import (
	"context"
	"os"
	"time"
)

// phasePause exists only in a binary built with -tags amupgrade_testhooks, which TestBinary
// builds: with AMUPGRADE_TEST_PAUSE_AT naming a phase ("reading", "writing"), the run waits
// there, after printing the phase's line, until it is interrupted or a minute has passed. A
// test's Ctrl-C then lands in that phase however fast the machine writes, where without the
// pause a run on a RAM disk is over before the signal arrives.
func phasePause(ctx context.Context, phase string) {
	if os.Getenv("AMUPGRADE_TEST_PAUSE_AT") != phase {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
	}
}
