// Command fbcldif writes the LDIF export that an AM configuration store
// would hold for a file-based configuration tree (the inverse of
// amupgrade --migrationMode), for round-trip tests and benchmarks:
//
//	go run ./tools/fbcldif -in TREE -out export.ldif [-gzip]
//
// TREE is the folder holding services/ (or services/ itself). See package
// ldifgen for what the export holds.
package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/amupgrade/amupgrade/tools/fbcldif/ldifgen"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fbcldif:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("fbcldif", flag.ContinueOnError)
	fl.SetOutput(stderr)
	in := fl.String("in", "", "the FBC tree (the folder holding services/)")
	out := fl.String("out", "", "the LDIF file to write")
	gz := fl.Bool("gzip", false, "compress the output (as export-ldif -c does)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" || fl.NArg() > 0 {
		fl.Usage()
		return errors.New("-in and -out are required")
	}
	g, err := ldifgen.New(*in)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if *gz {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	err = g.Write(w)
	if zw != nil {
		err = errors.Join(err, zw.Close())
	}
	err = errors.Join(err, bw.Flush(), f.Close())
	if err != nil {
		return err
	}
	s := g.Stats
	fmt.Fprintf(stderr, "fbcldif: %d entries (%d files of the tree, %d ancestors added, %d with a service schema), %d values, %d placeholders written as their values\n",
		s.Entries, s.Files, s.Added, s.Schemas, s.Values, s.Concrete)
	for _, c := range s.Conflicts {
		fmt.Fprintf(stderr, "fbcldif: warning: %s\n", c)
	}
	return nil
}
