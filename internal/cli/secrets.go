package cli

import (
	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/internal/report"
)

// masker hides secret values in what amupgrade prints: logs, diffs and
// reports. The rules are report.Masker's, shared with the HTML report.
type masker struct{ show bool }

// value prints a value found at ptr, masked when the attribute is secret.
func (m masker) value(ptr string, v *amjson.Value) string {
	return report.Masker{Show: m.show}.Value(ptr, v)
}
