package cli

import (
	"regexp"
	"strings"

	"github.com/amupgrade/amupgrade/engine"
)

// secretName matches attribute names that hold credentials in AM
// configuration: userPassword, storePassword, keyEntryPassword, clientSecret,
// bindPassword, the OAuth2 provider's secrets, pass phrases.
// secretId and the like name a secret label, not a secret, and stay readable.
var secretName = regexp.MustCompile(`(?i)(password|passphrase|pwd$|privatekey|storepass|keypass|secret$|secretkey|secretvalue)`)

// secretMember finds `"name" : "value"` pairs in printed JSON whose name is
// secret; the value is replaced.
var secretMember = regexp.MustCompile(`("([^"\\]|\\.)*" : )"((?:[^"\\]|\\.)*)"`)

const mask = `"********"`

// masker hides secret values in what amupgrade prints: logs, diffs and
// reports. Placeholders (&{…}) are not secrets and stay readable.
type masker struct{ show bool }

// text masks every secret member of printed JSON (or a diff of it).
func (m masker) text(s string) string {
	if m.show {
		return s
	}
	return secretMember.ReplaceAllStringFunc(s, func(member string) string {
		sub := secretMember.FindStringSubmatch(member)
		name := strings.TrimSuffix(sub[1], " : ")
		if !secretName.MatchString(name) || strings.HasPrefix(sub[3], "&{") || sub[3] == "" {
			return member
		}
		return sub[1] + mask
	})
}

// value prints a value found at ptr, masked when the attribute is secret.
func (m masker) value(ptr string, v *engine.Value) string {
	if v == nil {
		return ""
	}
	s := string(engine.AppendJSON(nil, v, engine.PrintOptions{}))
	if !m.show && v.Kind == engine.String && !engine.IsPlaceholder(v) && v.Text != "" {
		last := ptr[strings.LastIndex(ptr, "/")+1:]
		if secretName.MatchString(last) {
			return mask
		}
	}
	return m.text(strings.TrimSpace(s))
}
