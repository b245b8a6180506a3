package engine

import "github.com/amupgrade/amupgrade/amjson"

// Chain is an ordered list of rules from one or more version steps, compiled
// and ready to apply. The ruleset package builds it from rule files.
type Chain struct {
	Mode  Mode
	Steps []Step
	Rules []*Rule
	// ConfigVersions maps an AM release to the configurationVersion it
	// writes (FBC), for trees without version tracking.
	ConfigVersions map[string]string
	// Optional lists the rules of the chain's steps left out because their
	// optional group was not switched on, so that what is said about a
	// run can name them.
	Optional []OptionalRule
}

// OptionalRule is a rule of an optional group.
type OptionalRule struct {
	ID, Title, Group string
}

// Step describes one version step of a chain.
type Step struct {
	Name     string // e.g. amster/7.1.x-to-7.2.x
	File     string // the rule file it was read from
	From, To Version
}

// Rule is one rule of a step.
type Rule struct {
	ID      string
	Title   string
	Step    string // the step's Name
	Pos     Pos
	Tracked bool
	Parts   []*Part
	// Create, when set, makes a new entity instead of changing documents.
	Create *Create
	// SetVersion, when set, moves the tracked configurationVersion.
	SetVersion Version
}

// Part is one selector with its guards and operations.
type Part struct {
	Pos           Pos
	Select        *Selector
	VersionBefore []Version
	Within        amjson.Pointer
	CreateWithin  bool
	When          *Expr
	Ops           []Op
}

// Create describes a new entity. Metadata holds the metadata fields beyond
// the identity (sunServiceID, objectClass, ou, uid…), Data the data object.
type Create struct {
	Entity   Entity
	File     string // overrides the layout's path when set
	Metadata *amjson.Value
	Data     *amjson.Value
	// Requires, when set, must select an existing entity (the secret store a
	// mapping goes into); otherwise nothing is created.
	Requires *Selector
	// Unless, when set and matching an existing entity, means the entity's
	// purpose is already served elsewhere: nothing is created.
	Unless *Selector
	// Required makes a missing Requires an error, as the vendor does for
	// required secret label mappings, unless IgnoreRequiredSecretMapping.
	Required bool
	// Whole, when set, is the whole document (metadata and data), written
	// as it is: an entity copied from the reference configuration.
	Whole *amjson.Value
	// IfBlocked, when set, is the manual step reported when Requires finds
	// nothing (a transform's create), instead of a not-created notice.
	IfBlocked *Notice
}

// Op is one operation of a part.
type Op interface {
	// Name is the operation's name as written in rule files.
	Name() string
	apply(c *opContext) error
}
