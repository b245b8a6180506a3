package ruleset_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// realFBC70 is the real FBC tree of AM 7.0 (a forgeops profile that records
// no version: a user gives --from 7.0.0).
func realFBC70(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "testdata", "real", "fbc-7.0.0-forgeops-cdk", "services")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real tree absent (%v): needs ../shared/testdata/real beside the checkout", err)
	}
	return dir
}

// upgradeFBC runs the FBC chain capped at to over tree, created for AM from
// when it records no version.
func upgradeFBC(t *testing.T, set *ruleset.Set, tree *engine.Tree, from, to string) *engine.Result {
	t.Helper()
	v := engine.MustVersion(to)
	files, err := set.Plan(engine.FBC, engine.MustVersion(from), v)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := set.Compile(files, ruleset.Config{To: v})
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Apply(context.Background(), tree, chain, engine.Options{From: from})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFBCReleaseTargets upgrades the real FBC tree of AM 7.0 to 7.1, 7.2
// and 7.3: each run makes the changes of the releases up to its target and
// none of a later one; the rules that change the tree are those listed.
func TestFBCReleaseTargets(t *testing.T) {
	t.Parallel()
	dir := realFBC70(t)
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	release := map[string]engine.Version{} // rule id → since
	for _, f := range bundledFiles(t, set) {
		if f.Name != "fbc/latest" {
			continue
		}
		for _, r := range f.Rules {
			if r.Since != nil {
				release[r.ID] = r.Since
			} else {
				release[r.ID] = f.To
			}
		}
	}
	rel71 := []string{
		"7.1-token-exchange-grant", "AME-20076", "AME-20143", "AME-20876", "OPENAM-14915", "OPENAM-16536",
		"OPENAM-17047", "OPENAM-17096", "OPENAM-17157", "OPENAM-17287", "OPENAM-17395", "OPENAM-17493",
		"OPENAM-17608", "OPENAM-17666", "fbc-social-provider-jwt-signing-encryption",
	}
	rel72 := []string{
		"AME-21024", "AME-21304", "AME-21305", "AME-21318", "AME-21903", "AME-22018", "AME-22248", "AME-22684",
		"OPENAM-16149", "OPENAM-16863", "OPENAM-17320", "OPENAM-17610", "OPENAM-17698", "OPENAM-18124",
		"OPENAM-18499", "OPENAM-18533", "OPENAM-18701", "OPENAM-19238", "OPENAM-20383", "fbc-cacheadmin-permission",
		// The node services the tree lacks (add-new-service) and the OAuth2 plugins (update-oauth2-plugins-settings).
		"AME-13670", "AME-13690", "AME-21411", "SDKS-1472", "AME-21947",
	}
	rel73 := []string{
		"AME-20656", "AME-22389", "AME-22851", "AME-23589", "AME-23793", "AME-23889", "AME-24033", "AME-24460",
		"OPENAM-19232", "OPENAM-19422", "OPENAM-19488", "OPENAM-20103", "OPENAM-20541", "OPENAM-22900",
	}
	sorted := func(lists ...[]string) []string {
		out := slices.Concat(lists...)
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		to   string
		want []string
	}{
		{"7.1.0", sorted(rel71)},
		{"7.2.0", sorted(rel71, rel72)},
		{"7.3.0", sorted(rel71, rel72, rel73)},
	} {
		t.Run(tc.to, func(t *testing.T) {
			tree, err := engine.ReadTree(context.Background(), dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			res := upgradeFBC(t, set, tree, "7.0.0", tc.to)
			to := engine.MustVersion(tc.to)
			seen := map[string]bool{}
			var got []string
			for _, e := range res.Events {
				rel, ok := release[e.RuleID]
				if !ok || seen[e.RuleID] {
					continue // the service created for --from, or a rule seen before
				}
				seen[e.RuleID] = true
				got = append(got, e.RuleID)
				if to.Less(rel) {
					t.Errorf("--to %s: rule %s of AM %s changed %s", tc.to, e.RuleID, rel, e.File)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("--to %s: the rules that changed the tree differ (-want +got):\n%s", tc.to, diff)
			}
		})
	}
}

// TestFBCReleaseSteps checks that upgrading the real FBC tree of AM 7.0 one
// release at a time (7.1, then 7.2, then 7.3, each run over the files the
// last one wrote) gives the same configuration as one run to 7.3.
func TestFBCReleaseSteps(t *testing.T) {
	t.Parallel()
	dir := realFBC70(t)
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(in, from, to string) map[string][]byte {
		tree, err := engine.ReadTree(ctx, in, 0)
		if err != nil {
			t.Fatal(err)
		}
		out, err := upgradeFBC(t, set, tree, from, to).Render(ctx, engine.RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, f := range out.Files {
			files[f.Path] = f.Data
		}
		return files
	}
	direct := run(dir, "7.0.0", "7.3.0")

	in, from := dir, "7.0.0"
	var stepped map[string][]byte
	for _, to := range []string{"7.1.0", "7.2.0", "7.3.0"} {
		stepped = run(in, from, to)
		in, from = t.TempDir(), to
		for p, data := range stepped {
			p = filepath.Join(in, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(direct)), slices.Sorted(maps.Keys(stepped))); diff != "" {
		t.Fatalf("the files differ (-one run +one run per release):\n%s", diff)
	}
	for p, want := range direct {
		if p == trackingFile {
			continue // appliedRuleIds are recorded in run order
		}
		if diff := cmp.Diff(asSets(t, want), asSets(t, stepped[p])); diff != "" {
			t.Errorf("%s differs between one run to 7.3 and one run per release (-one run +per release):\n%s", p, diff)
		}
	}
}

// asSets decodes a JSON file with every array sorted: AM's multi-valued
// attributes (allow-lists, serverconfig) are sets, and a rule of an earlier
// release that stands late in fbc/latest (OPENAM-20383, placed for the
// order of appliedRuleIds) appends its entry earlier when releases run one
// at a time. Other files compare as their bytes.
func asSets(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return string(data)
	}
	var norm func(any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = norm(e)
			}
		case []any:
			for i, e := range x {
				x[i] = norm(e)
			}
			slices.SortFunc(x, func(a, b any) int {
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				return strings.Compare(string(ja), string(jb))
			})
		}
		return v
	}
	return norm(v)
}

const trackingFile = "realm/root/configurationversionservice/1.0/globalconfig/default.json"
