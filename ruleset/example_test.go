package ruleset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// A rule file is parsed and checked as a whole; mistakes come back together,
// each with its position.
func ExampleParse() {
	_, err := ruleset.Parse("step.yaml", []byte(`from: 7.1.0
to: 7.2.0
mode: fbc
rules:
  - id: X
    select: {service: OAuth2Provider, scop: realm}
    do:
      - ad: {parRequestUriLifetime: 90}
`))
	fmt.Println(err)
	// Output:
	// step.yaml:6:39: unknown field "scop" in select (did you mean "scope"?)
	// step.yaml:8:9: unknown operation "ad" (did you mean "add"?)
}

// Plan picks the bundled steps between two AM versions.
func ExampleSet_Plan() {
	set, err := ruleset.Bundled()
	if err != nil {
		panic(err)
	}
	files, err := set.Plan(engine.Amster, engine.MustVersion("7.3.0"), engine.MustVersion("8.1.0"))
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	// Output:
	// amster/7.3.x-to-7.4.x
	// amster/7.4.x-to-7.5.x
	// amster/7.5.x-to-8.0.x
	// amster/8.0.x-to-8.1.x
}

// A whole upgrade with the library: compile, read, apply, render.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644)
	}
	write("realm/root/configurationversionservice/1.0/globalconfig/default.json",
		`{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"},
		  "data": {"appliedRuleIds": [], "configurationVersion": "8.0.0.0"}}`)
	write("realm/root/oauth2provider/1.0/organizationconfig/default.json",
		`{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"},
		  "data": {"advancedOAuth2Config": {"parRequestUriLifetime": 90}}}`)

	f, err := ruleset.Parse("step.yaml", []byte(`from: 7.5.0
to: 8.0.0
mode: fbc
rules:
  - id: OPENAM-15410
    tracked: true
    select: {service: OAuth2Provider, scope: realm}
    within: advancedOAuth2Config
    do:
      - add: {includeClientIdClaimInStatelessTokens: false}
`))
	if err != nil {
		panic(err)
	}
	chain, _ := (&ruleset.Set{}).Compile([]*ruleset.File{f}, ruleset.Config{})
	ctx := context.Background()
	tree, _ := engine.ReadTree(ctx, dir, 0)
	res, _ := engine.Apply(ctx, tree, chain, engine.Options{})
	for _, e := range res.Events {
		fmt.Println(e.RuleID, e.Op, e.File, e.Pointer)
	}
	// Output:
	// OPENAM-15410 add realm/root/oauth2provider/1.0/organizationconfig/default.json /data/advancedOAuth2Config/includeClientIdClaimInStatelessTokens
	// tracking add-to-set realm/root/configurationversionservice/1.0/globalconfig/default.json /data/appliedRuleIds
}
