// Package rules holds the bundled rule files, embedded into the binary so
// that `amupgrade … 7.5.x-to-8.1.x` works with no rules folder around.
package rules

import "embed"

// FS holds amster/*.yaml and fbc/*.yaml.
//
//go:embed amster/*.yaml fbc/*.yaml
var FS embed.FS
