package engine

// TrackingRuleID is the rule id of the changes the engine makes to the
// ConfigurationVersionService: the rule ids it records, the version it
// sets.
const TrackingRuleID = "tracking"

// Counts are the numbers a run's summary gives. The console, the JSON
// report and the HTML page all take them from here, so they agree.
type Counts struct {
	// FilesChanged counts the files whose bytes differ from the input,
	// created and deleted ones included (a renamed file once).
	FilesChanged int
	// FilesByRules counts those a rule (or the tool itself: version
	// tracking, -a) changed, created or deleted; FilesReprinted those that
	// differ only because they were printed in AM's layout.
	FilesByRules, FilesReprinted int
	FilesCreated, FilesDeleted   int
	// Changes counts every change, the version tracking's included; Rules
	// the rules that made one (creating a file included); Tracking the
	// changes of the version tracking, which is not a rule.
	Changes, Rules, Tracking int
	// Recorded, Skipped and Unmatched count Result's lists of rules;
	// Notices the warnings.
	Recorded, Skipped, Unmatched, Notices int
}

// Counts returns the run's numbers.
func (res *Result) Counts() Counts {
	rules := map[string]bool{}
	tracking := 0
	for _, e := range res.Events {
		if e.RuleID == TrackingRuleID {
			tracking++
		} else {
			rules[e.RuleID] = true
		}
	}
	return Counts{
		FilesChanged: res.Differ, FilesByRules: res.Differ - len(res.Reprinted), FilesReprinted: len(res.Reprinted),
		FilesCreated: len(res.Created), FilesDeleted: len(res.Deleted),
		Changes: len(res.Events), Rules: len(rules), Tracking: tracking,
		Recorded: len(res.Recorded), Skipped: len(res.Skipped), Unmatched: len(res.Unmatched), Notices: len(res.Notices),
	}
}
