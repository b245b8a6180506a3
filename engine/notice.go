package engine

import (
	"cmp"
	"slices"
	"strings"
)

// NoticeCode says what a notice is about. The codes are stable: the JSON
// report carries them, and tools may select notices by code.
type NoticeCode string

const (
	// NoticeNotImplemented: a rule names a vendor transform whose change this
	// run did not make; the user makes it by hand.
	NoticeNotImplemented NoticeCode = "not-implemented"
	// NoticeKeptPlaceholder: an operation would have overwritten a value that
	// AM resolves at start-up (&{…} or a $string/$inline… wrapper) and kept it.
	NoticeKeptPlaceholder NoticeCode = "kept-placeholder"
	// NoticeTracking: the ConfigurationVersionService was missing, and was
	// created or ignored as asked.
	NoticeTracking NoticeCode = "tracking"
	// NoticeRecordedUnmatched: a tracked rule's selector found no document and it is
	// recorded as applied all the same, as the vendor records it.
	NoticeRecordedUnmatched NoticeCode = "recorded-unmatched"
	// NoticeNotCreated: a create rule could not make its entity.
	NoticeNotCreated NoticeCode = "not-created"
	// NoticeFileReference: a transform met a reference to a file it does not
	// rewrite (a script given as $inline or $base64:encode).
	NoticeFileReference NoticeCode = "file-reference"
	// NoticeLinkLeftOut: a symbolic link that leads out of the tree, not
	// followed and not copied.
	NoticeLinkLeftOut NoticeCode = "link-left-out"
	// NoticeNotRegular: a FIFO, socket or device in the tree, left out.
	NoticeNotRegular NoticeCode = "not-regular"
	// NoticeOtherLayout: a file of the other layout (an Amster file in an FBC
	// tree), passed through unchanged.
	NoticeOtherLayout NoticeCode = "other-layout"
	// NoticeNotConfiguration: a JSON file of the configuration that is not
	// configuration (no metadata or data object, a realm that is not text):
	// no rule sees it.
	NoticeNotConfiguration NoticeCode = "not-configuration"
	// NoticeByteOrderMark: a file starts with a UTF-8 byte order mark.
	NoticeByteOrderMark NoticeCode = "byte-order-mark"
)

// Notice is something a run tells its user besides the changes it made: a
// change it could not make, a value it kept, a file it passed over. It is a
// value to the edge: the command line and the report format it.
type Notice struct {
	Code    NoticeCode
	RuleID  string // the rule it concerns, if any
	File    string // the file, relative to the tree root, if any
	Pointer string // a JSON Pointer inside File, if any
	// Message says what happened and what to do, without the rule, file and
	// pointer, which String puts in front.
	Message string
	// Transform, Reason, Needs and Action are set for NoticeNotImplemented:
	// the vendor transform, why its change (or this part of it) was not
	// made, what that needs, and what to do by hand.
	Transform, Reason string
	Needs             Need
	Action            string
}

// Need is what a vendor change this run did not make would need: one of a
// closed list, so that every gap has a stated cause.
type Need string

const (
	// NeedKeyMaterial: the change writes or reads keys or passwords (a
	// keystore entry, a decrypted value), which configuration files do not
	// hold.
	NeedKeyMaterial Need = "key-material"
	// NeedNetwork: the change reads a document over the network, which a run
	// does only when asked.
	NeedNetwork Need = "network"
	// NeedLicensedContent: the change copies content AM bundles under its
	// licence (script bodies, default configuration); --reference supplies it.
	NeedLicensedContent Need = "licensed-content"
	// NeedPublicFact: what the vendor's change is, is not public.
	NeedPublicFact Need = "public-fact"
)

// Needs lists every Need, in a stable order.
func Needs() []Need {
	return []Need{NeedKeyMaterial, NeedNetwork, NeedLicensedContent, NeedPublicFact}
}

// String is the notice as one line: `rule ID: file at pointer: message`,
// and for a change left to do by hand `; by hand: action`.
func (n Notice) String() string {
	var b strings.Builder
	if n.RuleID != "" {
		b.WriteString("rule " + n.RuleID + ": ")
	}
	if n.File != "" {
		b.WriteString(n.File)
		if n.Pointer != "" {
			b.WriteString(" at " + n.Pointer)
		}
		b.WriteString(": ")
	}
	b.WriteString(n.Message)
	if n.Action != "" {
		b.WriteString("; by hand: " + n.Action)
	}
	return b.String()
}

// sortNotices orders notices so that a run's list does not depend on the
// order its workers finished in: by file, pointer, rule, code and message.
func sortNotices(ns []Notice) {
	slices.SortStableFunc(ns, func(a, b Notice) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pointer, b.Pointer), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
}

// NoticesOf returns the notices of one code.
func NoticesOf(ns []Notice, code NoticeCode) []Notice {
	var out []Notice
	for _, n := range ns {
		if n.Code == code {
			out = append(out, n)
		}
	}
	return out
}
