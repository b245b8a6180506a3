package ldif

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want DN
		err  string
		norm string
	}{
		{in: "", want: nil},
		{in: "ou=am-config", want: DN{{{"ou", "am-config"}}}, norm: "ou=am-config"},
		{
			in:   "ou=OAuth2Provider,ou=services,o=alpha,ou=services,ou=am-config",
			want: DN{{{"ou", "OAuth2Provider"}}, {{"ou", "services"}}, {{"o", "alpha"}}, {{"ou", "services"}}, {{"ou", "am-config"}}},
			norm: "ou=oauth2provider,ou=services,o=alpha,ou=services,ou=am-config",
		},
		{in: "ou=ou=am-config^^AgentLogging,ou=x", want: DN{{{"ou", "ou=am-config^^AgentLogging"}}, {{"ou", "x"}}}},
		{in: `ou=a\,b\2Cc\+d,ou=x`, want: DN{{{"ou", "a,b,c+d"}}, {{"ou", "x"}}}, norm: `ou=a\,b\,c\+d,ou=x`},
		{in: `ou=Global JSON Handler , ou = x`, want: DN{{{"ou", "Global JSON Handler"}}, {{"ou", "x"}}}},
		{in: `ou=trailing\ ,ou=x`, want: DN{{{"ou", "trailing "}}, {{"ou", "x"}}}},
		{in: `cn=a+sn=b,ou=x`, want: DN{{{"cn", "a"}, {"sn", "b"}}, {{"ou", "x"}}}},
		{in: `ou="a,b",ou=x`, want: DN{{{"ou", "a,b"}}, {{"ou", "x"}}}},
		{in: `ou=\C3\A9,ou=x`, want: DN{{{"ou", "é"}}, {{"ou", "x"}}}},
		{in: `2.5.4.11=a`, want: DN{{{"2.5.4.11", "a"}}}},
		{in: `ou=http://am:80/am,ou=x`, want: DN{{{"ou", "http://am:80/am"}}, {{"ou", "x"}}}},
		{in: "ou=a,,ou=b", err: `"" has no '=': each RDN is type=value`},
		{in: "ou=a,services", err: `"services" has no '=': each RDN is type=value`},
		{in: "o u=a", err: `"o u" is not an attribute type (letters, digits and '-', or an OID)`},
		{in: `ou=a\`, err: `a '\' ends the DN: escape it as \5C`},
		{in: `ou="a`, err: `a quoted value is not closed with '"'`},
		{in: `ou=\FF,ou=x`, err: `the escaped bytes of this value are not UTF-8`},
	}
	for _, tt := range tests {
		got, err := ParseDN(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseDN(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDN(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseDN(%q) (-want +got):\n%s", tt.in, d)
		}
		if tt.norm != "" && got.Norm() != tt.norm {
			t.Errorf("ParseDN(%q).Norm() = %q, want %q", tt.in, got.Norm(), tt.norm)
		}
		// String gives text that parses back to the same DN.
		back, err := ParseDN(got.String())
		if err != nil || !cmp.Equal(back, got) {
			t.Errorf("ParseDN(%q).String() = %q, parses to %v, %v", tt.in, got.String(), back, err)
		}
	}
}

func TestDNHelpers(t *testing.T) {
	t.Parallel()
	dn, _ := ParseDN("ou=Default,OU=Services,ou=AM-Config")
	base, _ := ParseDN("ou=am-config")
	other, _ := ParseDN("ou=other")
	if !dn.HasSuffix(base) || dn.HasSuffix(other) || base.HasSuffix(dn) {
		t.Error("HasSuffix")
	}
	if !dn[1].Is("ou", "services") || dn[1].Is("o", "services") {
		t.Error("Is")
	}
	if v, ok := dn[0].Of("ou"); !ok || v != "Default" {
		t.Errorf("Of = %q, %v", v, ok)
	}
}
