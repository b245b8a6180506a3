package report

import (
	"fmt"
	"html/template"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Long tokens wrap between their parts, never mid-word; short ones and
// prose are left alone; the text is escaped for an element's content.
func TestBreakable(t *testing.T) {
	cases := []struct {
		name, in string
		want     template.HTML
	}{
		{"short token", `"URLENCODED_PEM"`, `"URLENCODED_<wbr>PEM"`},
		{"shorter than minBreakToken", "URLENCODED_PEM", "URLENCODED_PEM"},
		{"prose", "a few short words", "a few short words"},
		{"path", "realm/root/oauth2provider/1.0/organizationconfig/default.json",
			"realm/<wbr>root/<wbr>oauth2provider/<wbr>1.0/<wbr>organizationconfig/<wbr>default.<wbr>json"},
		{"class name", "org.forgerock.openam.scripting.api.ScriptedIdentity",
			"org.<wbr>forgerock.<wbr>openam.<wbr>scripting.<wbr>api.<wbr>Scripted<wbr>Identity"},
		{"acronyms", "iPlanetAMPlatformService", "iPlanetAM<wbr>Platform<wbr>Service"},
		{"not inside an acronym", "supportedOAuthClientTypes", "supported<wbr>OAuthClient<wbr>Types"},
		{"pointer with camelCase", "/data/advancedOAuth2Config/tlsClientCertificateHeaderFormat",
			"/data/<wbr>advanced<wbr>OAuth2Config/<wbr>tlsClient<wbr>Certificate<wbr>HeaderFormat"},
		{"key=value", "org.forgerock.services.cts.store.max.connections=100",
			"org.<wbr>forgerock.<wbr>services.<wbr>cts.<wbr>store.<wbr>max.<wbr>connections=<wbr>100"},
		// Not after a run of separators, nor fewer than minPart characters
		// after the last mark or before the end.
		{"address", "https://login.example.com/a", "https://<wbr>login.<wbr>example.<wbr>com/a"},
		{"encoded", "https%3A%2F%2Fapp.example.com%2Fcallback", "https<wbr>%3A<wbr>%2F<wbr>%2Fapp.<wbr>example.<wbr>com<wbr>%2Fcallback"},
		{"hexadecimal", "3f9e6e0a1b2c4d5e6f708192a3b4c5d6", "3f9e6e0a1b2c4d5e6f708192a3b4c5d6"},
		{"list", `[ "AME-27353", "OPENAM-15410" ]`, `[ "AME-27353", "OPENAM-15410" ]`},
		{"no place to wrap", "QUJDREVGR0HJSKTMTU5PUFFSU1RVVLDYWVO0123456789", "QUJDREVGR0HJSKTMTU5PUFFSU1RVVLDYWVO0123456789"},
		{"escaped", `<script>alert("x&y")</script>`, `&lt;script&gt;alert("x&amp;<wbr>y")<wbr>&lt;/script&gt;`},
		{"escaped in a long token", "a_long_token_<b>&amp;_more", "a_long_<wbr>token_<wbr>&lt;b&gt;&amp;<wbr>amp;_<wbr>more"},
		{"white space kept", "two  spaces\nand a line", "two  spaces\nand a line"},
		{"NUL", "a\x00b", "a\uFFFDb"},
		{"multibyte", "réalm/éntité/configuration.json", "réalm/<wbr>éntité/<wbr>configuration.<wbr>json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := breakable(c.in)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("breakable(%q) (-want +got):\n%s", c.in, diff)
			}
			// The marks change nothing of the text.
			plain := strings.NewReplacer("<wbr>", "", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(string(got))
			if want := strings.ReplaceAll(c.in, "\x00", "\uFFFD"); plain != want {
				t.Errorf("breakable(%q) reads %q without its marks", c.in, plain)
			}
		})
	}
}

// A diff of up to diffOpenLines lines is shown whole; a longer one by its
// first diffHeadLines lines, the rest apart; the lines keep their
// newlines and are marked by kind.
func TestRenderDiff(t *testing.T) {
	short := "--- a/f.json\n+++ b/f.json\n@@ -1,3 +1,3 @@\n {\n-  \"a\" : \"<1>\"\n+  \"a\" : \"&2\"\n }\n"
	if diff := cmp.Diff(diffView{Open: true, Stat: "+1 −1", Lines: 7,
		Head: `<span class="meta">--- a/f.json` + "\n" + `</span><span class="meta">+++ b/f.json` + "\n" + `</span><span class="hunk">@@ -1,3 +1,3 @@` + "\n" +
			`</span> {` + "\n" + `<del>-  "a" : "&lt;1&gt;"` + "\n" + `</del><ins>+  "a" : "&amp;2"` + "\n" + `</ins> }` + "\n"}, renderDiff(short, true)); diff != "" {
		t.Errorf("short diff (-want +got):\n%s", diff)
	}

	var long strings.Builder
	long.WriteString("@@ -1,1 +1,99 @@\n")
	for i := range 99 {
		fmt.Fprintf(&long, "+line %d\n", i)
	}
	v := renderDiff(long.String(), false)
	head, rest := strings.Count(string(v.Head), "\n"), strings.Count(string(v.Rest), "\n")
	if diff := cmp.Diff([]any{false, "+99 −0", 100, diffHeadLines, 100 - diffHeadLines, 100 - diffHeadLines},
		[]any{v.Open, v.Stat, v.Lines, head, rest, v.RestLines}); diff != "" {
		t.Errorf("long diff: open, stat, lines, head lines, rest lines, RestLines (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(string(v.Rest), "<ins>+line 19\n</ins>") {
		t.Errorf("the rest starts with %.40q, want line 19", v.Rest)
	}

	// At the threshold: whole.
	var edge strings.Builder
	for i := range diffOpenLines {
		fmt.Fprintf(&edge, " %d\n", i)
	}
	if v := renderDiff(edge.String(), true); v.Rest != "" || v.Lines != diffOpenLines {
		t.Errorf("a diff of %d lines: %d lines, rest %q; want it whole", diffOpenLines, v.Lines, v.Rest)
	}
}

// A long value shows its first valueHeadChars characters; the rest is apart.
func TestValue(t *testing.T) {
	long := `"` + strings.Repeat("abcdefghij", 50) + `"`
	words := strings.Repeat("a", 230) + "_" + strings.Repeat("b", 200)
	cases := []struct {
		name string
		raw  []byte
		want valueView
	}{
		{"absent", nil, valueView{Head: "(none)"}},
		{"short", []byte(`"a<b"`), valueView{Head: `"a&lt;b"`}},
		{"long", []byte(long), valueView{Head: template.HTML(long[:valueHeadChars]), Rest: template.HTML(long[valueHeadChars:]), RestChars: len(long) - valueHeadChars}},
		// Cut after the last place to wrap before valueHeadChars.
		{"cut back", []byte(words), valueView{Head: template.HTML(words[:231]), Rest: template.HTML(words[231:]), RestChars: len(words) - 231}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, value(c.raw)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
