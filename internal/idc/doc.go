// Package idc supports the upgrade of Salesforce Identity Connect 2.1 to
// 7.1.6 (Identity Connect is built on ForgeRock OpenIDM / IDM): a preflight
// of the upgrade guide's preconditions, read from the two installations'
// files, and a client for the 7.1.6 migration endpoint that replaces the
// guide's curl --insecure calls.
//
// It reads Java key stores itself (JKS and JCEKS, integrity digest and key
// encryption included; see ReadStore and Entry), IDM's boot.properties and
// the password forms IDM writes there (DecodePassword), and checks
// certificates the way Java's TLS client does (host names with the common
// name as fallback, see MatchHostname). Preflight returns Results, values
// the command line formats; Migrate reports Events as it goes.
//
// Nothing here writes to an installation.
package idc
