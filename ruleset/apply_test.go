package ruleset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// fbcDoc writes an FBC document of the given identity around data.
func fbcDoc(typ, id, realm, data string) string {
	r := "null"
	if realm != "" {
		r = fmt.Sprintf("%q", realm)
	}
	return fmt.Sprintf(`{"metadata": {"realm": %s, "entityType": %q, "entityId": %q, "pathParams": {}}, "data": %s}`, r, typ, id, data)
}

const trackingDoc = `{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"},
 "data": {"_id": "default", "appliedRuleIds": ["OLD-1"], "configurationVersion": "3.0.0.0"}}`

const trackingPath = "realm/root/configurationversionservice/1.0/globalconfig/default.json"

// runRules writes files into an FBC tree, applies the rules (the body of a
// rule file after `rules:`), and returns every output file in compact form.
func runRules(t *testing.T, files map[string]string, rules string, opts engine.Options) (map[string]string, *engine.Result, error) {
	t.Helper()
	if _, ok := files[trackingPath]; !ok {
		files[trackingPath] = trackingDoc
	}
	dir := writeFiles(t, files)
	src := "from: 7.0.0\nto: 8.1.0\nmode: fbc\nrules:\n" + rules
	f, err := ruleset.Parse("test.yaml", []byte(src))
	if err != nil {
		return nil, nil, err
	}
	set := &ruleset.Set{}
	chain, err := set.Compile([]*ruleset.File{f}, ruleset.Config{})
	if err != nil {
		return nil, nil, err
	}
	tree, err := engine.ReadTree(context.Background(), dir, 2)
	if err != nil {
		return nil, nil, err
	}
	res, err := engine.Apply(context.Background(), tree, chain, opts)
	if err != nil {
		return nil, nil, err
	}
	out, err := res.Render(context.Background(), engine.RenderOptions{})
	if err != nil {
		return nil, nil, err
	}
	got := map[string]string{}
	for _, f := range out.Files {
		got[f.Path] = compact(t, f.Data)
	}
	return got, res, nil
}

// writeFiles writes files (slash path → contents) into a new folder and
// returns it.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, s := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// compact prints JSON on one line, keeping key order, so that expectations
// are short and order-sensitive.
func compact(t *testing.T, b []byte) string {
	v, err := amjson.Parse(b)
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return strings.Join(strings.Fields(string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))), " ")
}

func dataOf(t *testing.T, s string) string {
	t.Helper()
	v, err := amjson.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(amjson.AppendJSON(nil, v.Get("data"), amjson.PrintOptions{}))), " ")
}

const oauthPath = "realm/root/oauth2provider/1.0/organizationconfig/default.json"

func TestOperations(t *testing.T) {
	tests := []struct {
		name  string
		data  string // data of an OAuth2Provider realm document
		rules string
		want  string // its data afterwards
	}{
		{
			name: "add only when absent, at the end",
			data: `{"a": 1, "advancedOAuth2Config": {"x": "keep"}}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    within: advancedOAuth2Config
    do:
      - add: {x: "new", parRequestUriLifetime: 90, flag: false, list: [], obj: {}, n: null}`,
			want: `{ "a" : 1, "advancedOAuth2Config" : { "x" : "keep", "parRequestUriLifetime" : 90, "flag" : false, "list" : [ ], "obj" : { }, "n" : null } }`,
		},
		{
			name:  "set replaces in place and appends when absent",
			data:  `{"a": 1, "b": 2}`,
			rules: "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{set: {a: \"one\", c: 3}}]",
			want:  `{ "a" : "one", "b" : 2, "c" : 3 }`,
		},
		{
			name:  "replace leaves absent attributes absent",
			data:  `{"a": 1}`,
			rules: "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{replace: {a: 2, b: 3}}]",
			want:  `{ "a" : 2 }`,
		},
		{
			name:  "delete",
			data:  `{"a": 1, "b": {"c": 2, "d": 3}}`,
			rules: "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{delete: [a, b/c, missing]}]",
			want:  `{ "b" : { "d" : 3 } }`,
		},
		{
			name:  "add-to-set appends what is missing, in order; absent array untouched",
			data:  `{"whiteList": ["a", "b"]}`,
			rules: "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{add-to-set: {whiteList: [b, c, a, d], other: [x]}}]",
			want:  `{ "whiteList" : [ "a", "b", "c", "d" ] }`,
		},
		{
			name:  "remove-from-set",
			data:  `{"s": ["a", "b", "a", "c"]}`,
			rules: "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{remove-from-set: {s: [a, z]}}]",
			want:  `{ "s" : [ "b", "c" ] }`,
		},
		{
			name: "key=value entries: add, replace with guard, remove, rename",
			data: `{"serverconfig": ["a=1", "max=10", "gone=x", "old.key=v", "big=500"]}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    do:
      - add-entries: {serverconfig: {a: "2", new: "n"}}
      - replace-entries: {serverconfig: {max: "100", big: "100"}}
        when: 'isInt(old) && int(old) < 100'
      - remove-entries: {serverconfig: [gone]}
      - rename-entries: {serverconfig: {old.key: new.key}}`,
			want: `{ "serverconfig" : [ "a=1", "max=100", "new.key=v", "big=500", "new=n" ] }`,
		},
		{
			name: "move creates nothing, copies when target absent, deletes source",
			data: `{"advancedOAuth2Config": {"scopeImplementationClass": "C"}, "pluginsConfig": {}}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    within: advancedOAuth2Config
    when: has("scopeImplementationClass")
    do:
      - move: {from: scopeImplementationClass, to: /pluginsConfig/scopeImplementationClass}
      - move: {from: /nothing, to: /pluginsConfig/x}`,
			want: `{ "advancedOAuth2Config" : { }, "pluginsConfig" : { "scopeImplementationClass" : "C" } }`,
		},
		{
			name: "create-within makes the section",
			data: `{"a": 1}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    within: pluginsConfig/inner
    create-within: true
    do: [{add: {x: 1}}]`,
			want: `{ "a" : 1, "pluginsConfig" : { "inner" : { "x" : 1 } } }`,
		},
		{
			name:  "within missing: rule skipped",
			data:  `{"a": 1}`,
			rules: "\n  - id: R1\n    select: {service: OAuth2Provider}\n    within: nope\n    do: [{add: {x: 1}}]",
			want:  `{ "a" : 1 }`,
		},
		{
			name: "computed values: current, original, expr, concatenation",
			data: `{"serverHostname": "ds", "serverPort": 1389, "v": "old"}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    do:
      - set: {v: "new"}
      - add: {serverUrls: !expr 'value("serverHostname") + ":" + string(value("serverPort"))', was: !original v, now: !value v, none: !value missing}
      - delete: [serverHostname, serverPort]`,
			want: `{ "v" : "new", "serverUrls" : "ds:1389", "was" : "old", "now" : "new" }`,
		},
		{
			name: "operation-level when",
			data: `{"a": "SSL", "b": 1}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    do:
      - set: {x: 1}
        when: value("a") == "SSL"
      - set: {y: 1}
        when: value("a") != "SSL"
      - set: {z: 1}
        when: contains("a", "SS") && !has("nope")`,
			want: `{ "a" : "SSL", "b" : 1, "x" : 1, "z" : 1 }`,
		},
		{
			name: "dotted names are one segment; escaped slash",
			data: `{"org.forgerock.a.b": "x", "a/b": 1}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    do: [{set: {org.forgerock.a.b: "y", a~1b: 2}}]`,
			want: `{ "org.forgerock.a.b" : "y", "a/b" : 2 }`,
		},
		{
			name: "selectors: entity id forms and scope",
			data: `{"a": 1}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider, scope: global}
    do: [{set: {global: true}}]
  - id: R2
    select: {service: OAuth2Provider, scope: realm, entityId: {in: [x, default]}, realm: /}
    do: [{set: {realm: true}}]
  - id: R3
    select: {service: [Other, OAuth2Provider], entityId: {matches: 'def.*'}}
    do: [{set: {re: true}}]
  - id: R4
    select: {service: OAuth2Provider, entityId: {not: {contains-fold: DEF}}}
    do: [{set: {not: true}}]`,
			want: `{ "a" : 1, "realm" : true, "re" : true }`,
		},
		{
			name: "parts under one id",
			data: `{"a": 1}`,
			rules: `
  - id: R1
    parts:
      - select: {service: OAuth2Provider}
        do: [{add: {p1: 1}}]
      - select: {service: Nothing}
        do: [{add: {p2: 2}}]
      - select: {service: OAuth2Provider}
        when: has("p1")
        do: [{add: {p3: 3}}]`,
			want: `{ "a" : 1, "p1" : 1, "p3" : 3 }`,
		},
		{
			name: "version gates see set-version in order",
			data: `{}`,
			rules: `
  - id: R1
    select: {service: OAuth2Provider}
    version-before: 3.0.0.1
    do: [{add: {before: true}}]
  - id: V
    set-version: 5.0.0.0
  - id: R2
    select: {service: OAuth2Provider}
    version-before: 4.0.0.0
    do: [{add: {after: true}}]
  - id: R3
    select: {service: OAuth2Provider}
    version-before: [6.0.0.0, 5.2.0.0]
    do: [{add: {branch: true}}]
  - id: R4
    select: {service: OAuth2Provider}
    version-before: [6.0.0.0, 4.2.0.0]
    do: [{add: {other-branch: true}}]`,
			want: `{ "before" : true, "branch" : true }`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := runRules(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", tt.data)}, tt.rules, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, dataOf(t, got[oauthPath])); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteInstanceAndCreate(t *testing.T) {
	files := map[string]string{
		"realm/root/soapsecuritytokenservice.json":                                      fbcDoc("SoapSecurityTokenService", "SoapSecurityTokenService", "/", `{"_id": "x"}`),
		"realm/root/soapsecuritytokenservice/1.0/organizationconfig/defaultconfig.json": fbcDoc("SoapSecurityTokenService", "defaultconfig", "/", `{}`),
	}
	rules := `
  - id: DEL
    select: {service: SoapSecurityTokenService}
    do: [{delete-instance: true}]
  - id: NEW
    create:
      service: ScriptingService
      entityId: default/SCRIPTED_DECISION_NODE
      metadata: {sunServiceID: scriptContext}
      data: {_id: default/SCRIPTED_DECISION_NODE, languages: [JAVASCRIPT]}
  - id: AFTER
    select: {service: ScriptingService, entityId: default/SCRIPTED_DECISION_NODE}
    do: [{add: {seen: true}}]`
	got, res, err := runRules(t, files, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	newPath := "realm/root/scriptingservice/1.0/globalconfig/default/scripted_decision_node.json"
	wantNew := `{ "metadata" : { "realm" : null, "entityType" : "ScriptingService", "entityId" : "default/SCRIPTED_DECISION_NODE", "uid" : "ou=SCRIPTED_DECISION_NODE,ou=default,ou=GlobalConfig,ou=1.0,ou=ScriptingService,ou=services,ou=am-config", "sunServiceID" : "scriptContext", "objectClass" : [ "sunServiceComponent", "top" ], "pathParams" : { }, "ou" : [ "SCRIPTED_DECISION_NODE" ] }, "data" : { "_id" : "default/SCRIPTED_DECISION_NODE", "languages" : [ "JAVASCRIPT" ], "seen" : true } }`
	if diff := cmp.Diff(wantNew, got[newPath]); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"realm/root/soapsecuritytokenservice.json", "realm/root/soapsecuritytokenservice/1.0/organizationconfig/defaultconfig.json"}, res.Deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{newPath}, res.Created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	// A second run finds the entity and creates nothing.
	files2 := map[string]string{newPath: got[newPath], trackingPath: got[trackingPath]}
	_, res2, err := runRules(t, files2, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Created) != 0 || len(res2.Events) != 0 {
		t.Errorf("second run: created %v, events %v", res2.Created, res2.Events)
	}
}

func TestTracking(t *testing.T) {
	rules := `
  - id: OLD-1
    tracked: true
    select: {service: OAuth2Provider}
    do: [{set: {old: true}}]
  - id: NEW-1
    tracked: true
    select: {service: OAuth2Provider}
    do: [{add: {new: true}}]
  - id: RECORD-ONLY
    tracked: true
  - id: UNTRACKED
    select: {service: OAuth2Provider}
    do: [{add: {u: true}}]
  - id: V
    set-version: 6.0.0.0`
	files := map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", `{}`)}
	got, res, err := runRules(t, files, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{ "_id" : "default", "appliedRuleIds" : [ "OLD-1", "NEW-1", "RECORD-ONLY" ], "configurationVersion" : "6.0.0.0" }`, dataOf(t, got[trackingPath])); diff != "" {
		t.Errorf("tracking (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`{ "new" : true, "u" : true }`, dataOf(t, got[oauthPath])); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"OLD-1"}, res.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	// Second run: everything recorded, nothing changes.
	_, res2, err := runRules(t, map[string]string{oauthPath: got[oauthPath], trackingPath: got[trackingPath]}, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Events) != 0 {
		t.Errorf("second run changed: %+v", res2.Events)
	}
}

func TestMissingTracking(t *testing.T) {
	files := map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", `{}`), trackingPath: `{"metadata": {"realm": null, "entityType": "Other", "entityId": "x"}, "data": {}}`}
	_, _, err := runRules(t, files, "  - {id: A, tracked: true}\n", engine.Options{})
	want := trackingPath + ": missing: the tree has no ConfigurationVersionService, so amupgrade cannot tell which rules were already applied, " +
		"and nothing else in it records the AM version it comes from (metadata.amsterVersion of the files, com.iplanet.am.version of the server defaults in " +
		"realm/root/iplanetamplatformservice/1.0/globalconfig/default/com-sun-identity-servers/server-default.json). " +
		"Give --from VERSION (the AM version this configuration comes from) to create it, or --ignoreNoRuleTracking to run every rule without tracking"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	// --ignoreNoRuleTracking: runs, records nothing.
	if _, res, err := runRules(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", `{}`), trackingPath: files[trackingPath]}, "  - {id: A, tracked: true}\n", engine.Options{IgnoreNoRuleTracking: true}); err != nil || len(engine.NoticesOf(res.Notices, engine.NoticeTracking)) == 0 {
		t.Fatalf("ignore: err %v, result %v", err, res)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
	}{
		{"unknown field", "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrulez: []\n",
			"test.yaml:1:1: the rule file has no rules; add `rules: []` for a step that changes nothing\ntest.yaml:4:1: unknown field \"rulez\" in the rule file (did you mean \"rules\"?)"},
		{"unknown op and bad expr", "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    when: hass(\"x\")\n    do:\n      - ad: {x: 1}\n",
			"test.yaml:7:11: expression \"hass(\\\"x\\\")\": unknown name hass\ntest.yaml:9:9: unknown operation \"ad\" (did you mean \"add\"?)"},
		{"bad pointer, wrong type, duplicate id", "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    do: [{delete: [\"a~2\"]}]\n  - id: A\n    select: {service: S, scope: [x]}\n    do: []\n",
			"test.yaml:7:20: path \"a~2\": invalid JSON pointer \"/a~2\": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key\ntest.yaml:8:5: rule id \"A\" is used twice (first at line 5); ids are unique in a file: use parts for several selectors under one id\ntest.yaml:9:33: scope must be a string, not a list"},
		{"number forms", "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    do: [{add: {x: 0x10}}]\n",
			"test.yaml:7:20: number 0x10: write numbers in plain decimal (JSON) form, or quote it to make a string"},
		{"yaml syntax", "from: [\n", "test.yaml:1:1: YAML syntax: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ruleset.Parse("test.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// A value AM resolves at start-up (&{…}, or a $inline / $string … wrapper) is
// never overwritten by accident: it is kept and reported, unless the rule
// says replace-placeholder.
func TestPlaceholdersKept(t *testing.T) {
	data := `{"a": "&{am.x|1}", "b": {"$inline": "serverconfig.xml"}, "c": "plain", "d": "&{am.d}", "s": ["k=&{am.k}", "j=1"]}`
	rules := `
  - id: P
    select: {service: OAuth2Provider}
    do:
      - replace: {a: "x", b: "y", c: "z"}
      - set: {d: "new"}
        replace-placeholder: true
      - replace-entries: {s: {k: "2", j: "2"}}`
	got, res, err := runRules(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", data)}, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{ "a" : "&{am.x|1}", "b" : { "$inline" : "serverconfig.xml" }, "c" : "z", "d" : "new", "s" : [ "k=&{am.k}", "j=2" ] }`
	if diff := cmp.Diff(want, dataOf(t, got[oauthPath])); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	wantKept := []string{
		`rule P: realm/root/oauth2provider/1.0/organizationconfig/default.json at /data/a: holds a placeholder ("&{am.x|1}"): kept; write replace-placeholder: true in the rule to replace it`,
		`rule P: realm/root/oauth2provider/1.0/organizationconfig/default.json at /data/b: holds a placeholder ({ "$inline" : "serverconfig.xml" }): kept; write replace-placeholder: true in the rule to replace it`,
		`rule P: realm/root/oauth2provider/1.0/organizationconfig/default.json at /data/s/0: holds a placeholder ("k=&{am.k}"): kept; write replace-placeholder: true in the rule to replace it`,
	}
	var kept []string
	for _, n := range engine.NoticesOf(res.Notices, engine.NoticeKeptPlaceholder) {
		kept = append(kept, n.String())
	}
	if diff := cmp.Diff(wantKept, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}

// Placeholders inside a value an operation replaces are kept too, at any
// depth: an array that holds one, an object that holds a wrapper; and a list
// AM makes at start-up ({"$list": "&{…}"}) is not added to. A tracked run
// whose appliedRuleIds is such a list records nothing and says so.
func TestPlaceholdersKeptDeep(t *testing.T) {
	t.Parallel()
	data := `{"arr": ["a", "&{am.arr}"], "obj": {"x": 1, "y": {"$string": "&{am.y}"}}, "same": ["&{am.s}", "old"],` +
		` "list": {"$list": "&{am.list|a,b}"}, "conf": {"$list": "&{am.conf}"}}`
	rules := `
  - id: P
    tracked: true
    select: {service: OAuth2Provider}
    do:
      - set: {arr: ["b"], obj: {"x": 2}, same: ["&{am.s}", "new"]}
      - add-to-set: {list: ["c"]}
      - add-entries: {conf: {k: v}}`
	files := map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", data),
		trackingPath: strings.Replace(trackingDoc, `["OLD-1"]`, `{"$list": "&{am.applied}"}`, 1)}
	got, res, err := runRules(t, files, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{ "arr" : [ "a", "&{am.arr}" ], "obj" : { "x" : 1, "y" : { "$string" : "&{am.y}" } }, "same" : [ "&{am.s}", "new" ], "list" : { "$list" : "&{am.list|a,b}" }, "conf" : { "$list" : "&{am.conf}" } }`
	if diff := cmp.Diff(want, dataOf(t, got[oauthPath])); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	const file = "realm/root/oauth2provider/1.0/organizationconfig/default.json"
	wantKept := []string{
		`realm/root/configurationversionservice/1.0/globalconfig/default.json at /data/appliedRuleIds: holds a placeholder ({ "$list" : "&{am.applied}" }): kept, so the 1 rules applied now are not recorded and would apply again; write the list out to track them`,
		`rule P: ` + file + ` at /data/arr/1: holds a placeholder ("&{am.arr}"): kept; write replace-placeholder: true in the rule to replace it`,
		`rule P: ` + file + ` at /data/conf: holds a placeholder ({ "$list" : "&{am.conf}" }): kept; write replace-placeholder: true in the rule to replace it`,
		`rule P: ` + file + ` at /data/list: holds a placeholder ({ "$list" : "&{am.list|a,b}" }): kept; write replace-placeholder: true in the rule to replace it`,
		`rule P: ` + file + ` at /data/obj/y: holds a placeholder ({ "$string" : "&{am.y}" }): kept; write replace-placeholder: true in the rule to replace it`,
	}
	var kept []string
	for _, n := range engine.NoticesOf(res.Notices, engine.NoticeKeptPlaceholder) {
		kept = append(kept, n.String())
	}
	if diff := cmp.Diff(wantKept, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if len(res.Recorded) != 0 || strings.Contains(got[trackingPath], `"P"`) {
		t.Errorf("recorded %v into a placeholder list: %s", res.Recorded, got[trackingPath])
	}
}

// JSON in the tree that is not AM configuration is named, with why, and no
// rule changes it: a top-level array, no metadata or data object, a realm
// that is not text.
func TestNotConfiguration(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"realm/root/a/array.json":   `[{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"}, "data": {}}]`,
		"realm/root/a/nometa.json":  `{"data": {"x": 1}}`,
		"realm/root/a/nodata.json":  `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "nodata"}}`,
		"realm/root/a/realm.json":   `{"metadata": {"realm": ["/"], "entityType": "OAuth2Provider", "entityId": "realm"}, "data": {}}`,
		"realm/root/a/typenum.json": `{"metadata": {"realm": "/", "entityType": 7, "entityId": "x"}, "data": {}}`,
		oauthPath:                   fbcDoc("OAuth2Provider", "default", "/", `{}`),
	}
	rules := `
  - id: R
    select: {service: OAuth2Provider}
    do:
      - add: {touched: true}`
	got, res, err := runRules(t, files, rules, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for p, text := range got {
		if strings.Contains(text, "touched") && p != oauthPath {
			t.Errorf("rule R changed %s, which is not configuration: %s", p, text)
		}
	}
	if !strings.Contains(got[oauthPath], "touched") {
		t.Error("rule R did not change the one configuration file")
	}
	var notes []string
	for _, n := range engine.NoticesOf(res.Notices, engine.NoticeNotConfiguration) {
		notes = append(notes, n.String())
	}
	const tail = "; no rule changes it (it is checked as JSON and re-printed)"
	want := []string{
		"realm/root/a/array.json: not an AM configuration file: the top level is an array, not an object with metadata and data" + tail,
		"realm/root/a/nodata.json: not an AM configuration file: it has no data object" + tail,
		"realm/root/a/nometa.json: not an AM configuration file: it has no metadata object" + tail,
		"realm/root/a/realm.json: not an AM configuration file: metadata.realm is neither text nor null" + tail,
		"realm/root/a/typenum.json: not an AM configuration file: metadata.entityType is not text" + tail,
	}
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}
