package migrate

import (
	"encoding/base64"
	"strings"

	"github.com/amupgrade/amupgrade/ldif"
)

// What an entry of the configuration store becomes.
type kind uint8

const (
	kindOutside   kind = iota // not under <base>/ou=services: not configuration
	kindBase                  // the base entry itself: realm/root.json
	kindRealm                 // a realm (ou=services,<base>, or o=X,…): global/realms/…
	kindStructure             // a sub-realm's ou=services, or a fixed container: no file
	kindSchema                // ou=1.0,ou=<service>: the schema, read, no file
	kindService               // ou=<service>: realm/<realm>/<service>.json
	kindConfig                // below a container (or an unknown one): a file
)

// containers maps the fixed containers below a service's version entry to
// the schema kind their configurations follow ("" for none: plugin
// schemas, service instances).
var containers = map[string]string{
	"globalconfig":       "Global",
	"organizationconfig": "Organization",
	"dynamicconfig":      "Dynamic",
	"userconfig":         "User",
	"policyconfig":       "Policy",
	"pluginconfig":       "",
	"instances":          "",
}

// place is where an entry goes, worked out from its DN alone.
type place struct {
	kind    kind
	realm   []string // realm path elements ("alpha"), nil for /
	service string   // as in the DN: OAuth2Provider
	version string
	// container is the name of the fixed container (GlobalConfig, …) as in
	// the DN, or "" for an entry directly below the version entry that is no
	// container AM has (unknown is then set).
	container string
	unknown   string
	// below holds the RDN values under the container, top first: default,
	// then the sub-configurations down to the entry.
	below []string
	// rdns is the count of RDNs from the service down to the entry; the
	// entry's DN minus those is the realm's ou=services entry.
	rdns int
}

// locate places dn, which lies under base (checked by the caller), by the
// layout of AM's SMS tree: ou=services,<base> is the root realm; o=X,
// ou=services,… a sub-realm with its own ou=services; ou=<service>,
// ou=<version>, a container, then the configurations.
func locate(dn, base ldif.DN) place {
	if len(dn) == 0 {
		return place{kind: kindOutside} // the root DSE is no configuration
	}
	rel := dn[:len(dn)-len(base)] // leaf first
	n := len(rel)
	at := func(i int) ldif.RDN { return rel[n-1-i] } // root first
	if n == 0 {
		return place{kind: kindBase}
	}
	if !at(0).Is("ou", "services") {
		return place{kind: kindOutside}
	}
	var realm []string
	i := 1
	for {
		if i == n {
			return place{kind: kindRealm, realm: realm}
		}
		if v, ok := at(i).Of("o"); ok {
			realm = append(realm, v)
			i++
			if i == n {
				return place{kind: kindRealm, realm: realm}
			}
			if !at(i).Is("ou", "services") {
				return place{kind: kindOutside, realm: realm}
			}
			i++
			if i == n {
				return place{kind: kindStructure, realm: realm}
			}
			continue
		}
		break
	}
	svc, ok := at(i).Of("ou")
	if !ok {
		return place{kind: kindOutside, realm: realm}
	}
	p := place{realm: realm, service: svc, rdns: n - i}
	if i == n-1 {
		p.kind = kindService
		return p
	}
	p.version = at(i + 1).Value()
	if i+1 == n-1 {
		p.kind = kindSchema
		return p
	}
	c := at(i + 2).Value()
	if _, known := containers[strings.ToLower(c)]; known {
		p.container = c
		if i+2 == n-1 {
			p.kind = kindStructure
			return p
		}
		for j := i + 3; j < n; j++ {
			p.below = append(p.below, at(j).Value())
		}
	} else {
		p.unknown = c
		for j := i + 2; j < n; j++ {
			p.below = append(p.below, at(j).Value())
		}
	}
	p.kind = kindConfig
	return p
}

// realmPath is the realm's path: "/" or "/alpha/beta".
func (p *place) realmPath() string {
	return "/" + strings.Join(p.realm, "/")
}

// realmDir is the realm's folder name below realm/ (and its file name in
// global/realms): root, root-alpha, root-alpha-beta.
func (p *place) realmDir() string {
	if len(p.realm) == 0 {
		return "root"
	}
	parts := make([]string, len(p.realm))
	for i, r := range p.realm {
		parts[i] = fileName(r)
	}
	return "root-" + strings.Join(parts, "-")
}

// schemaKind is the kind of schema the entry's configuration follows
// ("" for none).
func (p *place) schemaKind() string {
	if p.container == "" {
		return ""
	}
	return containers[strings.ToLower(p.container)]
}

// global reports whether the entry is global configuration (metadata.realm
// is then null).
func (p *place) global() bool { return strings.EqualFold(p.container, "GlobalConfig") }

// entityID is metadata.entityId and data._id.
func (p *place) entityID(dn ldif.DN) string {
	switch p.kind {
	case kindBase:
		return dn[0].Value()
	case kindRealm:
		return base64.RawURLEncoding.EncodeToString([]byte(p.realmPath()))
	case kindService:
		return p.service
	}
	return strings.Join(p.below, "/")
}

// path is the file the entry becomes, relative to the output root (the
// contents of config/services), and whether a character of a name had to
// be replaced by a rule no real tree shows.
func (p *place) path(dn ldif.DN) (string, bool) {
	switch p.kind {
	case kindBase:
		return "realm/root.json", false
	case kindRealm:
		return "global/realms/" + p.realmDir() + ".json", false
	}
	var b strings.Builder
	b.WriteString("realm/")
	b.WriteString(p.realmDir())
	odd := false
	// The service and everything below it, from the DN (the version entry
	// and container included).
	for i := p.rdns - 1; i >= 0; i-- {
		b.WriteByte('/')
		name, changed := fileNameChanged(dn[i].Value())
		odd = odd || changed
		b.WriteString(name)
	}
	b.WriteString(".json")
	return b.String(), odd
}

// fileName turns an RDN value into a file name as AM's FBC does: lower
// case, with ':' and '/' as '_' (http://am:80/am → http___am_80_am).
func fileName(v string) string {
	s, _ := fileNameChanged(v)
	return s
}

// fileNameChanged is fileName, and whether a character other than ':' and
// '/' had to be replaced: control characters and '\' (which no real tree
// shows), and names that are "." or "..", which cannot be files.
func fileNameChanged(v string) (string, bool) {
	changed := false
	s := strings.Map(func(r rune) rune {
		switch {
		case r == ':' || r == '/':
			return '_'
		case r < 0x20 || r == 0x7f || r == '\\':
			changed = true
			return '_'
		}
		return r
	}, strings.ToLower(v))
	switch s {
	case "", ".", "..":
		return strings.Repeat("_", max(len(s), 1)), true
	}
	return s, changed
}

// SectionKey returns the service and the sub-schema name under which the
// section tables know the configuration of an FBC entity: its uid (the
// entry's DN) and its sunServiceID (or ""). ok is false for entities that
// are no service configuration (realms, services, containers).
func SectionKey(uid, sunServiceID string) (service, subSchema string, ok bool) {
	dn, err := ldif.ParseDN(uid)
	if err != nil {
		return "", "", false
	}
	s := servicesIndex(dn)
	if s < 0 {
		return "", "", false
	}
	p := locate(dn, dn[s+1:])
	if p.kind != kindConfig || p.unknown != "" || len(p.below) == 0 {
		return "", "", false
	}
	if len(p.below) > 1 {
		subSchema = sunServiceID
		if subSchema == "" {
			subSchema = p.below[len(p.below)-1]
		}
	}
	return p.service, subSchema, true
}
