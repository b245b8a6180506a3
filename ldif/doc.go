// Package ldif reads and writes LDIF content records (RFC 2849), the format
// in which a directory server exports its entries, and parses distinguished
// names (RFC 4514).
//
// A Reader streams one Entry at a time from an export of any size, holding
// only the entry it returns: folded lines are joined, "::" values decoded
// from base64, comments and a "version: 1" header skipped, and gzip input
// (export-ldif -c) detected by its magic bytes. Attribute names keep the case
// they were written in; compare them with Attr.Is. Values given by URL (":<")
// and change records (changetype:) are refused, since an export holds
// neither. Lines and entries have bounded sizes, so a corrupt file is an
// error and not an exhausted machine.
//
// Every error is an *Error with the file, line and column and what to do.
// After an error in one entry, Next goes on with the next entry, so that a
// caller can report several at once.
//
//	r, err := ldif.NewReader(f, "export.ldif", nil)
//	for {
//		e, err := r.Next()
//		if err == io.EOF { break }
//		if err != nil { … }                // *ldif.Error: export.ldif:12:5: …
//		for _, a := range e.Attrs { … }    // a.Name, a.Value, a.Line
//	}
//
// A Writer writes entries back, folding long lines at 76 columns and
// encoding in base64 the values that LDIF cannot hold as they are.
package ldif
