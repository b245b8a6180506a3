package cli

import (
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/report"
)

// buildReport gathers the report and the manual-step checklist of a run;
// internal/report does the work.
func buildReport(o *options, res *engine.Result, col *report.Collector, ev engine.VersionEvidence) (*report.Report, error) {
	rpt, err := report.Build(report.Run{
		Result: res, Collector: col, Input: o.in, OutputDir: o.out, Action: reportAction(o.diff, o.check, o.dryRun), From: o.fromText, Evidence: ev, Target: target(o, res.Chain),
		ToolVersion: version(), TomcatServerXML: o.tomcatXML, Masker: report.Masker{Show: o.showSecrets},
	})
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return rpt, nil
}

// startProgress starts the progress bar of a run on stderr: on a terminal,
// without -q, for runs that take more than a moment. The log lines printed
// meanwhile erase it first.
func (c *CLI) startProgress(o *options, lg *logger) *Progress {
	p := NewProgress(c.Stderr, !o.quiet)
	lg.console = p.Writer(lg.console)
	return p
}

// target is the release an upgrade goes to: --to, else the last step's.
func target(o *options, chain *engine.Chain) engine.Version {
	if o.to != nil {
		return o.to
	}
	if chain != nil && len(chain.Steps) > 0 {
		return chain.Steps[len(chain.Steps)-1].To
	}
	return nil
}

// reportAction is what a report says the run did: write, diff, check or dry-run.
func reportAction(diff, check, dryRun bool) string {
	switch {
	case diff:
		return "diff"
	case check:
		return "check"
	case dryRun:
		return "dry-run"
	}
	return "write"
}
