package migrate

import (
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/google/go-cmp/cmp"
)

const testSchemaXML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ServicesConfiguration PUBLIC "=//iPlanet//Service Management Services (SMS) 1.0 DTD//EN" "jar://com/sun/identity/sm/sms.dtd">
<ServicesConfiguration><Service name="ScriptingService" version="1.0"><Schema serviceHierarchy="/DSAMEConfig/ScriptingService">
<Global>
  <AttributeSchema name="defaultContext" type="single" syntax="string"><DefaultValues><Value>a &amp; b</Value></DefaultValues></AttributeSchema>
  <SubSchema name="globalScripts" inheritance="single">
    <SubSchema name="globalScript" inheritance="multiple">
      <AttributeSchema name="script" type="single" syntax="script"/>
      <AttributeSchema name="Is-Enabled" type="single" syntax="boolean" resourceName="enabled"/>
    </SubSchema>
  </SubSchema>
</Global>
<Organization><AttributeSchema name="x" type="list" syntax="number"/></Organization>
</Schema></Service></ServicesConfiguration>`

func TestParseServiceSchema(t *testing.T) {
	t.Parallel()
	svcs, err := ParseServiceSchema([]byte(testSchemaXML))
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].Name != "ScriptingService" || svcs[0].Version != "1.0" {
		t.Fatalf("services %+v", svcs)
	}
	g := svcs[0].Kinds["Global"]
	gs := g.Sub("globalscripts").Sub("globalScript")
	if gs == nil || gs.Name != "globalScript" {
		t.Fatalf("sub-schemas of Global: %+v", g.Subs)
	}
	if a := gs.Attr("is-enabled"); a == nil || a.JSONName() != "enabled" || a.Syntax != "boolean" {
		t.Errorf("Attr(is-enabled) = %+v", a)
	}
	if a := g.Attr("defaultContext"); a == nil || a.JSONName() != "defaultContext" {
		t.Errorf("Attr(defaultContext) = %+v", a)
	}
	if svcs[0].Kinds["Organization"].Attr("x").Type != "list" {
		t.Error("Organization x")
	}
	for _, bad := range []string{`<ServicesConfiguration><Service name="a">`, `<Other/>`, `not xml`} {
		if _, err := ParseServiceSchema([]byte(bad)); err == nil {
			t.Errorf("ParseServiceSchema(%q): no error", bad)
		}
	}
}

func TestTyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		attr   AttrSchema
		values []string
		want   string // the value printed as JSON on one line
		notes  []string
	}{
		{"boolean", AttrSchema{Name: "b", Type: "single", Syntax: "boolean"}, []string{"TRUE"}, `true`, nil},
		{"boolean none", AttrSchema{Name: "b", Type: "single", Syntax: "boolean"}, nil, `null`, nil},
		{"boolean odd", AttrSchema{Name: "b", Type: "single", Syntax: "boolean"}, []string{"yes"}, `false`, []string{"bad-value"}},
		{"number", AttrSchema{Name: "n", Type: "single", Syntax: "number"}, []string{"0042"}, `42`, nil},
		{"number range", AttrSchema{Name: "n", Type: "single_choice", Syntax: "number_range"}, []string{"-5"}, `-5`, nil},
		{"number too big", AttrSchema{Name: "n", Type: "single", Syntax: "numeric"}, []string{"1433147666269"}, `1433147666269`, []string{"bad-value"}},
		{"number bad", AttrSchema{Name: "n", Type: "single", Syntax: "number"}, []string{"abc"}, `"abc"`, []string{"bad-value"}},
		{"decimal", AttrSchema{Name: "d", Type: "single", Syntax: "decimal"}, []string{"2"}, `2.0`, nil},
		{"decimal fraction", AttrSchema{Name: "d", Type: "single", Syntax: "decimal_number"}, []string{"0.25"}, `0.25`, nil},
		{"string", AttrSchema{Name: "s", Type: "single", Syntax: "string"}, []string{"a=b"}, `"a=b"`, nil},
		{"many values for a single", AttrSchema{Name: "s", Type: "single", Syntax: "string"}, []string{"a", "b"}, `"a"`, []string{"many-values"}},
		{"password kept", AttrSchema{Name: "p", Type: "single", Syntax: "password"}, []string{"AQIC5w"}, `"AQIC5w"`, nil},
		{"script as stored", AttrSchema{Name: "script", Type: "single", Syntax: "script"}, []string{"a\nb"}, `"a\nb"`, nil},
		{"json", AttrSchema{Name: "j", Type: "single", Syntax: "json"}, []string{`{"a":[1,true]}`}, `{"a":[1,true]}`, nil},
		{"json bad", AttrSchema{Name: "j", Type: "single", Syntax: "json"}, []string{`{"a":`}, `"{\"a\":"`, []string{"bad-value"}},
		{"list", AttrSchema{Name: "l", Type: "list", Syntax: "string"}, []string{"b", "a"}, `["b","a"]`, nil},
		{"list none", AttrSchema{Name: "l", Type: "multiple_choice", Syntax: "string"}, nil, `[]`, nil},
		{"list of numbers", AttrSchema{Name: "l", Type: "list", Syntax: "number"}, []string{"1", "2"}, `[1,2]`, nil},
		{"maplist", AttrSchema{Name: "m", Type: "list", Syntax: "string", UIType: "maplist"}, []string{"[fr]=Bonjour", " [ en ] = Hello "}, `{"en":"Hello","fr":"Bonjour"}`, nil},
		{"maplist bad", AttrSchema{Name: "m", Type: "list", UIType: "globalmaplist"}, []string{"en=Hello"}, `{}`, []string{"bad-value"}},
		{"unknown type", AttrSchema{Name: "u", Type: "other"}, []string{"a", "b"}, `["a","b"]`, []string{"bad-value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notes []string
			v := typed(&tt.attr, tt.values, func(code, key, msg string) { notes = append(notes, code) })
			if got := compact(v); got != tt.want {
				t.Errorf("typed = %s, want %s", got, tt.want)
			}
			if d := cmp.Diff(tt.notes, notes); d != "" {
				t.Errorf("notices (-want +got):\n%s", d)
			}
		})
	}
}

func compact(v *amjson.Value) string {
	var b strings.Builder
	var w func(v *amjson.Value)
	w = func(v *amjson.Value) {
		switch v.Kind {
		case amjson.Array:
			b.WriteByte('[')
			for i, x := range v.Items {
				if i > 0 {
					b.WriteByte(',')
				}
				w(x)
			}
			b.WriteByte(']')
		case amjson.Object:
			b.WriteByte('{')
			for i, m := range v.Members {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(string(amjson.AppendJSON(nil, amjson.NewString(m.Key), amjson.PrintOptions{}))))
				b.WriteByte(':')
				w(m.Value)
			}
			b.WriteByte('}')
		default:
			b.WriteString(strings.TrimSpace(string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))))
		}
	}
	w(v)
	return b.String()
}

func TestJavaDouble(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{1: "1.0", 0.5: "0.5", -2.25: "-2.25", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 0: "0.0"} {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %s, want %s", f, got, want)
		}
	}
}
