package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	// summaryLine is the console's summary of a --check run.
	summaryLine = regexp.MustCompile(`(?m)^(\d+) files? would change by rules \((\d+) created, (\d+) deleted\); (\d+) changes? by (?:(\d+) rules?|the version tracking)` +
		`(?: and the version tracking)?(?:; (\d+) files? would be re-printed in AM's layout[^;]*)?(?:; (\d+) rule ids? recorded)?` +
		`(?:; (\d+) rules? skipped as already applied)?(?:; (\d+) rules? applied to no document)?$`)
	htmlCount = regexp.MustCompile(`id="(count-[a-z-]+)">(\d+)<`)
)

// The console, the JSON report and the HTML page give the same numbers,
// on every real tree.
func TestCountsAgree(t *testing.T) {
	t.Parallel()
	for _, tc := range realTrees(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			js, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
			args := append([]string{"-i", tc.in, "--check", "--report", js}, userArgs(t, tc)...)
			code, stdout, stderr := run(t, args...)
			if code != 0 && code != ExitChanges {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if code, _, stderr := run(t, append([]string{"-i", tc.in, "--check", "--report", html}, userArgs(t, tc)...)...); code != 0 && code != ExitChanges {
				t.Fatalf("HTML run: exit %d\n%s", code, stderr)
			}
			m := summaryLine.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no summary line in:\n%s", stdout)
			}
			num := func(s string) int { n, _ := strconv.Atoi(s); return n }
			console := map[string]int{"files": num(m[1]), "created": num(m[2]), "deleted": num(m[3]), "changes": num(m[4]),
				"rules": num(m[5]), "reprinted": num(m[6]), "recorded": num(m[7]), "skipped": num(m[8]), "unmatched": num(m[9])}

			var r struct {
				Summary struct {
					Changes, FilesChangedByRules, FilesReprinted, FilesCreated, FilesDeleted, RulesWithChanges int
				}
				RecordedRuleIDs, SkippedRuleIDs, UnmatchedRules, Notices []json.RawMessage
			}
			b, err := os.ReadFile(js)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			s := r.Summary
			fromJSON := map[string]int{"files": s.FilesChangedByRules, "created": s.FilesCreated, "deleted": s.FilesDeleted, "changes": s.Changes,
				"rules": s.RulesWithChanges, "reprinted": s.FilesReprinted, "recorded": len(r.RecordedRuleIDs), "skipped": len(r.SkippedRuleIDs),
				"unmatched": len(r.UnmatchedRules)}
			if diff := cmp.Diff(console, fromJSON); diff != "" {
				t.Errorf("console and JSON report disagree (-console +json):\n%s", diff)
			}

			page, err := os.ReadFile(html)
			if err != nil {
				t.Fatal(err)
			}
			shown := map[string]int{}
			for _, m := range htmlCount.FindAllStringSubmatch(string(page), -1) {
				shown[m[1]] = num(m[2])
			}
			fromHTML := map[string]int{"files": shown["count-files-changed"], "created": shown["count-created"], "deleted": shown["count-deleted"],
				"changes": shown["count-changes"], "rules": shown["count-rules"], "reprinted": shown["count-files-reprinted"],
				"recorded": shown["count-recorded"], "skipped": shown["count-skipped"], "unmatched": shown["count-unmatched"]}
			if diff := cmp.Diff(console, fromHTML); diff != "" {
				t.Errorf("console and HTML report disagree (-console +html):\n%s", diff)
			}
			if shown["count-warnings"] != len(r.Notices) {
				t.Errorf("the HTML page shows %d warnings, the JSON report has %d notices", shown["count-warnings"], len(r.Notices))
			}
		})
	}
}
