package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/amjson"
)

// ClueKind says where a tree records something of the AM release it comes
// from. The kinds are listed from the strongest to the weakest.
type ClueKind string

const (
	// ClueTrackingAmsterVersion: metadata.amsterVersion of the
	// ConfigurationVersionService, which Amster writes when it exports (and
	// the vendor tool's -a when it upgrades).
	ClueTrackingAmsterVersion ClueKind = "tracking-amster-version"
	// ClueAmsterVersion: metadata.amsterVersion of the files of an Amster
	// export, counted as votes.
	ClueAmsterVersion ClueKind = "amster-version"
	// ClueAppliedRuleIDs: the tracked rule ids already applied; the tree is
	// at least at the release of the latest one the rule files know.
	ClueAppliedRuleIDs ClueKind = "applied-rule-ids"
	// ClueConfigurationVersion: the tracked configurationVersion, and the
	// releases the rule files say write it.
	ClueConfigurationVersion ClueKind = "configuration-version"
	// ClueServerVersion: com.iplanet.am.version of the server defaults. It
	// goes stale: upgrades do not rewrite it.
	ClueServerVersion ClueKind = "server-version"
)

// Clue is one thing a tree records of the AM release it comes from.
type Clue struct {
	Kind    ClueKind
	File    string
	Pointer string
	Value   string // as found (a count of votes for ClueAmsterVersion)
	// From and To bound the releases it points to: equal for an exact
	// release, To nil for a lower bound, From nil when it points to none.
	From, To Version
	// Used tells whether the start version takes it into account; Note says
	// how it was read, or why it was not used.
	Used bool
	Note string
}

// VersionEvidence is what a tree records of the AM release it comes from,
// and the release chosen from it.
type VersionEvidence struct {
	// Start is the release chosen (nil when nothing records one): the lowest
	// release every used clue allows.
	Start Version
	Clues []Clue
}

// Summary says in one line what the start version was chosen from.
func (ev VersionEvidence) Summary() string {
	if ev.Start == nil {
		return "nothing in the tree records the AM version it comes from"
	}
	var used []string
	for _, c := range ev.Clues {
		if c.Used {
			used = append(used, string(c.Kind))
		}
	}
	return fmt.Sprintf("AM %s, from %s", ev.Start, strings.Join(used, ", "))
}

// LookedAt says what was looked at, for the message that asks for --from.
func (ev VersionEvidence) LookedAt(l Layout) string {
	return fmt.Sprintf("the ConfigurationVersionService (%s: metadata.amsterVersion, appliedRuleIds, configurationVersion), "+
		"metadata.amsterVersion of the files, and com.iplanet.am.version of the server defaults (%s)", l.TrackingPath(), l.serverDefaultsPath())
}

// VersionHints is what the rule files know that reading a tree's release
// needs.
type VersionHints struct {
	// ConfigVersions maps an AM release to the configurationVersion a tree
	// of it records.
	ConfigVersions map[string]string
	// RuleRelease returns the release that brings a tracked rule, or nil
	// when no rule file knows the id.
	RuleRelease func(id string) Version
}

// serverDefaultsPath is where the server defaults live.
func (l Layout) serverDefaultsPath() string {
	if l.Mode == FBC {
		return l.Prefix + "realm/root/iplanetamplatformservice/1.0/globalconfig/default/com-sun-identity-servers/server-default.json"
	}
	return "global/DefaultAdvancedProperties.json"
}

// VersionEvidence reads what the tree records of the AM release it comes
// from: the ConfigurationVersionService, the amsterVersion of the files of
// an Amster export (an FBC tree is only listed, and its files are not read
// for this), and the server defaults. Each clue bounds the release; the
// clues are taken from the strongest to the weakest, and one that disagrees
// with those before it is reported and left out. A file that does not parse
// is an error.
func (t *Tree) VersionEvidence(ctx context.Context, h VersionHints) (VersionEvidence, error) {
	var clues []Clue
	cvs, err := t.trackingDoc()
	if err != nil {
		return VersionEvidence{}, err
	}
	if cvs != nil {
		cs, err := t.trackingClues(cvs, h)
		if err != nil {
			return VersionEvidence{}, err
		}
		clues = append(clues, cs...)
	}
	if t.Layout.Mode == Amster {
		if c, ok := t.amsterVotes(); ok {
			clues = append(clues, c)
		}
	}
	if d := t.find(t.Layout.serverDefaultsPath()); d != nil {
		if err := t.load(d); err != nil {
			return VersionEvidence{}, err
		}
		if c, ok := serverVersionClue(d, t.Layout); ok {
			clues = append(clues, c)
		}
	}
	return weigh(clues), nil
}

// trackingDoc finds the ConfigurationVersionService: at its path, or (in a
// tree read whole) wherever a global entity of its type is.
func (t *Tree) trackingDoc() (*Document, error) {
	if d := t.find(t.Layout.TrackingPath()); d != nil {
		if err := t.load(d); err != nil {
			return nil, err
		}
		if d.Entity != nil && d.Entity.Type == trackingType {
			return d, nil
		}
	}
	for _, d := range t.Docs {
		if !d.pending && d.Entity != nil && d.Entity.Type == trackingType && d.Entity.Global {
			return d, nil
		}
	}
	return nil, nil
}

func (t *Tree) trackingClues(d *Document, h VersionHints) ([]Clue, error) {
	root, err := d.parsed()
	if err != nil {
		return nil, err
	}
	var clues []Clue
	if md := root.Get("metadata"); md != nil {
		if av := md.Get("amsterVersion"); av != nil && av.Kind == amjson.String {
			c := Clue{Kind: ClueTrackingAmsterVersion, File: d.Path, Pointer: "/metadata/amsterVersion", Value: av.Text}
			if v, ok := releaseText(av.Text); ok {
				c.From, c.To = v, v
			} else {
				c.Note = "a placeholder or build token, not a release"
			}
			clues = append(clues, c)
		}
	}
	data := root.Get("data")
	if data == nil {
		return clues, nil
	}
	if ids := data.Get("appliedRuleIds"); ids != nil && ids.Kind == amjson.Array && len(ids.Items) > 0 {
		c := Clue{Kind: ClueAppliedRuleIDs, File: d.Path, Pointer: "/data/appliedRuleIds", Value: fmt.Sprintf("%d ids", len(ids.Items))}
		var latest, unknown []string
		for _, it := range ids.Items {
			var rel Version
			if h.RuleRelease != nil {
				rel = h.RuleRelease(it.Text)
			}
			switch {
			case rel == nil:
				unknown = append(unknown, it.Text)
			case c.From == nil || c.From.Less(rel):
				c.From, latest = rel, []string{it.Text}
			case c.From.Compare(rel) == 0:
				latest = append(latest, it.Text)
			}
		}
		switch {
		case c.From != nil:
			c.Note = fmt.Sprintf("%s of AM %s applied", strings.Join(latest, ", "), c.From)
		default:
			c.Note = "no rule file of this tool knows these ids"
		}
		if len(unknown) > 0 && c.From != nil {
			c.Note += fmt.Sprintf("; %d ids unknown to these rule files", len(unknown))
		}
		clues = append(clues, c)
	}
	if cv := data.Get("configurationVersion"); cv != nil && cv.Kind == amjson.String && cv.Text != "" {
		c := Clue{Kind: ClueConfigurationVersion, File: d.Path, Pointer: "/data/configurationVersion", Value: cv.Text}
		var rels []Version
		for rel, want := range h.ConfigVersions {
			if v, err := ParseVersion(rel); err == nil && want == cv.Text {
				rels = append(rels, v)
			}
		}
		if len(rels) > 0 {
			slices.SortFunc(rels, Version.Compare)
			c.From, c.To = rels[0], rels[len(rels)-1]
		} else {
			c.Note = "no release the rule files know records this configuration version"
		}
		clues = append(clues, c)
	}
	return clues, nil
}

// amsterVotes counts the amsterVersion of the files of an Amster export.
// Placeholders (&{version}) and build tokens (@amsterVersion@) are not
// votes. Where the files disagree, the release most of them carry wins,
// the lower one on a tie, and the note gives the count.
func (t *Tree) amsterVotes() (Clue, bool) {
	votes := map[string]int{}
	var others int
	for _, d := range t.Docs {
		e := d.inputEntity()
		if e == nil || e.AmsterVersion == "" {
			continue
		}
		if _, ok := releaseText(e.AmsterVersion); ok {
			votes[e.AmsterVersion]++
		} else {
			others++
		}
	}
	if len(votes) == 0 {
		if others == 0 {
			return Clue{}, false
		}
		return Clue{Kind: ClueAmsterVersion, Value: fmt.Sprintf("%d files", others), Note: "every amsterVersion is a placeholder or build token, not a release"}, true
	}
	keys := slices.SortedFunc(maps.Keys(votes), func(a, b string) int {
		va, _ := ParseVersion(a)
		vb, _ := ParseVersion(b)
		return cmp.Or(votes[b]-votes[a], va.Compare(vb))
	})
	best, _ := ParseVersion(keys[0])
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s in %d", k, votes[k]))
	}
	c := Clue{Kind: ClueAmsterVersion, Value: strings.Join(parts, ", "), From: best, To: best}
	if others > 0 {
		c.Value += fmt.Sprintf(", a placeholder or token in %d", others)
	}
	if len(keys) > 1 {
		c.Note = fmt.Sprintf("the files disagree: %s, which most of them carry, is taken", keys[0])
	}
	return c, true
}

var amVersionText = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:Access Management|OpenAM|PingAM)\s+(\d+\.\d+(?:\.\d+)*)`)
})

// serverVersionClue reads com.iplanet.am.version of the server defaults.
func serverVersionClue(d *Document, l Layout) (Clue, bool) {
	root, err := d.parsed()
	if err != nil {
		return Clue{}, false
	}
	data := root.Get("data")
	if data == nil {
		return Clue{}, false
	}
	var text, ptr string
	if l.Mode == FBC {
		if sc := data.Get("serverconfig"); sc != nil && sc.Kind == amjson.Array {
			for i, it := range sc.Items {
				if v, ok := strings.CutPrefix(it.Text, "com.iplanet.am.version="); ok && it.Kind == amjson.String {
					text, ptr = v, fmt.Sprintf("/data/serverconfig/%d", i)
				}
			}
		}
	} else if v := data.Get("com.iplanet.am.version"); v != nil && v.Kind == amjson.String {
		text, ptr = v.Text, "/data/com.iplanet.am.version"
	}
	if ptr == "" {
		return Clue{}, false
	}
	c := Clue{Kind: ClueServerVersion, File: d.Path, Pointer: ptr, Value: text}
	if m := amVersionText().FindStringSubmatch(text); m != nil {
		if v, err := ParseVersion(m[1]); err == nil {
			c.From, c.To = v, v
		}
	}
	if c.From == nil {
		c.Note = "names no release"
	}
	return c, true
}

// releaseText reads an amsterVersion: a release such as 7.5.0 or 6.5.2.2;
// not a placeholder (&{version}) or a build token (@amsterVersion@,
// ${project.version}).
func releaseText(s string) (Version, bool) {
	if s == "" || strings.ContainsAny(s, "&{}$@ ") {
		return nil, false
	}
	v, err := ParseVersion(s)
	return v, err == nil && len(v) >= 2
}

// weigh takes the clues from the strongest to the weakest: each narrows the
// releases the tree may come from, unless it disagrees with those before it.
func weigh(clues []Clue) VersionEvidence {
	order := []ClueKind{ClueTrackingAmsterVersion, ClueAmsterVersion, ClueAppliedRuleIDs, ClueConfigurationVersion, ClueServerVersion}
	slices.SortStableFunc(clues, func(a, b Clue) int {
		return slices.Index(order, a.Kind) - slices.Index(order, b.Kind)
	})
	var lo, hi Version
	for i := range clues {
		c := &clues[i]
		if c.From == nil {
			continue
		}
		switch {
		case hi != nil && hi.Less(c.From), c.To != nil && lo != nil && c.To.Less(lo):
			c.Note = strings.TrimPrefix(c.Note+"; ", "; ") + fmt.Sprintf("disagrees with the stronger clues (AM %s): left out", span(lo, hi))
			continue
		}
		if lo == nil || lo.Less(c.From) {
			lo = c.From
		}
		if c.To != nil && (hi == nil || c.To.Less(hi)) {
			hi = c.To
		}
		c.Used = true
	}
	return VersionEvidence{Start: lo, Clues: clues}
}

func span(lo, hi Version) string {
	switch {
	case hi == nil:
		return lo.String() + " or later"
	case lo.Compare(hi) == 0:
		return lo.String()
	}
	return lo.String() + " to " + hi.String()
}
