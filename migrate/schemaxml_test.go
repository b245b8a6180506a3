package migrate

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/ldif"
	"github.com/google/go-cmp/cmp"
)

// The oracle: the same schemas decoded by encoding/xml.
type xmlServices struct {
	Services []xmlService `xml:"Service"`
}

type xmlService struct {
	Name    string     `xml:"name,attr"`
	Version string     `xml:"version,attr"`
	Schema  *xmlSchema `xml:"Schema"`
}

type xmlSchema struct {
	Global       *xmlNode `xml:"Global"`
	Organization *xmlNode `xml:"Organization"`
	Dynamic      *xmlNode `xml:"Dynamic"`
	User         *xmlNode `xml:"User"`
	Policy       *xmlNode `xml:"Policy"`
	Group        *xmlNode `xml:"Group"`
	Domain       *xmlNode `xml:"Domain"`
	Generic      *xmlNode `xml:"Generic"`
}

type xmlNode struct {
	Name  string    `xml:"name,attr"`
	Attrs []xmlAttr `xml:"AttributeSchema"`
	Subs  []xmlNode `xml:"SubSchema"`
}

type xmlAttr struct {
	Name         string `xml:"name,attr"`
	Type         string `xml:"type,attr"`
	Syntax       string `xml:"syntax,attr"`
	UIType       string `xml:"uitype,attr"`
	ResourceName string `xml:"resourceName,attr"`
	ListOrder    string `xml:"listOrder,attr"`
}

func oracle(data []byte) ([]*Service, error) {
	var doc xmlServices
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Entity = xml.HTMLEntity
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	var out []*Service
	for _, xs := range doc.Services {
		s := &Service{Name: xs.Name, Version: xs.Version, Kinds: map[string]*Schema{}}
		if xs.Schema != nil {
			for i, n := range []*xmlNode{xs.Schema.Global, xs.Schema.Organization, xs.Schema.Dynamic, xs.Schema.User,
				xs.Schema.Policy, xs.Schema.Group, xs.Schema.Domain, xs.Schema.Generic} {
				if n != nil {
					s.Kinds[schemaKinds[i]] = oracleNode(xs.Name, n)
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func oracleNode(name string, n *xmlNode) *Schema {
	s := newSchema(name)
	for _, a := range n.Attrs {
		as := &AttrSchema{Name: a.Name, Type: strings.ToLower(a.Type), Syntax: strings.ToLower(a.Syntax),
			UIType: strings.ToLower(a.UIType), ResourceName: a.ResourceName, ListOrder: a.ListOrder}
		s.Attrs[a.Name] = as
		s.lower[strings.ToLower(a.Name)] = as
	}
	for i := range n.Subs {
		s.Subs[n.Subs[i].Name] = oracleNode(n.Subs[i].Name, &n.Subs[i])
	}
	return s
}

var schemaCmp = cmp.AllowUnexported(Schema{})

// bigSchema is a schema of the size and shape of AM's largest (some 200 KB:
// default and choice values, comments, entities).
func bigSchema() []byte {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<!DOCTYPE ServicesConfiguration PUBLIC "=//iPlanet//Service Management Services (SMS) 1.0 DTD//EN" "jar://com/sun/identity/sm/sms.dtd">` + "\n")
	sb.WriteString(`<ServicesConfiguration><!-- a comment with <tags> --><Service name="Big" version="1.0"><Schema i18nFileName="x"><Organization>`)
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&sb, "\n  <AttributeSchema name=\"forgerock-big-attr-%d\" type=\"list\" syntax=\"string\" i18nKey=\"a%d\" resourceName=\"attr%d&amp;x\" order=\"%d\">"+
			"<DefaultValues><Value>value one %d &lt;b&gt;</Value><Value><![CDATA[<raw> & text]]></Value></DefaultValues>"+
			"<ChoiceValues><ChoiceValue i18nKey='c'>x</ChoiceValue><ChoiceValue i18nKey=\"d\">y</ChoiceValue></ChoiceValues></AttributeSchema>", i, i, i, i, i)
	}
	sb.WriteString(`<SubSchema name="sub" inheritance="multiple"><AttributeSchema name="s" type="single" syntax="boolean"/><SubSchema name="deeper"><AttributeSchema name="d" type="single" syntax="number"/></SubSchema></SubSchema>`)
	sb.WriteString(`</Organization><Global><AttributeSchema name="g" type="single" syntax="string"/></Global></Schema></Service></ServicesConfiguration>`)
	return []byte(sb.String())
}

// exampleSchemas are the sunServiceSchema values of the example export.
func exampleSchemas(t testing.TB) [][]byte {
	f, err := os.Open(filepath.Join("..", "examples", "ldif", "am-config.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _ := ldif.NewReader(f, "am-config.ldif", nil)
	var out [][]byte
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		for _, a := range e.Attrs {
			if a.Is("sunServiceSchema") {
				out = append(out, a.Value)
			}
		}
	}
	return out
}

func TestScanServiceSchema(t *testing.T) {
	t.Parallel()
	inputs := append([][]byte{[]byte(testSchemaXML), bigSchema()}, exampleSchemas(t)...)
	for i, in := range inputs {
		want, err := oracle(in)
		if err != nil {
			t.Fatalf("input %d: encoding/xml: %v", i, err)
		}
		got, err := scanServiceSchema(in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		if d := cmp.Diff(want, got, schemaCmp); d != "" {
			t.Errorf("input %d (-encoding/xml +scan):\n%s", i, d)
		}
	}
	bad := []struct{ in, err string }{
		{`<A><B></A>`, "line 1: element <B> closed by </A>"},
		{"<A>\n<B>", "line 2: element <B> not closed"},
		{`<A x="1" x="2"/>`, "attribute x given twice in <A>"},
		{`<A x=1/>`, "attribute x of <A>: value not in quotes"},
		{`<A x="&nope;"/>`, "unknown entity &nope;"},
		{`<A/><B/>`, "a second root element <B>"},
		{`<!-- x`, "unterminated comment"},
		{``, "no root element"},
		{`</A>`, "unexpected end tag </A>"},
	}
	for _, tt := range bad {
		_, err := scanServiceSchema([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("scan(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// FuzzScanServiceSchema: where encoding/xml reads a schema, the scanner
// reads the same one.
func FuzzScanServiceSchema(f *testing.F) {
	f.Add([]byte(testSchemaXML))
	f.Add(bigSchema()[:4000])
	for _, s := range exampleSchemas(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := scanServiceSchema(data)
		want, oerr := oracle(data)
		if oerr != nil || err != nil {
			return // the scanner skips text, so it accepts some XML encoding/xml refuses, and the reverse for entities in text
		}
		if d := cmp.Diff(want, got, schemaCmp); d != "" {
			t.Fatalf("(-encoding/xml +scan):\n%s", d)
		}
	})
}

func BenchmarkScanServiceSchema(b *testing.B) {
	data := bigSchema()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scanServiceSchema(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingXMLSchema(b *testing.B) {
	data := bigSchema()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := oracle(data); err != nil {
			b.Fatal(err)
		}
	}
}
