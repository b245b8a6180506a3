package report

import (
	"regexp"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// secretName matches attribute names that hold credentials in AM
// configuration: userPassword, storePassword, keyEntryPassword, clientSecret,
// bindPassword, the OAuth2 provider's secrets, pass phrases.
// secretId and the like name a secret label, not a secret, and stay readable.
var secretName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(password|passphrase|pwd$|privatekey|storepass|keypass|secret$|secretkey|secretvalue)`)
})

// secretMember finds `"name" : "value"` pairs in JSON text, as AM prints it
// or compact (`"name":"value"`, in the input side of a diff); the value is
// replaced when the name is secret.
var secretMember = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`("([^"\\]|\\.)*"\s*:\s*)"((?:[^"\\]|\\.)*)"`) })

// Mask is what a masked value prints as.
const Mask = `"********"`

// Masker hides secret values in what amupgrade prints: logs, diffs and
// reports. Placeholders (&{…}) are not secrets and stay readable. The zero
// value masks; Show turns masking off (--show-secrets).
type Masker struct{ Show bool }

// Text masks every secret member of printed JSON (or a diff of it).
func (m Masker) Text(s string) string {
	if m.Show {
		return s
	}
	return secretMember().ReplaceAllStringFunc(s, func(member string) string {
		sub := secretMember().FindStringSubmatch(member)
		name := strings.TrimRight(sub[1], " \t\r\n:")
		if !secretName().MatchString(name) || strings.HasPrefix(sub[3], "&{") || sub[3] == "" {
			return member
		}
		return sub[1] + Mask
	})
}

// Value prints a value found at ptr (a JSON Pointer), masked when the
// attribute is secret.
func (m Masker) Value(ptr string, v *amjson.Value) string {
	if v == nil {
		return ""
	}
	s := string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))
	if !m.Show && v.Kind == amjson.String && !engine.IsPlaceholder(v) && v.Text != "" && SecretName(ptr) {
		return Mask
	}
	return m.Text(strings.TrimSpace(s))
}

// SecretName reports whether the last segment of a JSON Pointer names a
// secret attribute.
func SecretName(ptr string) bool {
	return secretName().MatchString(ptr[strings.LastIndex(ptr, "/")+1:])
}
