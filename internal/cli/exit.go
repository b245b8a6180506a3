// Package cli is the amupgrade command line: flags, streams, exit codes and
// printing over the engine and ruleset packages. It holds no transformation
// logic. CLI keeps its streams as fields so tests run it in-process.
package cli

// Exit codes.
const (
	ExitOK          = 0   // done
	ExitFailed      = 1   // the upgrade failed: the input tree cannot be upgraded, or the output not written
	ExitUsage       = 2   // bad flags or arguments
	ExitRules       = 3   // a rule file is invalid
	ExitChanges     = 4   // --check: the upgrade would change the configuration
	ExitInterrupted = 130 // stopped by Ctrl-C; nothing was written
)

// usageError is an error in the command line itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
