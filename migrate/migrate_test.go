package migrate_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/migrate"
	"github.com/amupgrade/amupgrade/tools/fbcldif/ldifgen"
	"github.com/google/go-cmp/cmp"
)

var realLDIFDir = filepath.Join("..", "..", "shared", "testdata", "ldif", "forgeops-am-config-policystore")

func run(t *testing.T, ldif string, opts migrate.Options) (*migrate.Result, map[string][]byte, error) {
	t.Helper()
	var c collect
	res, err := migrate.Migrate(context.Background(), []migrate.Input{memInput("t.ldif", []byte(ldif))}, opts, c.put)
	return res, c.files, err
}

func get(t *testing.T, files map[string][]byte, path string, ptr ...string) *amjson.Value {
	t.Helper()
	src, ok := files[path]
	if !ok {
		t.Fatalf("%s not written", path)
	}
	v, err := amjson.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return v.At(ptr)
}

// TestRealLDIF migrates the real configuration-store LDIF: the dynamic
// subtrees it holds (it is nothing else) are found, named, left out or
// kept; its quirks come out as the facts say.
func TestRealLDIF(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(realLDIFDir); err != nil {
		t.Skipf("real LDIF not available (%v): the shared test data lives beside the repository", err)
	}
	file := func(name string) []migrate.Input {
		in, err := migrate.Inputs(filepath.Join(realLDIFDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	type subtree struct {
		DN      string
		Entries int
	}
	want := map[string][]subtree{
		"external-am-datastore.ldif": {
			{"ou=AgentService,ou=services,ou=am-config", 9}, {"ou=sunEntitlementIndexes,ou=services,ou=am-config", 10},
			{"ou=sunEntitlementService,ou=services,ou=am-config", 23}, {"o=sunamhiddenrealmdelegationservicepermissions,ou=services,ou=am-config", 22},
		},
		"external-am-datastore.2020-04-02.ldif": {
			{"ou=sunEntitlementService,ou=services,ou=am-config", 7}, {"ou=sunEntitlementIndexes,ou=services,ou=am-config", 7},
			{"ou=AgentService,ou=services,ou=am-config", 9},
		},
		"sunamhiddenrealmdelegationservicepermission.ldif": {{"o=sunamhiddenrealmdelegationservicepermissions,ou=services,ou=am-config", 37}},
		"alpha_bravo.ldif": {
			{"ou=sunEntitlementService,ou=services,o=alpha,ou=services,ou=am-config", 9}, {"ou=sunEntitlementIndexes,ou=services,o=alpha,ou=services,ou=am-config", 4},
			{"ou=AgentService,ou=services,o=alpha,ou=services,ou=am-config", 7}, {"ou=sunEntitlementService,ou=services,o=bravo,ou=services,ou=am-config", 9},
			{"ou=sunEntitlementIndexes,ou=services,o=bravo,ou=services,ou=am-config", 4}, {"ou=AgentService,ou=services,o=bravo,ou=services,ou=am-config", 7},
		},
	}
	for name, subtrees := range want {
		_, err := migrate.Migrate(context.Background(), file(name), migrate.Options{}, (&collect{}).put)
		var de *migrate.DynamicError
		if !errors.As(err, &de) {
			t.Fatalf("%s: error %v, want the dynamic data named", name, err)
		}
		var got []subtree
		for _, s := range de.Subtrees {
			got = append(got, subtree{s.DN, s.Entries})
			if !strings.HasSuffix(s.File, name) || s.Line < 1 {
				t.Errorf("%s: subtree %s at %s:%d", name, s.DN, s.File, s.Line)
			}
		}
		if d := cmp.Diff(subtrees, got); d != "" {
			t.Errorf("%s: subtrees (-want +got):\n%s", name, d)
		}
		if !strings.Contains(err.Error(), `step 1, "Separate dynamic data"`) {
			t.Errorf("%s: the error does not name the guide's step: %v", name, err)
		}

		// Left out: only what is not dynamic data is written.
		var c collect
		res, err := migrate.Migrate(context.Background(), file(name), migrate.Options{Dynamic: migrate.DynamicExclude}, c.put)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, s := range subtrees {
			total += s.Entries
		}
		if res.Excluded != total || len(res.Dynamic) != len(subtrees) {
			t.Errorf("%s: %d entries left out in %d subtrees, want %d in %d", name, res.Excluded, len(res.Dynamic), total, len(subtrees))
		}
		for p := range c.files {
			if strings.Contains(strings.ToLower(p), "agentservice") || strings.Contains(strings.ToLower(p), "entitlement") || strings.Contains(p, "hidden") {
				t.Errorf("%s: %s written, though left out", name, p)
			}
		}
	}

	// Kept: the quirks of external-am-datastore.ldif.
	var c collect
	res, err := migrate.Migrate(context.Background(), file("external-am-datastore.ldif"), migrate.Options{Dynamic: migrate.DynamicKeep}, c.put)
	if err != nil {
		t.Fatal(err)
	}
	noEquals := map[string]bool{}
	for _, n := range res.Notices {
		if n.Code == migrate.NoticeNoEquals {
			noEquals[n.Msg[strings.Index(n.Msg, `"`)+1:strings.LastIndex(n.Msg[:strings.Index(n.Msg, " has no")], `"`)]] = true
		}
	}
	for _, v := range []string{"indexCount", "referralIndexCount", "responseAttributes", "listeners"} {
		if !noEquals[v] {
			t.Errorf("the value %q without '=' is not reported (got %v)", v, noEquals)
		}
	}
	// A value with '=' in it is split at the first; "name=" is present with no value.
	rt := "realm/root/sunentitlementservice/1.0/organizationconfig/default/registeredresourcetypes/76656a38-5f8e-401b-83aa-4ccb74ce88d2.json"
	if v := get(t, c.files, rt, "data", "actions"); v == nil || v.Kind != amjson.Array || len(v.Items) != 7 || v.Items[0].Text != "PUT=true" {
		t.Errorf("actions = %v", v.Interface())
	}
	if v := get(t, c.files, rt, "data", "description"); v == nil || v.Text != "The built-in URL Resource Type available to OpenAM Policies." {
		t.Errorf("the folded description = %v", v.Interface())
	}
	// Several ou values are all in metadata.ou, in the export's order.
	var multi []any
	for p, src := range c.files {
		if strings.Contains(p, "alluserreadableservices1") {
			v, _ := amjson.Parse(src)
			multi, _ = v.At([]string{"metadata", "ou"}).Interface().([]any)
		}
	}
	if len(multi) != 9 || multi[0] != "lastmodifiedby=cn=dsameuser,ou=DSAME Users,ou=am-config" || multi[8] != "AllUserReadableServices1" {
		t.Errorf("metadata.ou of a policy entry = %q", multi)
	}
	// An RDN value holding '=' keeps it in the file name.
	found := false
	for p := range c.files {
		found = found || strings.Contains(p, "/ou=am-config^^agentlogging.json")
	}
	if !found {
		t.Error("the entry ou=ou=am-config^^AgentLogging gave no file")
	}

	// The four files as one export: the two versions of one file hold the
	// same entries; each is reported with both places.
	in, err := migrate.Inputs(realLDIFDir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = migrate.Migrate(context.Background(), in, migrate.Options{Dynamic: migrate.DynamicKeep}, (&collect{}).put)
	if err == nil || !strings.Contains(err.Error(), "external-am-datastore.ldif:2: the entry \"ou=services,ou=am-config\" is already at ") ||
		!strings.Contains(err.Error(), "external-am-datastore.2020-04-02.ldif:1;") {
		t.Errorf("the folder as one export: %v", err)
	}
}

const nested = `version: 1

dn: ou=1.0,ou=Svc,ou=services,ou=am-config
sunServiceSchema: <ServicesConfiguration><Service name="Svc" version="1.0"><Schema><Global><AttributeSchema name="top" type="single" syntax="number"/><SubSchema name="groupType"><AttributeSchema name="g" type="single" syntax="boolean"/><SubSchema name="leafType"><AttributeSchema name="leaf-n" type="single" syntax="number" resourceName="n"/></SubSchema></SubSchema></Global></Schema></Service></ServicesConfiguration>

dn: ou=leaf,ou=group,ou=default,ou=GlobalConfig,ou=1.0,ou=Svc,ou=services,ou=am-config
sunserviceID: leafType
sunKeyValue: leaf-n=7
sunKeyValue: stray=x

dn: ou=group,ou=default,ou=GlobalConfig,ou=1.0,ou=Svc,ou=services,ou=am-config
sunserviceID: groupType
sunKeyValue: g=true

dn: ou=default,ou=GlobalConfig,ou=1.0,ou=Svc,ou=services,ou=am-config
sunKeyValue: top=1
`

// TestSubSchemas types a sub-configuration by the sub-schema its parents'
// sunserviceIDs name, whatever the order of the entries in the export.
func TestSubSchemas(t *testing.T) {
	t.Parallel()
	res, files, err := run(t, nested, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	leaf := "realm/root/svc/1.0/globalconfig/default/group/leaf.json"
	if v := get(t, files, leaf, "data", "n"); v == nil || v.Kind != amjson.Number || v.Text != "7" {
		t.Errorf("leaf n = %v", v)
	}
	if v := get(t, files, "realm/root/svc/1.0/globalconfig/default/group.json", "data", "g"); v == nil || v.Kind != amjson.Bool {
		t.Errorf("group g = %v", v)
	}
	if v := get(t, files, "realm/root/svc/1.0/globalconfig/default.json", "data", "top"); v == nil || v.Text != "1" {
		t.Errorf("top = %v", v)
	}
	if v := get(t, files, leaf, "metadata", "realm"); v.Kind != amjson.Null {
		t.Errorf("global configuration realm = %v", v)
	}
	// An attribute its schema lacks: kept untyped, and reported.
	if v := get(t, files, leaf, "data", "stray"); v == nil || v.Text != "x" {
		t.Errorf("stray = %v", v)
	}
	var codes []string
	for _, n := range res.Notices {
		codes = append(codes, n.Code)
		if n.Code == migrate.NoticeNotInSchema && (n.Line != 9 || n.Output != leaf) {
			t.Errorf("notice at line %d of %s", n.Line, n.Output)
		}
	}
	if d := cmp.Diff([]string{migrate.NoticeNotInSchema}, codes); d != "" {
		t.Errorf("notices (-want +got):\n%s", d)
	}
}

func TestSectionsSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "Svc.section.properties")
	os.WriteFile(p, []byte("groupSection=top\n"), 0o644)
	sections, err := migrate.LoadSections(p)
	if err != nil {
		t.Fatal(err)
	}
	_, files, err := run(t, nested, migrate.Options{Sections: sections})
	if err != nil {
		t.Fatal(err)
	}
	if v := get(t, files, "realm/root/svc/1.0/globalconfig/default.json", "data", "groupSection", "top"); v == nil || v.Text != "1" {
		t.Error("top not in its section")
	}
	// Flat: no section.
	_, files, _ = run(t, nested, migrate.Options{Sections: migrate.Flat{}})
	if v := get(t, files, "realm/root/svc/1.0/globalconfig/default.json", "data", "top"); v == nil {
		t.Error("top not at the top level")
	}
}

func TestBaseDN(t *testing.T) {
	t.Parallel()
	two := "dn: ou=services,ou=am-config\nou: services\n\ndn: ou=services,dc=example,dc=com\nou: services\n"
	_, _, err := run(t, two, migrate.Options{})
	if err == nil || !strings.Contains(err.Error(), "more than one configuration") || !strings.Contains(err.Error(), "--baseDn") {
		t.Errorf("two bases: %v", err)
	}
	res, files, err := run(t, two, migrate.Options{BaseDN: "dc=example,dc=com"})
	if err != nil {
		t.Fatal(err)
	}
	if res.BaseDN != "dc=example,dc=com" || res.Outside != 1 || len(files) != 1 {
		t.Errorf("base %s, %d outside, files %v", res.BaseDN, res.Outside, files)
	}
	if _, _, err := run(t, two, migrate.Options{BaseDN: "dc=,"}); err == nil || !strings.Contains(err.Error(), "--baseDn") {
		t.Errorf("bad --baseDn: %v", err)
	}
}

// TestGzip reads an export-ldif -c file, whatever its name.
func TestGzip(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(nested))
	zw.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "export.ldif.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not read"), 0o644)
	in, err := migrate.Inputs(dir)
	if err != nil || len(in) != 1 {
		t.Fatalf("inputs %v, %v", in, err)
	}
	var c collect
	if _, err := migrate.Migrate(context.Background(), in, migrate.Options{}, c.put); err != nil {
		t.Fatal(err)
	}
	_, plain, _ := run(t, nested, migrate.Options{})
	if d := cmp.Diff(plain, c.files); d != "" {
		t.Errorf("gzip and plain differ:\n%s", d)
	}
}

// TestWorkers: the tree and the notices do not depend on the number of
// workers.
func TestWorkers(t *testing.T) {
	t.Parallel()
	realFBCTrees(t) // skips without the shared data
	g, err := ldifgen.New(filepath.Join(realDir, "fbc-7.5.0-darkedges"))
	if err != nil {
		t.Fatal(err)
	}
	var export bytes.Buffer
	g.Write(&export)
	var results []*migrate.Result
	var trees2 []map[string][]byte
	for _, jobs := range []int{1, 4} {
		var c collect
		res, err := migrate.Migrate(context.Background(), []migrate.Input{memInput("x.ldif", export.Bytes())},
			migrate.Options{Dynamic: migrate.DynamicKeep, Jobs: jobs}, c.put)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		trees2 = append(trees2, c.files)
	}
	if d := cmp.Diff(results[0], results[1]); d != "" {
		t.Errorf("results differ (-1 job +4 jobs):\n%s", d)
	}
	if !cmp.Equal(trees2[0], trees2[1]) {
		t.Error("trees differ between 1 and 4 jobs")
	}
}

func TestSinkError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	_, err := migrate.Migrate(context.Background(), []migrate.Input{memInput("t.ldif", []byte(nested))}, migrate.Options{},
		func(*migrate.File) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := migrate.Migrate(ctx, []migrate.Input{memInput("t.ldif", []byte(nested))}, migrate.Options{}, (&collect{}).put); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
