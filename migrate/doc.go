// Package migrate converts an LDIF export of an AM configuration store (DS,
// export-ldif --includeBranch ou=am-config) into a file-based configuration
// (FBC) tree: the contents of AM's config/services folder.
//
// FBC is an image of AM's SMS directory tree, one JSON file per entry, so
// each entry's place and metadata come from its DN alone: ou=services,<base>
// is the root realm (global/realms/root.json), o=<realm>,ou=services,… a
// sub-realm, and ou=<service>,ou=<version>,ou=<container>,… a service's
// configuration (realm/root/<service>/1.0/<container>/<name>.json). The
// values are the entry's sunKeyValue and sunxmlKeyValue "name=value"
// strings; they get their JSON types and names from the service schemas the
// export holds (sunServiceSchema), and their section objects from AM's
// section.properties (or from tables mined from real trees).
//
// Migrate reads the export twice, holding one entry at a time: first to
// check it and read the schemas, then to convert each entry in parallel and
// give its file to a sink. What cannot be typed or placed is written as the
// facts of AM's format say and reported as a Notice; the dynamic data that
// the PingAM 8.1 guide moves out of the configuration store first (agents,
// policies, federation entities, the hidden delegation realm) is found and,
// by Options.Dynamic, refused, left out or kept.
package migrate
