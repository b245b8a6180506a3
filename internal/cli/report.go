package cli

import (
	"context"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/report"
)

// buildReport gathers the report and the manual-step checklist of a run;
// internal/report does the work.
func buildReport(o *options, res *engine.Result, col *report.Collector) (*report.Report, error) {
	action := "write"
	switch {
	case o.diff:
		action = "diff"
	case o.check:
		action = "check"
	case o.dryRun:
		action = "dry-run"
	}
	rpt, err := report.Build(report.Run{
		Result: res, Collector: col, Input: o.in, OutputDir: o.out, Action: action, From: o.fromText,
		ToolVersion: Version, TomcatServerXML: o.tomcatXML, Masker: report.Masker{Show: o.showSecrets},
	})
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return rpt, nil
}

// startProgress starts the progress bar of a run on stderr: on a terminal,
// without -q, for runs that take more than a moment. The log lines printed
// meanwhile erase it first.
func (c *CLI) startProgress(ctx context.Context, o *options, lg *logger) (context.Context, *report.Progress) {
	p := report.NewProgress(c.Stderr, !o.quiet)
	lg.console = p.Writer(lg.console)
	return p.Context(ctx), p
}
