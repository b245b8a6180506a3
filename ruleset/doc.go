// Package ruleset reads rule files (YAML, one AM version step each), checks
// them completely — every mistake with file:line:col — and compiles them
// into an engine.Chain. It also holds the bundled steps (embedded in the
// binary), resolves the rule arguments of the command line (paths, bundled
// names, the vendor's .groovy paths) and plans the steps between two AM
// versions. The format is documented in docs/rules.md.
package ruleset
