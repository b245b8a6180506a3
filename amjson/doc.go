// Package amjson reads and writes AM configuration JSON the way AM and the
// vendor's upgrade tool print it, so that an upgraded file differs from its
// input only where a rule changed it.
//
// Parse builds a Value tree that keeps everything a re-print needs: the
// order of object members, the exact text of every number, and duplicate
// keys refused. It reports a syntax error with its line and column. Values
// are addressed with JSON Pointers (RFC 6901), which stay unambiguous for
// AM's dotted attribute names. AppendJSON prints a Value in the style of
// Jackson's default pretty printer, which AM uses: two-space indents,
// `"key" : value`, arrays inline (or one element per line with
// PrettyArrays), `{ }` for an empty object, no HTML escaping.
//
//	v, err := amjson.Parse(src)
//	if err != nil { … }                // *SyntaxError, with Line and Column
//	v.At(amjson.Pointer{"data", "whiteList"}).Items = append(…)
//	out := amjson.AppendJSON(nil, v, amjson.PrintOptions{})
package amjson
