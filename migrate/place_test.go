package migrate

import (
	"testing"

	"github.com/amupgrade/amupgrade/ldif"
	"github.com/google/go-cmp/cmp"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	base, _ := ldif.ParseDN("ou=am-config")
	type want struct {
		Kind     kind
		Path     string
		EntityID string
		Realm    string
		Global   bool
		Schema   string
		Odd      bool
	}
	tests := []struct {
		dn   string
		want want
	}{
		{"ou=am-config", want{Kind: kindBase, Path: "realm/root.json", EntityID: "am-config", Realm: "/"}},
		{"ou=services,ou=am-config", want{Kind: kindRealm, Path: "global/realms/root.json", EntityID: "Lw", Realm: "/"}},
		{"o=alpha,ou=services,ou=am-config", want{Kind: kindRealm, Path: "global/realms/root-alpha.json", EntityID: "L2FscGhh", Realm: "/alpha"}},
		{"o=Beta,ou=services,o=alpha,ou=services,ou=am-config", want{Kind: kindRealm, Path: "global/realms/root-alpha-beta.json", EntityID: "L2FscGhhL0JldGE", Realm: "/alpha/Beta"}},
		{"ou=services,o=alpha,ou=services,ou=am-config", want{Kind: kindStructure, Realm: "/alpha"}},
		{"ou=OAuth2Provider,ou=services,o=alpha,ou=services,ou=am-config", want{Kind: kindService, Path: "realm/root-alpha/oauth2provider.json", EntityID: "OAuth2Provider", Realm: "/alpha"}},
		{"ou=1.0,ou=OAuth2Provider,ou=services,ou=am-config", want{Kind: kindSchema, Realm: "/"}},
		{"ou=OrganizationConfig,ou=1.0,ou=OAuth2Provider,ou=services,ou=am-config", want{Kind: kindStructure, Realm: "/", Schema: "Organization"}},
		{"ou=default,ou=OrganizationConfig,ou=1.0,ou=OAuth2Provider,ou=services,o=alpha,ou=services,ou=am-config",
			want{Kind: kindConfig, Path: "realm/root-alpha/oauth2provider/1.0/organizationconfig/default.json", EntityID: "default", Realm: "/alpha", Schema: "Organization"}},
		{"ou=Global JSON Handler,ou=default,ou=GlobalConfig,ou=1.0,ou=AuditService,ou=services,ou=am-config",
			want{Kind: kindConfig, Path: "realm/root/auditservice/1.0/globalconfig/default/global json handler.json", EntityID: "default/Global JSON Handler", Realm: "/", Global: true, Schema: "Global"}},
		{"ou=http://am:80/am,ou=com-sun-identity-servers,ou=default,ou=GlobalConfig,ou=1.0,ou=iPlanetAMPlatformService,ou=services,ou=am-config",
			want{Kind: kindConfig, Path: "realm/root/iplanetamplatformservice/1.0/globalconfig/default/com-sun-identity-servers/http___am_80_am.json",
				EntityID: "default/com-sun-identity-servers/http://am:80/am", Realm: "/", Global: true, Schema: "Global"}},
		{`ou=ou=am-config^^AgentLogging,ou=default,ou=OrganizationConfig,ou=1.0,ou=AgentService,ou=services,ou=am-config`,
			want{Kind: kindConfig, Path: "realm/root/agentservice/1.0/organizationconfig/default/ou=am-config^^agentlogging.json", EntityID: "default/ou=am-config^^AgentLogging", Realm: "/", Schema: "Organization"}},
		{"ou=agentgroup,ou=Instances,ou=1.0,ou=AgentService,ou=services,ou=am-config",
			want{Kind: kindConfig, Path: "realm/root/agentservice/1.0/instances/agentgroup.json", EntityID: "agentgroup", Realm: "/"}},
		{"ou=defaultconfig,ou=DynamicConfig,ou=1.0,ou=iPlanetAMSessionService,ou=services,ou=am-config",
			want{Kind: kindConfig, Path: "realm/root/iplanetamsessionservice/1.0/dynamicconfig/defaultconfig.json", EntityID: "defaultconfig", Realm: "/", Schema: "Dynamic"}},
		// A child of the version entry that is no container AM has: a file.
		{"ou=Global,ou=1.0,ou=AgentService,ou=services,ou=am-config", want{Kind: kindConfig, Path: "realm/root/agentservice/1.0/global.json", EntityID: "Global", Realm: "/"}},
		// Names that cannot be file names.
		{`ou=..,ou=default,ou=GlobalConfig,ou=1.0,ou=Svc,ou=services,ou=am-config`,
			want{Kind: kindConfig, Path: "realm/root/svc/1.0/globalconfig/default/__.json", EntityID: "default/..", Realm: "/", Global: true, Schema: "Global", Odd: true}},
		{`ou=a\\b,ou=default,ou=GlobalConfig,ou=1.0,ou=Svc,ou=services,ou=am-config`,
			want{Kind: kindConfig, Path: "realm/root/svc/1.0/globalconfig/default/a_b.json", EntityID: `default/a\b`, Realm: "/", Global: true, Schema: "Global", Odd: true}},
		// Not configuration.
		{"ou=admins,ou=am-config", want{Kind: kindOutside, Realm: "/"}},
		{"cn=x,ou=services,ou=am-config", want{Kind: kindOutside, Realm: "/"}},
	}
	for _, tt := range tests {
		dn, err := ldif.ParseDN(tt.dn)
		if err != nil {
			t.Fatal(err)
		}
		p := locate(dn, base)
		got := want{Kind: p.kind, Realm: p.realmPath(), Global: p.global(), Schema: p.schemaKind()}
		switch p.kind {
		case kindBase, kindRealm, kindService, kindConfig:
			got.Path, got.Odd = p.path(dn)
			got.EntityID = p.entityID(dn)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.dn, d)
		}
	}
}

func TestSectionKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uid, sid string
		svc, sub string
		ok       bool
	}{
		{"ou=default,ou=OrganizationConfig,ou=1.0,ou=OAuth2Provider,ou=services,ou=am-config", "", "OAuth2Provider", "", true},
		{"ou=default,ou=OrganizationConfig,ou=1.0,ou=OAuth2Provider,ou=services,ou=am-config", "ignored", "OAuth2Provider", "", true},
		{"ou=OpenDJ,ou=default,ou=OrganizationConfig,ou=1.0,ou=sunIdentityRepositoryService,ou=services,ou=am-config", "LDAPv3ForOpenDS", "sunIdentityRepositoryService", "LDAPv3ForOpenDS", true},
		{"ou=Global JSON Handler,ou=default,ou=GlobalConfig,ou=1.0,ou=AuditService,ou=services,ou=am-config", "", "AuditService", "Global JSON Handler", true},
		{"ou=OAuth2Provider,ou=services,ou=am-config", "", "", "", false},
		{"o=alpha,ou=services,ou=am-config", "", "", "", false},
		{"not a dn", "", "", "", false},
	}
	for _, tt := range tests {
		svc, sub, ok := SectionKey(tt.uid, tt.sid)
		if svc != tt.svc || sub != tt.sub || ok != tt.ok {
			t.Errorf("SectionKey(%q, %q) = %q, %q, %v; want %q, %q, %v", tt.uid, tt.sid, svc, sub, ok, tt.svc, tt.sub, tt.ok)
		}
	}
}
