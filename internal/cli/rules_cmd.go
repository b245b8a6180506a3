package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	ucli "github.com/urfave/cli/v3"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// rulesCommand is `amupgrade rules list|explain|check`, for rule authors and
// reviewers.
func (c *CLI) rulesCommand(code *int) *ucli.Command {
	return &ucli.Command{
		Name:  "rules",
		Usage: "list, explain and check rule files",
		Commands: []*ucli.Command{
			{
				Name:  "list",
				Usage: "the bundled steps, their versions and rule counts",
				Action: func(ctx context.Context, cmd *ucli.Command) error {
					set, err := ruleset.Bundled()
					if err != nil {
						return err
					}
					return listRules(c.Stdout, set)
				},
			},
			{
				Name:      "explain",
				Usage:     "the rules of a step, a rule or an optional group, in plain language",
				ArgsUsage: "STEP|RULE-ID|GROUP...",
				Description: "Each argument is a step as amupgrade rules list shows it (amster/7.5.x-to-8.0.x, 7.5.x-to-8.0.x, fbc/latest,\n" +
					"latest, or an alias), a rule file, a rule id (AME-22389: every rule of that id, in every step), or an optional\n" +
					"group (jakarta: its rules, which --with jakarta switches on). A step's optional rules are listed after its own.",
				Flags: []ucli.Flag{
					&ucli.BoolFlag{Name: "fileBasedMode", Aliases: []string{"m"}, Usage: "look a bare step name up among the FBC rules first"},
				},
				Action: func(ctx context.Context, cmd *ucli.Command) error {
					if cmd.Args().Len() == 0 {
						return &usageError{"amupgrade rules explain needs a step, a rule id or a group (see amupgrade rules list)"}
					}
					set, err := ruleset.Bundled()
					if err != nil {
						return err
					}
					modes := []engine.Mode{engine.Amster, engine.FBC}
					if cmd.Bool("fileBasedMode") {
						modes = []engine.Mode{engine.FBC, engine.Amster}
					}
					for i, arg := range cmd.Args().Slice() {
						if i > 0 {
							fmt.Fprintln(c.Stdout)
						}
						if err := explainArg(c.Stdout, set, arg, modes); err != nil {
							return err
						}
					}
					return nil
				},
			},
			{
				Name:      "check",
				Usage:     "load and validate rule files; every error with file:line:col",
				ArgsUsage: "FILE...",
				Action: func(ctx context.Context, cmd *ucli.Command) error {
					if cmd.Args().Len() == 0 {
						return &usageError{"amupgrade rules check needs rule files"}
					}
					var all, warnings engine.Errors
					n := 0
					for _, p := range cmd.Args().Slice() {
						f, err := ruleset.LoadFile(p)
						var es engine.Errors
						var e *engine.Error
						switch {
						case errors.As(err, &es):
							all = append(all, es...)
						case errors.As(err, &e):
							all = append(all, e)
						case err != nil:
							return err
						default:
							n += len(f.Rules)
							warnings = append(warnings, f.UnknownTypes()...)
						}
					}
					warnings.Sort()
					for _, w := range warnings {
						fmt.Fprintf(c.Stderr, "%s: warning: %s\n", w.Pos, w.Msg)
						if caret := caretLine(w.Pos); caret != "" {
							fmt.Fprint(c.Stderr, caret)
						}
					}
					if len(all) > 0 {
						all.Sort()
						for _, e := range all {
							fmt.Fprintln(c.Stderr, e.Error())
							if caret := caretLine(e.Pos); caret != "" {
								fmt.Fprint(c.Stderr, caret)
							}
						}
						fmt.Fprintf(c.Stderr, "%s\n", plural(len(all), "error"))
						*code = ExitRules
						return nil
					}
					fmt.Fprintf(c.Stdout, "%s ok: %s", plural(cmd.Args().Len(), "file"), plural(n, "rule"))
					if len(warnings) > 0 {
						fmt.Fprintf(c.Stdout, " (%s)", plural(len(warnings), "warning"))
					}
					fmt.Fprintln(c.Stdout)
					return nil
				},
			},
		},
	}
}

func listRules(w io.Writer, set *ruleset.Set) error {
	files, err := set.Files()
	if err != nil {
		return err
	}
	sort.SliceStable(files, func(i, j int) bool {
		if files[i].Mode != files[j].Mode {
			return files[i].Mode < files[j].Mode
		}
		return files[i].From.Less(files[j].From) || (files[i].From.Compare(files[j].From) == 0 && files[i].Name < files[j].Name)
	})
	fmt.Fprintf(w, "%-28s %-8s %-8s %6s  %s\n", "STEP", "FROM", "TO", "RULES", "TITLE")
	for _, f := range files {
		count := fmt.Sprint(len(f.Rules))
		if f.Composite() {
			count = "—"
		}
		title := f.Title
		if f.Composite() {
			title += " (" + strings.Join(f.Include, " + ") + ")"
		}
		if len(f.Aliases) > 0 {
			title += "; also " + strings.Join(f.Aliases, ", ")
		}
		fmt.Fprintf(w, "%-28s %-8s %-8s %6s  %s\n", f.Name, f.From, f.To, count, title)
	}
	return nil
}

// caretLine shows the source line of a position with a caret under its
// column, as compilers do.
func caretLine(p engine.Pos) string {
	if p.File == "" || p.Line == 0 {
		return ""
	}
	src, err := os.ReadFile(p.File)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(src), "\n")
	if p.Line > len(lines) {
		return ""
	}
	line := strings.ReplaceAll(lines[p.Line-1], "\t", " ")
	col := max(p.Col, 1)
	prefix := line
	if n := utf8.RuneCountInString(line); col-1 <= n {
		prefix = string([]rune(line)[:col-1])
	}
	return fmt.Sprintf("  %s\n  %s^\n", line, strings.Repeat(" ", utf8.RuneCountInString(prefix)))
}

// explainArg explains a step (in the first mode that has one of that
// name), or every rule of an id, or the rules of an optional group.
func explainArg(w io.Writer, set *ruleset.Set, arg string, modes []engine.Mode) error {
	var firstErr error
	for _, mode := range modes {
		files, err := set.Resolve(arg, mode)
		if err == nil {
			chain, err := set.Compile(files, ruleset.Config{})
			if err != nil {
				return err
			}
			explain(w, chain)
			if len(chain.Optional) > 0 {
				fmt.Fprintf(w, "\nOptional rules (amupgrade rules explain ID explains one):\n")
				for _, r := range chain.Optional {
					fmt.Fprintf(w, "  %s (--with %s): %s\n", r.ID, r.Group, r.Title)
				}
			}
			return nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	all, err := set.Files()
	if err != nil {
		return err
	}
	var groups []string
	found := false
	for _, f := range all {
		if f.Composite() {
			continue
		}
		var ids []string
		for _, r := range f.Rules {
			if r.ID == arg || r.Group == arg {
				ids = append(ids, r.ID)
			}
			if r.Group != "" && !slices.Contains(groups, r.Group) {
				groups = append(groups, r.Group)
			}
		}
		if len(ids) == 0 {
			continue
		}
		// Compile keeps a group's rules only when asked for; --only names them.
		chain, err := set.Compile([]*ruleset.File{f}, ruleset.Config{Only: ids})
		if err != nil {
			return err
		}
		if found {
			fmt.Fprintln(w)
		}
		found = true
		explain(w, chain)
		for _, r := range f.Rules {
			if slices.Contains(ids, r.ID) && r.Group != "" {
				fmt.Fprintf(w, "  (optional: amupgrade --with %s runs it)\n", r.Group)
				break
			}
		}
	}
	if !found {
		slices.Sort(groups)
		return &engine.Error{Code: engine.CodeRule, Msg: fmt.Sprintf("%v; nor is %q a rule id or an optional group (groups: %s)", firstErr, arg, strings.Join(groups, ", "))}
	}
	return nil
}

// explain prints each rule of a chain as a sentence or two.
func explain(w io.Writer, chain *engine.Chain) {
	for _, s := range chain.Steps {
		fmt.Fprintf(w, "%s (%s → %s)\n", s.Name, s.From, s.To)
	}
	for _, r := range chain.Rules {
		head := r.ID
		if r.Tracked {
			head += " (tracked)"
		}
		if r.Title != "" {
			head += ": " + r.Title
		}
		fmt.Fprintf(w, "\n%s\n", head)
		switch {
		case r.SetVersion != nil:
			fmt.Fprintf(w, "  raise configurationVersion to %s\n", r.SetVersion)
		case r.Create != nil:
			e := r.Create.Entity
			fmt.Fprintf(w, "  create %s %q (%s) if absent\n", e.Type, e.ID, scopeWord(e.Global, e.Realm))
		case len(r.Parts) == 0:
			fmt.Fprintf(w, "  record the id only (its effect is not public)\n")
		}
		for _, p := range r.Parts {
			fmt.Fprintf(w, "  %s:\n", describeSelector(p))
			for _, op := range p.Ops {
				for _, line := range describeOp(op, p.Within) {
					fmt.Fprintf(w, "    %s\n", line)
				}
			}
		}
	}
}

func scopeWord(global bool, realm string) string {
	if global {
		return "global"
	}
	return "realm " + realm
}

func describeSelector(p *engine.Part) string {
	s := p.Select
	if s == nil {
		return "the whole tree"
	}
	var b strings.Builder
	if len(s.Services) == 0 {
		b.WriteString("every entity")
	} else {
		b.WriteString(strings.Join(s.Services, " or "))
	}
	switch s.Scope {
	case engine.GlobalScope:
		b.WriteString(", global")
	case engine.RealmScope:
		b.WriteString(", every realm")
	}
	if m := describeMatch(s.EntityID); m != "" {
		b.WriteString(", entity id " + m)
	}
	if m := describeMatch(s.Realm); m != "" {
		b.WriteString(", realm " + m)
	}
	if m := describeMatch(s.SunServiceID); m != "" {
		b.WriteString(", sunServiceID " + m)
	}
	for _, k := range sortedNames(s.PathParams) {
		b.WriteString(", " + k + " " + describeMatch(s.PathParams[k]))
	}
	if len(p.VersionBefore) > 0 {
		var vs []string
		for _, v := range p.VersionBefore {
			vs = append(vs, v.String())
		}
		b.WriteString(", while configurationVersion is before " + strings.Join(vs, " / "))
	}
	if p.When != nil {
		b.WriteString(", when " + p.When.Source)
	}
	return b.String()
}

func sortedNames(m map[string]*engine.Matcher) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describeMatch(m *engine.Matcher) string {
	if m == nil {
		return ""
	}
	var parts []string
	if m.Is != nil {
		parts = append(parts, *m.Is)
	}
	if m.In != nil {
		parts = append(parts, "one of "+strings.Join(m.In, ", "))
	}
	if m.Contains != "" {
		parts = append(parts, "containing "+m.Contains)
	}
	if m.ContainsFold != "" {
		parts = append(parts, "containing "+m.ContainsFold+" (any case)")
	}
	if m.Regexp != nil {
		re := strings.TrimSuffix(strings.TrimPrefix(m.Regexp.String(), "^(?:"), ")$")
		parts = append(parts, "matching "+re)
	}
	if m.Not != nil {
		parts = append(parts, "not "+describeMatch(m.Not))
	}
	return strings.Join(parts, " and ")
}

// where names an attribute path for a reader: section / name.
func where(within amjson.Pointer, p engine.Path) string {
	segs := append([]string(nil), p.Ptr...)
	if !p.Abs {
		segs = append(append([]string(nil), within...), segs...)
	}
	if len(segs) == 0 {
		return "the section"
	}
	return strings.Join(segs, " / ")
}

func describeValue(v engine.ValueSource) string {
	switch {
	case v.Expr != nil:
		return "the value of " + v.Expr.Source
	case v.Ref != nil && v.Original:
		return "the original value of " + v.Ref.Text
	case v.Ref != nil:
		return "the value of " + v.Ref.Text
	}
	return strings.Join(strings.Fields(string(amjson.AppendJSON(nil, v.Literal, amjson.PrintOptions{}))), " ")
}

func describeOp(op engine.Op, within amjson.Pointer) []string {
	op, when := engine.Unwrap(op)
	out := describeInner(op, within)
	if when != nil {
		for i := range out {
			out[i] += " when " + when.Source
		}
	}
	return out
}

func describeInner(op engine.Op, within amjson.Pointer) []string {
	var out []string
	switch o := op.(type) {
	case *engine.AssignOp:
		suffix := map[string]string{"add": " if absent", "set": "", "replace": " if present"}[o.Kind]
		verb := map[string]string{"add": "add", "set": "set", "replace": "replace"}[o.Kind]
		for _, it := range o.Items {
			out = append(out, fmt.Sprintf("%s %s = %s%s", verb, where(within, it.Path), describeValue(it.Value), suffix))
		}
	case *engine.DeleteOp:
		for _, p := range o.Paths {
			out = append(out, "delete "+where(within, p))
		}
	case *engine.SetOp:
		for _, it := range o.Items {
			var vs []string
			for _, v := range it.Values {
				vs = append(vs, strings.TrimSpace(string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))))
			}
			verb := "add to the set"
			if o.Remove {
				verb = "remove from the set"
			}
			out = append(out, fmt.Sprintf("%s %s: %s", verb, where(within, it.Path), strings.Join(vs, ", ")))
		}
	case *engine.EntriesOp:
		for _, p := range o.Pairs {
			switch o.Kind {
			case "add-entries":
				out = append(out, fmt.Sprintf("in %s, add %s=%s unless the key is there", where(within, o.Path), p.Key, p.Value))
			case "replace-entries":
				s := fmt.Sprintf("in %s, set the value of %s to %s", where(within, o.Path), p.Key, p.Value)
				if o.When != nil {
					s += " when " + o.When.Source
				}
				out = append(out, s)
			case "remove-entries":
				out = append(out, fmt.Sprintf("in %s, remove the entry %s", where(within, o.Path), p.Key))
			case "rename-entries":
				out = append(out, fmt.Sprintf("in %s, rename the key %s to %s", where(within, o.Path), p.Key, p.Value))
			}
		}
	case *engine.MoveOp:
		out = append(out, fmt.Sprintf("%s %s to %s", o.Name(), where(within, o.From), where(within, o.To)))
	case engine.DeleteInstanceOp:
		out = append(out, "delete the entity")
	case *engine.SetEntityIDOp:
		out = append(out, "set the entity id to "+o.ID)
	case *engine.TransformOp:
		s := "transform " + o.T.Name
		if g := o.T.Gap; g != nil {
			s += " (" + o.T.Status() + ": " + g.Why + ")"
		}
		out = append(out, s)
	default:
		out = append(out, op.Name())
	}
	return out
}
