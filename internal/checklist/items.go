package checklist

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// ptr builds a JSON Pointer from segments.
func ptr(segs ...string) string { return amjson.Pointer(segs).String() }

// ---------------------------------------------------------------- (a)

const transientLabel = "am.authn.trees.transientstate.encryption"

// transientStateItem: the directenctest key must resolve through the secret
// label am.authn.trees.transientstate.encryption in a global secret store.
func transientStateItem(t *facts) Item {
	it := newItem("transient-state-key", "Transient state encryption key", secBefore)
	var global, realm []secretMapping
	for _, d := range t.mappings {
		if d.Global {
			global = append(global, d)
		} else {
			realm = append(realm, d)
		}
	}
	it.Applies = Yes
	for _, d := range global {
		it.Evidence = append(it.Evidence, Evidence{File: d.Path, Pointer: ptr("data", "aliases"),
			Note: fmt.Sprintf("global mapping of %s to alias %s", transientLabel, orNone(d.aliases))})
		if s := mappingStore(t, d); s != nil {
			note := "the secret store holding the mapping"
			if s.hasFile {
				note = fmt.Sprintf("the secret store holding the mapping: keystore %s (%s)", s.file, orDash(s.storeType))
			}
			it.Evidence = append(it.Evidence, Evidence{File: s.Path, Pointer: ptr("data", "file"), Note: note})
		}
	}
	for _, d := range realm {
		it.Evidence = append(it.Evidence, Evidence{File: d.Path, Pointer: ptr("data", "aliases"),
			Note: fmt.Sprintf("mapping in realm %s only: AM needs it in a global store", d.Realm)})
	}
	if len(global) > 0 {
		it.Summary = fmt.Sprintf("make the AES 256-bit key %s (secret label %s) available to every instance", orNone(global[0].aliases), transientLabel)
		it.Action = "Make the AES 256-bit key the mapping names (directenctest unless changed) available to every AM instance of the site, " +
			"for example by copying the keystore (keytool -genseckey -alias directenctest -keyalg AES -keysize 256 -storetype JCEKS " +
			"creates one). Without it AM does not start after the upgrade. Keep the label mapped to an existing alias if you rename it."
		return it
	}
	it.Summary = fmt.Sprintf("no global secret store maps %s: AM will not start after the upgrade", transientLabel)
	it.Action = fmt.Sprintf("Map the secret label %s to an AES 256-bit key (alias directenctest) in a globally configured secret store "+
		"(amupgrade creates the mapping in default-keystore when that store exists), and make the key available to every AM instance.", transientLabel)
	return it
}

func isTransientMapping(mode engine.Mode, d entity, data []byte) bool {
	if !d.JSON || !transientNeedle.in(data) {
		return false
	}
	if get(data, "secretId").String() == transientLabel {
		return true
	}
	if mode == engine.FBC {
		return strings.HasSuffix(d.ID, "/mappings/"+transientLabel)
	}
	return strings.HasSuffix(d.Type, "Mappings") && d.ID == transientLabel
}

// mappingStore finds the secret store a mapping belongs to.
func mappingStore(t *facts, m secretMapping) *secretStore {
	storeType, storeID := m.storeType, m.storeID
	if t.mode == engine.FBC {
		id, _, ok := strings.Cut(m.ID, "/mappings/")
		if !ok {
			return nil
		}
		storeType, storeID = m.Type, id
	}
	for i, d := range t.stores {
		if storeType != "" && d.Type == storeType && d.ID == storeID && d.Global == m.Global {
			return &t.stores[i]
		}
	}
	return nil
}

// ---------------------------------------------------------------- (b)

// idStore is an identity store of the tree.
type idStore struct {
	doc  storeDoc
	name string
	ds   Applies // Yes: PingDS; Unknown: an LDAP store that may be DS; No: another directory
	note string
}

const userObjectClass = "sun-idrepo-ldapv3-config-user-objectclass"

// isStoreDoc tells whether a document may be an LDAP identity store: an FBC
// sunIdentityRepositoryService instance, an Amster idrepo entity by type.
func isStoreDoc(mode engine.Mode, d entity) bool {
	if d.Global || d.Type == "" {
		return false
	}
	if mode == engine.FBC {
		rest, ok := strings.CutPrefix(d.ID, "default/")
		return d.Type == "sunIdentityRepositoryService" && ok && !strings.Contains(rest, "/")
	}
	return amsterStoreTypes[d.Type]
}

// identityStores lists the LDAP identity stores.
func identityStores(t *facts) []idStore {
	var out []idStore
	for _, d := range t.idStores {
		kind, name := d.Type, d.ID
		if t.mode == engine.FBC {
			kind, name = d.SunSID, strings.TrimPrefix(d.ID, "default/")
		}
		s := idStore{doc: d, name: name}
		switch {
		case kind == "OpenDJ" || kind == "LDAPv3ForOpenDS" || kind == "LDAPv3ForForgeRockIAM":
			s.ds, s.note = Yes, fmt.Sprintf("identity store %s in realm %s: PingDS (%s)", name, d.Realm, kind)
		case strings.HasPrefix(kind, "&{") && strings.EqualFold(name, "OpenDJ"):
			s.ds, s.note = Yes, fmt.Sprintf("identity store %s in realm %s: its type is the property %s, resolved at start-up; the name is AM's default for a PingDS store", name, d.Realm, kind)
		case strings.HasPrefix(kind, "&{"):
			s.ds, s.note = Unknown, fmt.Sprintf("identity store %s in realm %s: its type is the property %s, resolved at start-up", name, d.Realm, kind)
		case kind == "LDAPv3":
			s.ds, s.note = Unknown, fmt.Sprintf("identity store %s in realm %s: generic LDAPv3, which may be PingDS", name, d.Realm)
		case strings.HasPrefix(kind, "LDAPv3"):
			s.ds, s.note = No, fmt.Sprintf("identity store %s in realm %s: %s, not PingDS", name, d.Realm, kind)
		default:
			continue // not a directory
		}
		out = append(out, s)
	}
	return out
}

var amsterStoreTypes = map[string]bool{"OpenDJ": true, "LDAPv3ForOpenDS": true, "LDAPv3ForForgeRockIAM": true, "LDAPv3": true,
	"LDAPv3ForAD": true, "LDAPv3ForADAM": true, "LDAPv3ForTivoli": true}

// dsStores returns the evidence of the stores that are or may be PingDS, and
// whether one surely is.
func dsStores(stores []idStore) (ev []Evidence, sure, maybe bool) {
	for _, s := range stores {
		if s.ds == No {
			continue
		}
		sure = sure || s.ds == Yes
		maybe = true
		ev = append(ev, Evidence{File: s.doc.Path, Note: s.note})
	}
	return ev, sure, maybe
}

const ldifDir = "WEB-INF/template/ldif/opendj"

func retryLimitItem(stores []idStore, from string) Item {
	it := newItem("identity-store-retry-limit-schema", "Identity store schema for the Retry Limit Decision node (opendj_retry_limit_node_count.ldif)", secIdStore)
	it.Action = fmt.Sprintf("Apply %s/opendj_retry_limit_node_count.ldif of the deployed am.war to each PingDS identity store with ldapmodify. "+
		"The Save Retry Limit to User feature of the Retry Limit Decision node is on by default and needs it; if you cannot update the schema, disable the feature.", ldifDir)
	ev, sure, maybe := dsStores(stores)
	it.Evidence = append(it.Evidence, ev...)
	v, err := engine.ParseVersion(from)
	switch {
	case !maybe:
		it.Applies, it.Summary = No, "no PingDS identity store in the configuration"
	case from == "" || err != nil:
		it.Applies, it.Summary = Unknown, "the AM version the configuration comes from is not known (give --from): the schema update is needed when coming from AM 7.0"
	case v.Less(engine.Version{7, 1, 0}):
		it.Applies = Yes
		if !sure {
			it.Applies = Unknown
		}
		it.Summary = fmt.Sprintf("upgrading from AM %s with a PingDS identity store: apply opendj_retry_limit_node_count.ldif", from)
	default:
		it.Applies, it.Summary = No, fmt.Sprintf("upgrading from AM %s: the guide asks for it only when coming from AM 7.0", from)
	}
	return it
}

// deviceFeatures are the entity types that show push, WebAuthn, device
// profiling or device binding in use: tree nodes, legacy modules and realm
// services.
var deviceFeatures = [...]struct {
	name  string
	types []string
}{
	{"push", []string{"PushRegistrationNode", "PushAuthenticationSenderNode", "PushWaitNode", "PushResultVerifierNode",
		"AuthenticatorPushModule", "AuthenticatorPushRegistrationModule", "AuthenticatorPush", "PushNotificationService", "PushNotification"}},
	{"WebAuthn", []string{"WebAuthnRegistrationNode", "WebAuthnAuthenticationNode", "WebAuthnDeviceStorageNode", "AuthenticatorWebAuthn"}},
	{"device profiling", []string{"DeviceProfileCollectorNode", "DeviceMatchNode", "DeviceSaveNode", "DeviceGeoFencingNode",
		"DeviceLocationMatchNode", "DeviceTamperingVerificationNode", "DeviceProfiles", "DeviceProfilesService"}},
	{"device binding", []string{"DeviceBindingNode", "DeviceBindingStorageNode", "DeviceSigningVerifierNode", "DeviceBinding"}},
}

// configured tells whether a realm document is a configured instance: a
// node or module instance, or the realm's own settings of a service (not
// the defaults AM keeps for new realms).
func configured(mode engine.Mode, d entity) bool {
	if d.Global {
		return false
	}
	if mode == engine.FBC {
		return d.ID == "default" || strings.HasPrefix(d.ID, "default/")
	}
	return true
}

func deviceSchemaItem(t *facts, stores []idStore, chain *engine.Chain) Item {
	it := newItem("identity-store-device-schema", "Identity store schema for push, WebAuthn and device profiles (opendj_webauthndevices, opendj_deviceprofiles, opendj_bounddevices)", secIdStore)
	it.Action = fmt.Sprintf("Apply %[1]s/opendj_webauthndevices.ldif, %[1]s/opendj_deviceprofiles.ldif and %[1]s/opendj_bounddevices.ldif of the deployed am.war "+
		"to each PingDS identity store with ldapmodify. If you do not make this schema change, remove webauthnDeviceProfilesContainer from the LDAP User Object Class "+
		"of each such identity store after the upgrade (Realms > realm > Identity Stores > store > User Configuration), in every realm that uses it; "+
		"the optional rule group --with no-webauthn-schema does that in the configuration.",
		ldifDir)
	ev, sure, maybe := dsStores(stores)
	it.Evidence = append(it.Evidence, ev...)
	var found []string
	for i, f := range deviceFeatures {
		use := t.devices[i]
		for _, d := range use.first {
			it.Evidence = append(it.Evidence, Evidence{File: d.Path, Note: fmt.Sprintf("%s: %s %s in realm %s", f.name, d.Type, d.ID, d.Realm)})
		}
		n := use.n
		if n > 5 {
			it.Evidence = append(it.Evidence, Evidence{File: "", Note: fmt.Sprintf("%s: %d more", f.name, n-5)})
		}
		if n > 0 {
			found = append(found, f.name)
		}
	}
	for _, s := range stores {
		if s.ds == No {
			continue
		}
		for _, i := range s.doc.webauthnAt {
			it.Evidence = append(it.Evidence, Evidence{File: s.doc.Path, Pointer: ptr("data", "userconfig", userObjectClass, strconv.Itoa(i)),
				Note: "the user object classes name webauthnDeviceProfilesContainer"})
		}
	}
	switch {
	case !maybe:
		it.Applies, it.Summary = No, "no PingDS identity store in the configuration"
	case len(found) == 0:
		it.Applies, it.Summary = No, "no push, WebAuthn, device profiling or device binding configuration (nodes, modules or realm services) found"
	default:
		it.Applies = Yes
		if !sure {
			it.Applies = Unknown
		}
		it.Action += " " + objectClassRuleNote(chain)
		it.Summary = fmt.Sprintf("%s configured with a PingDS identity store: apply the three LDIF files, or remove webauthnDeviceProfilesContainer from the user object classes", strings.Join(found, ", "))
	}
	return it
}

// objectClassRuleNote names the optional rule that removes the object
// class, when the rule files have one: it is in a group that is off by
// default, so the chain holds it among its optional rules.
func objectClassRuleNote(chain *engine.Chain) string {
	if chain != nil {
		for _, r := range chain.Optional {
			if strings.Contains(strings.ToLower(r.ID+" "+r.Title), "webauthndeviceprofilescontainer") {
				return fmt.Sprintf("The optional rule %s (amupgrade --with %s) removes it.", r.ID, r.Group)
			}
		}
	}
	return "No rule of this run's steps removes it: whether the schema change was made is not in the configuration, so amupgrade leaves the object class alone."
}

// ---------------------------------------------------------------- (c)

func configStoreItem(t *facts) Item {
	it := newItem("config-store-sort-aci", "Configuration store ACI for server-side sorting", secConfig)
	userDN := "uid=am,ou=admins,dc=example,dc=com"
	for _, d := range t.dirConfigs {
		it.Evidence = append(it.Evidence, Evidence{File: d.Path, Pointer: ptr("data", "directoryConfiguration", "bindDn"),
			Note: fmt.Sprintf("the configuration store of server %s binds as %s", d.ID, d.bindDN)})
		userDN = d.bindDN
	}
	it.Action = "After the configuration is updated (for an Amster export: once it is imported into the new PingDS configuration store), add an ACI " +
		"to the configuration store directory that lets the AM administrative user use server-side sorting, similar to:\n" +
		"aci: (targetcontrol=\"1.2.840.113556.1.4.473\")(version 3.0; acl \"Allow server-side sorting\"; allow (read) (userdn = \"ldap:///" + userDN + "\");)"
	if t.mode == engine.FBC {
		it.Applies = No
		it.Summary = "a file-based configuration has no configuration store directory; the guide's ACI applies to PingDS configuration stores only"
		return it
	}
	it.Applies = Yes
	it.Summary = "add the server-side sorting ACI to the PingDS configuration store the export is imported into"
	return it
}

// ---------------------------------------------------------------- (d)

var (
	//go:embed serverdefaults.txt
	serverDefaultsText string
	//go:embed perserver.txt
	perServerText string

	serverDefaults = sync.OnceValue(func() map[string]bool { return keySet(serverDefaultsText) })
	perServerKeys  = sync.OnceValue(func() map[string]bool { return keySet(perServerText) })
)

func keySet(text string) map[string]bool {
	m := map[string]bool{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}

// property is one server property of a document.
type property struct {
	key, val  string
	pointer   string
	perServer bool
	server    string
}

// isServerProperties tells whether a document holds advanced server
// properties: FBC serverconfig entries of server-default and of each
// server, Amster DefaultAdvancedProperties and Servers/*/AdvancedProperties.
func isServerProperties(mode engine.Mode, d entity) bool {
	switch {
	case !d.JSON:
		return false
	case mode == engine.FBC:
		return d.Type == "iPlanetAMPlatformService" && strings.HasPrefix(d.ID, "default/com-sun-identity-servers/")
	case mode == engine.Amster:
		return d.Type == "DefaultAdvancedProperties" || d.Type == "AdvancedProperties"
	}
	return false
}

// serverProperties lists the properties of such a document, as data has
// them.
func serverProperties(mode engine.Mode, d entity, data []byte) []property {
	var out []property
	switch {
	case data == nil:
	case mode == engine.FBC:
		server := strings.TrimPrefix(d.ID, "default/com-sun-identity-servers/")
		for i, e := range gjson.GetBytes(data, "data.serverconfig").Array() {
			k, v, _ := strings.Cut(e.String(), "=")
			out = append(out, property{key: k, val: v, pointer: ptr("data", "serverconfig", strconv.Itoa(i)),
				perServer: server != "server-default", server: server})
		}
	default:
		gjson.GetBytes(data, "data").ForEach(func(k, v gjson.Result) bool {
			if !strings.HasPrefix(k.String(), "_") {
				val := v.String()
				if v.Type == gjson.JSON {
					val = v.Raw
				}
				out = append(out, property{key: k.String(), val: val, pointer: ptr("data", k.String()),
					perServer: d.Type == "AdvancedProperties", server: d.ID})
			}
			return true
		})
	}
	return out
}

// customProperties lists the properties of a document as read that are
// not AM's own, and whether the upgraded document keeps them.
func customProperties(mode engine.Mode, d entity, in, out []byte) []customProperty {
	var custom []customProperty
	for _, p := range serverProperties(mode, d, in) {
		if (!p.perServer && !serverDefaults()[p.key]) || (p.perServer && !perServerKeys()[p.key]) {
			custom = append(custom, customProperty{key: p.key, val: p.val, perServer: p.perServer, server: p.server})
		}
	}
	if len(custom) == 0 {
		return nil
	}
	kept := map[string]property{}
	for _, p := range serverProperties(mode, d, out) {
		kept[p.key] = p
	}
	for i, c := range custom {
		if k, ok := kept[c.key]; ok {
			custom[i].kept, custom[i].pointer = true, k.pointer
		}
	}
	return custom
}

func advancedPropertiesItem(t *facts, mask func(key, val string) string) Item {
	it := newItem("custom-advanced-properties", "Custom advanced server properties", secTools)
	var defaults, servers int
	for _, f := range t.properties {
		for _, p := range f.props {
			val := p.val
			if mask != nil {
				val = mask(p.key, val)
			}
			where := "server defaults"
			if p.perServer {
				where = "server " + p.server
				servers++
			} else {
				defaults++
			}
			ev := Evidence{File: f.path, Note: fmt.Sprintf("%s: %s=%s", where, p.key, val)}
			if p.kept {
				ev.Pointer = p.pointer
				ev.Note += " (kept)"
			} else {
				ev.Note += " (removed by the upgrade: re-add it if it is still needed)"
			}
			it.Evidence = append(it.Evidence, ev)
		}
	}
	it.Action = "The guide warns that custom advanced server properties are lost in an upgrade and must be re-added in the admin UI " +
		"(Configure > Server Defaults > Advanced, or Deployment > Servers > server > Advanced). amupgrade keeps every server property in the " +
		"upgraded files: check that the ones listed are still wanted with AM 8.1, and, for an Amster export, that they are there after the import. " +
		"Custom means absent from the AM default keys amupgrade knows for the server defaults, and not one of " +
		"the keys AM writes for each server for per-server properties; AM's own default set is not public, so a default AM added in a release " +
		"amupgrade has not seen may be listed too."
	if defaults+servers == 0 {
		it.Applies = No
		it.Summary = "no server property beyond AM's own defaults and per-server settings found"
		return it
	}
	it.Applies = Yes
	them := "they are"
	if defaults+servers == 1 {
		them = "it is"
	}
	it.Summary = fmt.Sprintf("%s, which amupgrade keeps; check %s still wanted",
		counts(defaults, "custom server-default property", servers, "per-server property"), them)
	return it
}

// ---------------------------------------------------------------- (e)

var javaxRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`javax\.(servlet|websocket)`) })

// scriptFile reports files whose text is a script.
func scriptFile(p string) bool {
	for _, ext := range []string{".js", ".groovy", ".javascript"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

var javaxBytes = []byte("javax.")

// javaxIn finds the javax references of one file of the new tree: in the
// script bodies and allowlists of configuration files, in the lines of
// script files. It returns nil when there are none.
func javaxIn(d entity, data []byte) *javaxFile {
	switch {
	case d.JSON && d.Type != "":
		if !bytes.Contains(data, javaxBytes) && !encodedJavax(data) {
			return nil
		}
		return javaxInJSON(d, data)
	case !d.JSON && scriptFile(d.Path) && bytes.Contains(data, javaxBytes):
		f := &javaxFile{path: d.Path}
		for _, l := range javaxLines(string(data)) {
			f.evidence = append(f.evidence, Evidence{File: d.Path, Line: l.n, Note: fmt.Sprintf("line %d: %s", l.n, l.text)})
		}
		if len(f.evidence) == 0 {
			return nil
		}
		f.scripts = 1
		return f
	}
	return nil
}

// javaxInJSON looks into the script bodies (base64 or not) and the
// allowlists of a configuration file.
func javaxInJSON(d entity, data []byte) *javaxFile {
	f := &javaxFile{path: d.Path}
	doc := gjson.GetBytes(data, "data")
	walkJSON(doc, []string{"data"}, func(path []string, v gjson.Result) {
		key := path[len(path)-1]
		switch {
		case key != "script" && key != "whiteList":
		case key == "script" && v.Type == gjson.String:
			body, encoded := decodeScript(v.String())
			lines := javaxLines(body)
			if len(lines) > 0 {
				f.scripts++
			}
			name := doc.Get("name").String()
			for _, l := range lines {
				note := fmt.Sprintf("script %s, line %d: %s", orDash(name), l.n, l.text)
				if encoded {
					note = fmt.Sprintf("script %s (base64), line %d: %s", orDash(name), l.n, l.text)
				}
				f.evidence = append(f.evidence, Evidence{File: d.Path, Pointer: ptr(path...), Line: l.n, Note: note})
			}
		case key == "whiteList" && v.IsArray():
			items := stringsOf(v)
			for i, s := range items {
				twin, ok := jakartaTwin(s)
				if ok && !slices.Contains(items, twin) {
					f.entries++
					f.evidence = append(f.evidence, Evidence{File: d.Path, Pointer: ptr(append(slices.Clone(path), strconv.Itoa(i))...),
						Note: fmt.Sprintf("allowlist entry %s has no %s twin", s, twin)})
				}
			}
		}
	})
	if len(f.evidence) == 0 {
		return nil
	}
	return f
}

// encodedJavax tells whether a document whose text has no "javax." may
// still reference it: in a script body held in base64. Only a string under
// a "script" key can be one; a string with escapes is left to the parse.
func encodedJavax(data []byte) bool {
	for {
		i := scriptNeedle.index(data)
		if i < 0 {
			return false
		}
		data = data[i+len(scriptNeedle.s):]
		v := bytes.TrimLeft(data, " \t\r\n")
		if len(v) == 0 || v[0] != ':' {
			continue
		}
		v = bytes.TrimLeft(v[1:], " \t\r\n")
		if len(v) == 0 || v[0] != '"' {
			continue
		}
		end := bytes.IndexByte(v[1:], '"')
		if end < 0 || bytes.IndexByte(v[1:1+end], '\\') >= 0 {
			return true
		}
		if body, _ := decodeScript(string(v[1 : 1+end])); javaxRef().MatchString(body) {
			return true
		}
	}
}

func jakartaItem(chain *engine.Chain, t *facts) Item {
	it := newItem("javax-references", "Scripts and allowlists that still reference javax.servlet or javax.websocket", secTomcat)
	var scripts, entries int
	for _, f := range t.javax {
		it.Evidence = append(it.Evidence, f.evidence...)
		scripts += f.scripts
		entries += f.entries
	}
	jakartaOn := false
	if chain != nil {
		for _, r := range chain.Rules {
			if strings.Contains(r.ID, "jakarta-scripts") {
				jakartaOn = true
			}
		}
	}
	it.Action = "AM 8 runs on Tomcat 10 (Jakarta EE 9): change javax.servlet to jakarta.servlet and javax.websocket to jakarta.websocket in custom scripts, " +
		"configuration and allowlist entries; other javax packages (javax.xml, javax.inject) stay. amupgrade --with jakarta rewrites script bodies held in the " +
		"configuration and adds the jakarta twin of each allowlist entry; scripts kept in separate files are listed for you to change."
	if scripts+entries == 0 {
		it.Applies, it.Summary = No, "no script or allowlist entry references javax.servlet or javax.websocket"
		return it
	}
	it.Applies = Yes
	verb := " still reference"
	if scripts+entries == 1 {
		verb = " still references"
	}
	it.Summary = counts(scripts, "script", entries, "allowlist entry") + verb + " javax.servlet or javax.websocket"
	if !jakartaOn {
		it.Summary += "; amupgrade --with jakarta migrates them"
	}
	return it
}

// walkJSON calls fn for every member of v, depth first, with its path
// (which fn must copy to keep).
func walkJSON(v gjson.Result, path []string, fn func(path []string, v gjson.Result)) {
	switch {
	case v.IsObject():
		v.ForEach(func(k, m gjson.Result) bool {
			p := append(path, k.String())
			fn(p, m)
			if m.IsObject() || m.IsArray() {
				walkJSON(m, p, fn)
			}
			return true
		})
	case v.IsArray():
		i := 0
		v.ForEach(func(_, m gjson.Result) bool {
			if m.IsObject() || m.IsArray() {
				walkJSON(m, append(path, strconv.Itoa(i)), fn)
			}
			i++
			return true
		})
	}
}

// decodeScript returns a script body: Amster and some FBC trees hold it in
// base64.
func decodeScript(s string) (string, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(s) >= 8 && utf8.Valid(b) {
		return string(b), true
	}
	return s, false
}

type line struct {
	n    int
	text string
}

func javaxLines(body string) []line {
	if !javaxRef().MatchString(body) {
		return nil
	}
	var out []line
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	for n := 1; sc.Scan(); n++ {
		if javaxRef().MatchString(sc.Text()) {
			out = append(out, line{n, shorten(strings.TrimSpace(sc.Text()), 120)})
		}
	}
	return out
}

func jakartaTwin(s string) (string, bool) {
	for _, p := range []string{"javax.servlet.", "javax.websocket."} {
		if strings.HasPrefix(s, p) {
			return "jakarta." + strings.TrimPrefix(s, "javax."), true
		}
	}
	return "", false
}

// ---------------------------------------------------------------- (f)

const encodedSlash = "org.apache.tomcat.util.buf.UDecoder.ALLOW_ENCODED_SLASH"

var encodedSlashValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(encodedSlash) + `\s*[=:]?\s*"?([A-Za-z]*)`)
})

func tomcatItem(path string) (Item, error) {
	it := newItem("tomcat-encoded-slash", "Tomcat 10: ALLOW_ENCODED_SLASH is replaced by the Connector's encodedSolidusHandling", secTomcat)
	it.Action = "Tomcat 10 removed the system property " + encodedSlash + ". Remove it, and set the encodedSolidusHandling attribute on the Connector element " +
		"of server.xml instead: encodedSolidusHandling=\"decode\" for ALLOW_ENCODED_SLASH=true (the default, \"reject\", matches false; \"passthrough\" keeps %2F encoded). " +
		"In production, avoid resource names that contain forward slashes."
	if path == "" {
		it.Applies = Unknown
		it.Summary = "give --tomcat-server-xml FILE to check the Tomcat server.xml"
		return it, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return it, fmt.Errorf("--tomcat-server-xml: %w", err)
	}
	solidus := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, len(src)+1)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.Contains(text, encodedSlash) {
			note := "sets " + encodedSlash
			if m := encodedSlashValue().FindStringSubmatch(text); m != nil && m[1] != "" {
				note += "=" + m[1]
			}
			it.Evidence = append(it.Evidence, Evidence{File: path, Line: n, Note: note + ": " + shorten(strings.TrimSpace(text), 160)})
		}
		if strings.Contains(text, "encodedSolidusHandling") {
			solidus = true
			it.Evidence = append(it.Evidence, Evidence{File: path, Line: n, Note: "a Connector sets encodedSolidusHandling: " + shorten(strings.TrimSpace(text), 160)})
		}
	}
	hits := 0
	for _, e := range it.Evidence {
		if strings.HasPrefix(e.Note, "sets ") {
			hits++
		}
	}
	switch {
	case hits > 0 && solidus:
		it.Applies, it.Summary = Yes, fmt.Sprintf("%s still sets %s (Tomcat 10 ignores it); a Connector already sets encodedSolidusHandling", path, encodedSlash)
	case hits > 0:
		it.Applies, it.Summary = Yes, fmt.Sprintf("%s sets %s, which Tomcat 10 ignores: use the Connector attribute encodedSolidusHandling", path, encodedSlash)
	default:
		it.Applies, it.Summary = No, fmt.Sprintf("%s does not set %s", path, encodedSlash)
	}
	return it, nil
}

// ---------------------------------------------------------------- helpers

func stringsOf(v gjson.Result) []string {
	var out []string
	for _, x := range v.Array() {
		out = append(out, x.String())
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// counts says "2 scripts and 1 allowlist entry", leaving out a kind there
// is none of.
func counts(a int, aWord string, b int, bWord string) string {
	var parts []string
	if a > 0 {
		parts = append(parts, plural(a, aWord))
	}
	if b > 0 {
		parts = append(parts, plural(b, bWord))
	}
	return strings.Join(parts, " and ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
