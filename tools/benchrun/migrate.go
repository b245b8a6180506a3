package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/amupgrade/amupgrade/tools/benchtree/gen"
	"github.com/amupgrade/amupgrade/tools/fbcldif/ldifgen"
)

// Targets of the migration rows.
const targetMigrateRatio = 1.5

// tree returns the prepared tree of that name, generating it the first
// time (rows share the generated trees).
func (b *bench) tree(name string, copies, files int) *tree {
	for _, t := range b.trees {
		if t.Name == name {
			return t
		}
	}
	return b.genTree(name, copies, files)
}

// ldifOf writes, in a helper process, the LDIF export a configuration store
// would hold for a generated tree (tools/fbcldif).
func (b *bench) ldifOf(t *tree) *tree {
	name := t.Name + ".ldif"
	for _, l := range b.trees {
		if l.Name == name {
			return l
		}
	}
	if t.prepErr != nil {
		l := &tree{Name: name, prepErr: t.prepErr, Err: t.Err}
		b.trees = append(b.trees, l)
		return l
	}
	return b.prepare(name, "LDIF export of "+t.Name, "__ldif", "-src", t.Path)
}

func amMigrate(bin, ldif, out string) []string {
	return []string{bin, "--migrationMode", "-i", ldif, "-o", out, "--dynamic-data", "keep", "rules/fbc/noop.groovy"}
}

// groupH times the migration of the large tree's export against the FBC
// upgrade of the tree itself.
func (b *bench) groupH() []Row {
	cfg := b.cfg
	t := b.tree("tree", cfg.copies, 0)
	l := b.ldifOf(t)
	specs := []Spec{
		{ID: "h.up", Label: "amupgrade -i TREE/services -o OUT --fileBasedMode --to 8.1.0", Argv: amFBC(cfg.bin, t.Path, b.out("h.up")), Out: b.out("h.up"), Files: t.Files},
		{ID: "h", Label: "amupgrade --migrationMode -i TREE.ldif -o OUT --dynamic-data keep rules/fbc/noop.groovy",
			Argv: amMigrate(cfg.bin, l.Path, b.out("h")), Out: b.out("h"), Files: l.Files},
	}
	for _, p := range []*tree{t, l} {
		if p.prepErr != nil {
			return errorRows(p.prepErr, specs...)
		}
	}
	m := b.measure("h", specs, cfg.runs)
	up, h := m["h.up"], m["h"]
	up.Target = "baseline"
	setRatio(h, up, "h.up")
	check(h, fmt.Sprintf("wall med ≤ %.1fx h.up", targetMigrateRatio), h.RatioTo != "" && h.Ratio <= targetMigrateRatio)
	h.Notes = fmt.Sprintf("%d entries", l.Files)
	return []Row{*up, *h}
}

// groupI is the memory series of the migration: the exports of trees of
// about 5k to 40k files.
func (b *bench) groupI() []Row {
	cfg := b.cfg
	var specs []Spec
	var rows []Row
	for _, n := range cfg.sizes {
		id := "i." + strconv.Itoa(n)
		t := b.tree("tree-"+strconv.Itoa(n), 0, n)
		l := b.ldifOf(t)
		s := Spec{ID: id, Label: fmt.Sprintf("h on the export of a ~%d-file tree", n), Argv: amMigrate(cfg.bin, l.Path, b.out(id)), Out: b.out(id), Files: l.Files}
		if l.prepErr != nil {
			rows = append(rows, errorRows(l.prepErr, s)...)
			continue
		}
		specs = append(specs, s)
	}
	var ok []*Row
	if len(specs) > 0 {
		m := b.measure("i", specs, cfg.memRuns)
		for _, s := range specs {
			r := m[s.ID]
			check(r, "peak RSS ≤ "+fmtRSS(targetRSSKiB), r.RSSKiB <= targetRSSKiB)
			r.Notes = fmt.Sprintf("%d entries", s.Files)
			rows = append(rows, *r)
			if r.Status != StatusError {
				ok = append(ok, r)
			}
		}
	}
	return append(rows, flatRow("i.flat", "peak RSS, biggest / smallest export", ok, len(cfg.sizes), cfg.flat))
}

// ldifHelper runs "__ldif -src TREE OUT": it writes the export of TREE to
// the file OUT and prints gen.Stats (Files: the entries).
func ldifHelper(args []string) error {
	fl := flag.NewFlagSet("__ldif", flag.ContinueOnError)
	src := fl.String("src", "", "")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 || *src == "" {
		return errors.New("usage: __ldif -src TREE OUT")
	}
	g, err := ldifgen.New(*src)
	if err != nil {
		return err
	}
	f, err := os.Create(fl.Arg(0))
	if err != nil {
		return err
	}
	if err := errors.Join(g.Write(f), f.Close()); err != nil {
		return err
	}
	st, err := os.Stat(fl.Arg(0))
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(gen.Stats{Files: g.Stats.Entries, Bytes: st.Size()})
}
