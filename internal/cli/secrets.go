package cli

import (
	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/internal/report"
)

// masker hides secret values in what amupgrade prints: logs, diffs,
// reports and messages. The rules are report.Masker's, shared with the
// reports; the list of what is secret is internal/report/secrets.go.
type masker struct{ show bool }

// text masks the secrets in a message or other printed text.
func (m masker) text(s string) string { return report.Masker{Show: m.show}.Text(s) }

// value prints a value found at ptr, masked when an attribute on the way
// to it is secret, and its secret parts otherwise.
func (m masker) value(ptr string, v *amjson.Value) string {
	return report.Masker{Show: m.show}.Value(ptr, v)
}
