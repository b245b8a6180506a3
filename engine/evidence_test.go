package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// testHints know two tracked rules, of 8.0 and 8.1, and the configuration
// versions of three releases.
var testHints = VersionHints{
	ConfigVersions: map[string]string{"7.2.0": "4.0.0.0", "7.5.0": "8.0.0.0", "8.0.0": "8.0.0.0"},
	RuleRelease: func(id string) Version {
		return map[string]Version{"R80": {8, 0, 0}, "R81": {8, 1, 0}}[id]
	},
}

func amsterFile(av, typ, id string) string {
	return `{"metadata": {"realm": null, "amsterVersion": "` + av + `", "entityType": "` + typ + `", "entityId": "` + id + `", "pathParams": {}}, "data": {"_id": "` + id + `"}}`
}

func fbcFile(md, data string) string {
	return `{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default", "uid": "ou=default", ` + md + ` "pathParams": {}}, "data": ` + data + `}`
}

const (
	fbcTracking    = "realm/root/configurationversionservice/1.0/globalconfig/default.json"
	fbcServerPath  = "realm/root/iplanetamplatformservice/1.0/globalconfig/default/com-sun-identity-servers/server-default.json"
	serverDefaults = `{"metadata": {"realm": null, "entityType": "iPlanetAMPlatformService", "entityId": "default/com-sun-identity-servers/server-default", "uid": "x", "pathParams": {}}, "data": {"serverconfig": ["a=b", "com.iplanet.am.version=ForgeRock Access Management 7.5.0 Build 89116d59 (2024-March-28 14:14)"]}}`
)

// brief is the evidence as the tests compare it: the start, then each clue
// as kind, used, bounds and note.
func (ev VersionEvidence) brief() []string {
	out := []string{"start " + Version(ev.Start).String()}
	for _, c := range ev.Clues {
		s := string(c.Kind) + " " + c.Value
		if c.Used {
			s += " used"
		}
		if c.From != nil {
			s += " from " + c.From.String()
		}
		if c.To != nil {
			s += " to " + c.To.String()
		}
		if c.Note != "" {
			s += ": " + c.Note
		}
		out = append(out, s)
	}
	return out
}

func TestVersionEvidence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tree map[string]string
		want []string
	}{{
		// Some files record a release, others a build token: the tokens are not votes.
		name: "amster votes and tokens",
		tree: map[string]string{
			"global/A.json": amsterFile("6.5.2.2", "A", "A"), "global/B.json": amsterFile("@amsterVersion@", "B", "B"),
			"realms/root/C.json": amsterFile("6.5.2.2", "C", "C"), "realms/root/D.json": amsterFile("${project.version}", "D", "D"),
		},
		want: []string{"start 6.5.2.2", "amster-version 6.5.2.2 in 2, a placeholder or token in 2 used from 6.5.2.2 to 6.5.2.2"},
	}, {
		// Every file holds a placeholder, but the ConfigurationVersionService records the applied rules.
		name: "amster placeholders, tracked ids",
		tree: map[string]string{
			"global/A.json": amsterFile("&{version}", "A", "A"),
			"global/ConfigurationVersionService.json": `{"metadata": {"realm": null, "amsterVersion": "&{version}", "entityType": "ConfigurationVersionService", "entityId": "ConfigurationVersionService", "pathParams": {}}, ` +
				`"data": {"_id": "", "configurationVersion": "5.0.0.0", "appliedRuleIds": ["X-1", "R80"]}}`,
		},
		want: []string{"start 8.0.0",
			"tracking-amster-version &{version}: a placeholder or build token, not a release",
			"amster-version 2 files: every amsterVersion is a placeholder or build token, not a release",
			"applied-rule-ids 2 ids used from 8.0.0: R80 of AM 8.0.0 applied; 1 ids unknown to these rule files",
			"configuration-version 5.0.0.0: no release the rule files know records this configuration version"},
	}, {
		// Files disagree: the release most carry wins.
		name: "amster disagreement",
		tree: map[string]string{
			"global/A.json": amsterFile("7.0.0", "A", "A"), "global/B.json": amsterFile("7.1.0", "B", "B"), "global/C.json": amsterFile("7.1.0", "C", "C"),
		},
		want: []string{"start 7.1.0", "amster-version 7.1.0 in 2, 7.0.0 in 1 used from 7.1.0 to 7.1.0: the files disagree: 7.1.0, which most of them carry, is taken"},
	}, {
		// A tree the vendor tool wrote with -a: the tracking file says the release.
		name: "fbc stamped",
		tree: map[string]string{fbcTracking: fbcFile(`"amsterVersion": "7.4.0",`, `{"configurationVersion": "4.0.0.0"}`), fbcServerPath: serverDefaults},
		want: []string{"start 7.4.0",
			"tracking-amster-version 7.4.0 used from 7.4.0 to 7.4.0",
			"configuration-version 4.0.0.0 from 7.2.0 to 7.2.0: disagrees with the stronger clues (AM 7.4.0): left out",
			"server-version ForgeRock Access Management 7.5.0 Build 89116d59 (2024-March-28 14:14) from 7.5.0 to 7.5.0: disagrees with the stronger clues (AM 7.4.0): left out"},
	}, {
		// The vendor's 8.0 output: tracked ids of 8.0; the server defaults still say 7.5.0.
		name: "fbc stale server version",
		tree: map[string]string{fbcTracking: fbcFile("", `{"configurationVersion": "8.0.0.0", "appliedRuleIds": ["R80"]}`), fbcServerPath: serverDefaults},
		want: []string{"start 8.0.0",
			"applied-rule-ids 1 ids used from 8.0.0: R80 of AM 8.0.0 applied",
			"configuration-version 8.0.0.0 used from 7.5.0 to 8.0.0",
			"server-version ForgeRock Access Management 7.5.0 Build 89116d59 (2024-March-28 14:14) from 7.5.0 to 7.5.0: disagrees with the stronger clues (AM 8.0.0): left out"},
	}, {
		// A fresh install: the configuration version narrows, the server version decides.
		name: "fbc fresh",
		tree: map[string]string{fbcTracking: fbcFile("", `{"configurationVersion": "8.0.0.0", "appliedRuleIds": ["AME-1"]}`), fbcServerPath: serverDefaults},
		want: []string{"start 7.5.0",
			"applied-rule-ids 1 ids: no rule file of this tool knows these ids",
			"configuration-version 8.0.0.0 used from 7.5.0 to 8.0.0",
			"server-version ForgeRock Access Management 7.5.0 Build 89116d59 (2024-March-28 14:14) used from 7.5.0 to 7.5.0"},
	}, {
		name: "nothing",
		tree: map[string]string{"realm/root/x.json": `{"metadata": {"realm": "/", "entityType": "X", "entityId": "default", "uid": "u", "pathParams": {}}, "data": {}}`},
		want: []string{"start "},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			treetest.Make(t, root, tt.tree)
			tree, err := ReadTree(t.Context(), root, 1)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := tree.VersionEvidence(t.Context(), testHints)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ev.brief()); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
		})
	}
}

// An FBC tree is only listed: the evidence reads the tracking file and the
// server defaults, not every file.
func TestVersionEvidenceReadsTwoFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	treetest.Make(t, root, map[string]string{fbcTracking: fbcFile("", `{"configurationVersion": "8.0.0.0"}`), fbcServerPath: serverDefaults,
		"realm/root/other.json": `{"metadata": {"realm": "/", "entityType": "X", "entityId": "default", "uid": "u", "pathParams": {}}, "data": {}}`})
	tree, err := ScanTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.VersionEvidence(t.Context(), testHints); err != nil {
		t.Fatal(err)
	}
	var read []string
	for _, d := range tree.Docs {
		if !d.pending {
			read = append(read, d.Path)
		}
	}
	if want := []string{fbcTracking, fbcServerPath}; !cmp.Equal(want, read) {
		t.Errorf("read %s, want only %s", strings.Join(read, ", "), strings.Join(want, ", "))
	}
}
