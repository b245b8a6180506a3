package migrate

import (
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

// ParseServiceSchema reads the XML of a sunServiceSchema value. It returns
// the services it defines (one, in every export seen).
func ParseServiceSchema(data []byte) ([]*Service, error) {
	out, err := scanServiceSchema(data)
	if err != nil {
		return nil, fmt.Errorf("the service schema XML does not parse: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the service schema XML defines no <Service>")
	}
	return out, nil
}
