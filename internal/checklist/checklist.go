// Package checklist holds the manual steps of the PingAM 8.1 upgrade guide
// that configuration files can tell something about: for each, whether it
// applies to the upgraded tree, the evidence (file, JSON Pointer, note) and
// what to do. Facts gathers what the steps read while the upgrade streams,
// file by file, without keeping any file; Build then checks every step, for
// the release the upgrade goes to.
package checklist

import (
	"fmt"

	"github.com/amupgrade/amupgrade/engine"
)

// Applies says whether a checklist item is a step the reviewer must take.
type Applies string

const (
	Yes     Applies = "yes"
	No      Applies = "no"
	Unknown Applies = "unknown" // the configuration does not say
)

// Item is one manual step of the PingAM 8.1 upgrade guide, checked against
// the upgraded configuration.
type Item struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Applies Applies `json:"applies"`
	// Release is the AM release that brings the step: an upgrade to an
	// earlier release does not need it ("" when every upgrade may).
	Release string `json:"release,omitempty"`
	// Section is the guide's section name; SectionID its anchor, and Guide
	// the address of the section.
	Section   string `json:"section"`
	SectionID string `json:"sectionId"`
	Guide     string `json:"guide"`
	// Summary says in one line why the item applies or not (the console
	// line); Action what to do.
	Summary  string     `json:"summary"`
	Action   string     `json:"action"`
	Evidence []Evidence `json:"evidence"`
}

// Evidence is where the configuration shows it: a file of the upgraded tree
// (or the Tomcat file), a JSON Pointer inside it or a line number, and what
// is there.
type Evidence struct {
	File    string `json:"file"`
	Pointer string `json:"pointer,omitempty"`
	Line    int    `json:"line,omitempty"`
	Note    string `json:"note"`
}

// GuideURL is the PingAM 8.1 page the checklist follows ("Upgrade AM
// instances").
const GuideURL = "https://docs.pingidentity.com/pingam/8.1/upgrade/upgrade-servers.html"

type section struct{ name, id string }

var (
	secBefore  = section{"Before you upgrade", "before-you-upgrade"}
	secTomcat  = section{"Upgrade Tomcat", "upgrade-tomcat"}
	secConfig  = section{"Configuration store", "configuration_store"}
	secIdStore = section{"Identity store", "identity_store"}
	secTools   = section{"Update tools, scripts, and components", "update_tools_scripts_and_components"}
)

func newItem(id, title string, s section) Item {
	return Item{ID: id, Title: title, Section: s.name, SectionID: s.id, Guide: GuideURL + "#" + s.id, Evidence: []Evidence{},
		Release: releases[id]}
}

// releases gives, per item, the AM release that brings the step. Tomcat 10
// and Jakarta EE come with AM 8.0 (the guide: "From AM 8.0 Apache Tomcat
// 10.x is supported"); the retry-limit schema is for upgrades from AM 7.0;
// the 8.1 guide is the only public source of the others, so they count from
// 8.1. Custom server properties are lost by any upgrade.
var releases = map[string]string{
	"transient-state-key":               "8.1.0",
	"identity-store-retry-limit-schema": "7.1.0",
	"identity-store-device-schema":      "8.1.0",
	"config-store-sort-aci":             "8.1.0",
	"javax-references":                  "8.0.0",
	"tomcat-encoded-slash":              "8.0.0",
}

// Options are what the checklist needs besides the facts of the tree.
type Options struct {
	// Chain is the run's rules: which optional groups ran, and which were
	// left out (a step may name a rule of one).
	Chain *engine.Chain
	// From is the AM release the configuration comes from ("" when not
	// known); Target the release it is upgraded to (nil when not known:
	// every step is checked).
	From   string
	Target engine.Version
	// TomcatServerXML is a Tomcat server.xml to check, if any.
	TomcatServerXML string
	// Mask shows a server property's value as it may be printed.
	Mask func(key, val string) string
}

// Build checks every item against the facts of the upgraded tree. A Tomcat
// file that cannot be read is an error.
func Build(f *Facts, o Options) ([]Item, error) {
	tomcat, err := tomcatItem(o.TomcatServerXML)
	if err != nil {
		return nil, err
	}
	t := f.sorted()
	stores := identityStores(t)
	items := []Item{
		transientStateItem(t),
		retryLimitItem(stores, o.From),
		deviceSchemaItem(t, stores, o.Chain),
		configStoreItem(t),
		advancedPropertiesItem(t, o.Mask),
		jakartaItem(o.Chain, t),
		tomcat,
	}
	for i := range items {
		it := &items[i]
		if rel, err := engine.ParseVersion(it.Release); err == nil && o.Target != nil && o.Target.Less(rel) {
			it.Applies = No
			it.Summary = fmt.Sprintf("the step comes with AM %s; this upgrade goes to AM %s", it.Release, o.Target)
		}
	}
	return items, nil
}

// BeyondTarget reports whether an item does not apply because the upgrade
// stops before the release that brings it.
func BeyondTarget(it Item, target engine.Version) bool {
	rel, err := engine.ParseVersion(it.Release)
	return err == nil && target != nil && target.Less(rel)
}
