package migrate

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// Service is the schema of one AM service, read from the sunServiceSchema
// value of its version entry (ou=1.0,ou=<service>,ou=services,<base>).
type Service struct {
	Name    string
	Version string
	// Kinds holds the top schema of each kind of configuration: Global,
	// Organization, Dynamic, User, Policy.
	Kinds map[string]*Schema
}

// Schema is the schema of one configuration: its attributes and the
// sub-schemas of the sub-configurations below it.
type Schema struct {
	Name  string // the sub-schema name; the service name for a top schema
	Attrs map[string]*AttrSchema
	Subs  map[string]*Schema
	lower map[string]*AttrSchema // attribute names lower-cased
}

// AttrSchema is one AttributeSchema of a service schema.
type AttrSchema struct {
	Name         string // the LDAP-side name, as stored in sunKeyValue
	Type         string // single, list, single_choice, multiple_choice, signature, validator
	Syntax       string // boolean, number, string, password, script, json, …
	UIType       string // maplist, globalmaplist, …
	ResourceName string // the JSON name, when it differs
	ListOrder    string // insertion, natural
}

// JSONName is the key of the attribute in an FBC file.
func (a *AttrSchema) JSONName() string {
	if a.ResourceName != "" {
		return a.ResourceName
	}
	return a.Name
}

// Attr returns the schema of attribute name, matching the case first, then
// ignoring it (AM's schema lookups ignore case).
func (s *Schema) Attr(name string) *AttrSchema {
	if s == nil {
		return nil
	}
	if a := s.Attrs[name]; a != nil {
		return a
	}
	return s.lower[strings.ToLower(name)]
}

// Sub returns the sub-schema name, matching the case first.
func (s *Schema) Sub(name string) *Schema {
	if s == nil {
		return nil
	}
	if c := s.Subs[name]; c != nil {
		return c
	}
	for n, c := range s.Subs {
		if strings.EqualFold(n, name) {
			return c
		}
	}
	return nil
}

// schemaKinds are the XML elements below <Schema> that hold configuration
// schemas, in the order AM lists them.
var schemaKinds = []string{"Global", "Organization", "Dynamic", "User", "Policy", "Group", "Domain", "Generic"}

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

// ParseServiceSchema reads the XML of a sunServiceSchema value. It returns
// the services it defines (one, in every export seen).
func ParseServiceSchema(data []byte) ([]*Service, error) {
	var doc xmlServices
	d := xml.NewDecoder(bytes.NewReader(data))
	// The XML names AM's DTD in its DOCTYPE; nothing is fetched.
	d.Entity = xml.HTMLEntity
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the service schema XML does not parse: %w", err)
	}
	if len(doc.Services) == 0 {
		return nil, fmt.Errorf("the service schema XML defines no <Service>")
	}
	var out []*Service
	for _, xs := range doc.Services {
		s := &Service{Name: xs.Name, Version: xs.Version, Kinds: map[string]*Schema{}}
		if xs.Schema != nil {
			nodes := []*xmlNode{xs.Schema.Global, xs.Schema.Organization, xs.Schema.Dynamic, xs.Schema.User,
				xs.Schema.Policy, xs.Schema.Group, xs.Schema.Domain, xs.Schema.Generic}
			for i, n := range nodes {
				if n != nil {
					s.Kinds[schemaKinds[i]] = buildSchema(xs.Name, n)
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func buildSchema(name string, n *xmlNode) *Schema {
	s := &Schema{Name: name, Attrs: map[string]*AttrSchema{}, Subs: map[string]*Schema{}, lower: map[string]*AttrSchema{}}
	for _, a := range n.Attrs {
		as := &AttrSchema{Name: a.Name, Type: strings.ToLower(a.Type), Syntax: strings.ToLower(a.Syntax),
			UIType: strings.ToLower(a.UIType), ResourceName: a.ResourceName, ListOrder: a.ListOrder}
		s.Attrs[a.Name] = as
		s.lower[strings.ToLower(a.Name)] = as
	}
	for i := range n.Subs {
		s.Subs[n.Subs[i].Name] = buildSchema(n.Subs[i].Name, &n.Subs[i])
	}
	return s
}
