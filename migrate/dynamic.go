package migrate

import (
	"strings"

	"github.com/amupgrade/amupgrade/ldif"
)

// GuideURL is the PingAM 8.1 page of the procedure; step 1 ("Separate
// dynamic data") moves the subtrees below out of the configuration store
// before migrating.
const GuideURL = "https://docs.pingidentity.com/pingam/8.1/upgrade/migrate-to-fbc.html"

// GuideStep names the step of GuideURL that dynamic data concerns.
const GuideStep = `step 1, "Separate dynamic data"`

// dynamicServices are the services whose subtrees the guide deletes from
// the configuration store (ldapdelete --deleteSubtree ou=<service>,
// ou=services,ou=am-config), with what they hold. The guide names them in
// the root realm; sub-realms hold the same data in the same services, so
// they are found there too.
var dynamicServices = map[string]string{
	"agentservice":                     "agents",
	"sunentitlementservice":            "policies and applications",
	"sunentitlementindexes":            "policy indexes",
	"sunfmcotconfigservice":            "circles of trust",
	"sunfmidffmetadataservice":         "ID-FF entities",
	"sunfmsaml2metadataservice":        "SAML 2.0 entities",
	"sunfmwsfederationmetadataservice": "WS-Federation entities",
}

// hiddenRealm is the realm AM keeps delegation permissions in; the guide
// deletes o=sunamhiddenrealmdelegationservicepermissions,ou=services,….
const hiddenRealm = "sunamhiddenrealmdelegationservicepermissions"

// DynamicMode says what a migration does with dynamic data.
type DynamicMode uint8

const (
	// DynamicStop: an export holding dynamic data is an error that names
	// the subtrees and the guide's step.
	DynamicStop DynamicMode = iota
	// DynamicExclude leaves the subtrees out of the tree; the result lists them.
	DynamicExclude
	// DynamicKeep migrates them as configuration, as the real FBC trees of
	// AM 7.x hold them (the guide calls deleting them optional).
	DynamicKeep
)

// ParseDynamicMode reads the names of the modes: stop, exclude, keep.
func ParseDynamicMode(s string) (DynamicMode, bool) {
	switch strings.ToLower(s) {
	case "", "stop":
		return DynamicStop, true
	case "exclude":
		return DynamicExclude, true
	case "keep":
		return DynamicKeep, true
	}
	return 0, false
}

func (m DynamicMode) String() string {
	return [...]string{"stop", "exclude", "keep"}[m]
}

// Subtree is one subtree of dynamic data found in the export.
type Subtree struct {
	DN      string `json:"dn"`
	What    string `json:"what"`
	Entries int    `json:"entries"`
	// Where the subtree's first entry is.
	File string `json:"file"`
	Line int    `json:"line"`
}

// dynamicRoot returns the root of the dynamic subtree holding an entry
// placed at p, and what it holds.
func dynamicRoot(p *place, dn, base ldif.DN) (ldif.DN, string, bool) {
	if len(p.realm) > 0 && strings.EqualFold(p.realm[0], hiddenRealm) {
		return dn[len(dn)-len(base)-2:], "delegation permissions (the hidden realm)", true
	}
	if p.service != "" && p.kind != kindOutside {
		if what, ok := dynamicServices[strings.ToLower(p.service)]; ok {
			return dn[p.rdns-1:], what, true
		}
	}
	return nil, "", false
}

// dynamicOutside finds the token and UMA stores of the guide's table, which
// live under their own base DNs, when an export holds them: CTS at
// ou=famrecords,ou=openam-session,ou=tokens; UMA resource sets at
// dc=uma-resources,….
func dynamicOutside(dn ldif.DN) (ldif.DN, string, bool) {
	for i := len(dn) - 1; i >= 0; i-- {
		switch {
		case dn[i].Is("ou", "tokens"):
			return dn[i:], "core token service tokens", true
		case dn[i].Is("dc", "uma-resources"):
			return dn[i:], "UMA resources", true
		}
	}
	return nil, "", false
}
