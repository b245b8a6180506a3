package transforms

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// bundledScript is what public facts tell of a global script AM bundles
// (transforms-facts.md §2, §18): enough to name it; its body is AM's.
type bundledScript struct{ Name, Context string }

var bundledScripts = map[string]bundledScript{
	"da56fe60-8b38-4c46-a405-d6b306d4b336": {"OAuth2 Evaluate Scope Script", "OAUTH2_EVALUATE_SCOPE"},
	"25e6c06d-cf70-473b-bd28-26931edc476b": {"OAuth2 Validate Scope Script", "OAUTH2_VALIDATE_SCOPE"},
	"c4f22465-2368-4e27-8013-e6399974fd48": {"SAML2 IDP Attribute Mapper Script", "SAML2_IDP_ATTRIBUTE_MAPPER"},
	"248b8a56-df81-4b1b-b4ba-45d994f6504c": {"SAML2 IDP Adapter Script", "SAML2_IDP_ADAPTER"},
	"5e854779-6ec1-4c39-aeba-0477e0986646": {"Config Provider Node Script", "CONFIG_PROVIDER_NODE"},
	"3f93ef6e-e54a-4393-aba1-f322656db28a": {"OAuth2 Authorize Endpoint Data Provider Script", "OAUTH2_AUTHORIZE_ENDPOINT_DATA_PROVIDER"},
	"400e48ba-3f13-4144-ac7b-f824ea8e98c5": {"OAuth2 JWT Issuer Script", "OAUTH2_SCRIPTED_JWT_ISSUER"},
	"69f06e63-128c-4e2f-af52-079a8a6f448b": {"SAML2 SP Adapter Script", "SAML2_SP_ADAPTER"},
	"6c49bebe-3a62-11ed-a261-0242ac120002": {"Library Script", "LIBRARY"},
	"d22f9a0c-426a-4466-b95e-d0f125b0d5fa": {"OAuth2 Access Token Modification Script", "OAUTH2_ACCESS_TOKEN_MODIFICATION"},
	"c735de08-f8f2-4e69-aa4a-2d8d3d438323": {"OAuth2 May Act Script", "OAUTH2_MAY_ACT"},
}

// scriptGap is what the script transforms leave without --reference.
var scriptGap = &engine.Gap{
	Needs:  engine.NeedLicensedContent,
	Vendor: "would have copied global scripts from AM's bundled configuration",
	Why:    "a script body is AM's licensed content, which --reference supplies",
	Action: referenceHint,
}

// globalScriptEntity is the identity of a global script in a layout.
func globalScriptEntity(mode engine.Mode, uuid string) engine.Entity {
	if mode == engine.FBC {
		return engine.Entity{Type: "ScriptingService", ID: "default/globalScripts/" + uuid, Global: true}
	}
	return engine.Entity{Type: "GlobalScripts", ID: uuid, Global: true}
}

// scriptFromReference builds the create of a global script from the
// reference, in the tree's layout; nil when the reference lacks it.
func scriptFromReference(t *engine.TreeContext, uuid string) (*engine.Create, error) {
	ref := t.Reference()
	if ref == nil {
		return nil, nil
	}
	want := globalScriptEntity(ref.Mode(), uuid)
	docs := ref.Find(func(e *engine.Entity) bool { return e.Global && e.Type == want.Type && e.ID == want.ID })
	if len(docs) == 0 {
		return nil, nil
	}
	d := docs[0]
	root, err := ref.Root(d)
	if err != nil {
		return nil, err
	}
	src := root.Get("data")
	if src == nil || src.Kind != amjson.Object {
		return nil, fmt.Errorf("%s has no data object", ref.Where(d))
	}
	mode := t.Layout().Mode
	if ref.Mode() == engine.FBC && mode == engine.FBC {
		return ref.Copy(d, t.Options().BaseDN)
	}
	body, err := ref.ScriptBody(d, src.Get("script"))
	if err != nil {
		return nil, err
	}
	e := globalScriptEntity(mode, uuid)
	data := amjson.NewObject()
	data.Set("_id", amjson.NewString(e.ID))
	if mode == engine.FBC {
		data.Set("_type", typeValue("ScriptingService", "ScriptingService", false))
	}
	for _, m := range src.Members {
		switch m.Key {
		case "_id", "_type":
			continue
		case "script":
			if mode == engine.Amster {
				data.Set("script", amjson.NewString(base64.StdEncoding.EncodeToString(body)))
			} else {
				data.Set("script", amjson.NewString(string(body)))
			}
		default:
			data.Set(m.Key, m.Value)
		}
	}
	if mode == engine.Amster {
		data.Set("_type", typeValue("globalScript", "globalScript", true))
		return &engine.Create{Entity: e, Data: data}, nil
	}
	return &engine.Create{Entity: e, Metadata: object("sunServiceID", "globalScript"), Data: data}, nil
}

// addGlobalScript adds a bundled global script the tree lacks, from the
// reference; without it, a manual step says where to get it.
func addGlobalScript(t *engine.TreeContext, uuid string) error {
	e := globalScriptEntity(t.Layout().Mode, uuid)
	if t.Exists(e) {
		return nil
	}
	c, err := scriptFromReference(t, uuid)
	if err != nil {
		return err
	}
	if c != nil {
		_, err := t.Create(c)
		return err
	}
	file := t.Layout().EntityPath(&e)
	what := "global script " + uuid
	if s, ok := bundledScripts[uuid]; ok {
		what = fmt.Sprintf("global script %s (%s, context %s)", uuid, s.Name, s.Context)
	}
	where := "global/GlobalScripts/" + uuid + ".json of an Amster export, or services/realm/root/scriptingservice/1.0/globalconfig/default/globalscripts/" + uuid + ".json of an FBC tree"
	if ref := t.Reference(); ref != nil {
		what += "; the reference " + ref.Folder() + " does not hold it either"
	}
	t.ManualStep(file, "", "the vendor's "+t.Transform().Name+" would have added the "+what+" from AM's bundled configuration; not made: its body is AM's licensed content",
		referenceHint+" that holds it ("+where+"); AM installs hold the script, so a configuration imported into a fresh install of that release has it")
	return nil
}

// addNewGlobalScriptSettings is the vendor's addNewGlobalScriptSettings
// (Amster), facts §2 and §A.
func addNewGlobalScriptSettings() *engine.Transform {
	return &engine.Transform{
		Name: "add-new-global-script-settings",
		Tree: true,
		Doc: "Adds the bundled global script `args.uuid` when the tree lacks it (Amster `global/GlobalScripts/<uuid>.json`; " +
			"FBC `…/scriptingservice/1.0/globalconfig/default/globalscripts/<uuid>.json`), copied from `--reference` and " +
			"converted to the tree's layout (the body base64 in Amster, as the reference has it in FBC). Nothing else: the " +
			"vendor's run wrote only the script entity (observed, 7.2.0 → 7.4.0 pair). Without a reference that holds it, a " +
			"manual step names the script and where to get it. `args.bundle` records the vendor's bundle folder.",
		Gap:   scriptGap,
		Check: needStrings("uuid"),
		ApplyTree: func(t *engine.TreeContext, args *amjson.Value) error {
			return addGlobalScript(t, argText(args, "uuid"))
		},
	}
}

// scriptContext is one script context a vendor transform adds (facts §18).
type scriptContext struct {
	Name          string
	DefaultScript string
	// WhiteList is the engine configuration's allow-list when public facts
	// give it; nil means only --reference can supply it.
	WhiteList []string
}

// accessTokenWhitelist70 is the allow-list of the OAUTH2_ACCESS_TOKEN_MODIFICATION
// engine configuration of AM 7.0.0 (forgeops tag 7.0.0, cdk profile), in its
// order.
var accessTokenWhitelist70 = []string{
	"java.lang.Float", "java.util.HashMap$Entry", "java.lang.Integer", "groovy.json.internal.LazyMap",
	"org.forgerock.http.Client", "com.sun.identity.idm.AMIdentity", "java.lang.Character$UnicodeBlock",
	"java.lang.Character", "java.util.Collections$1", "org.forgerock.openidconnect.ssoprovider.OpenIdConnectSSOToken",
	"java.lang.Long", "java.lang.Short", "org.forgerock.http.client.*", "java.lang.Math", "java.lang.Byte",
	"org.codehaus.groovy.runtime.ScriptBytecodeAdapter", "java.lang.StrictMath", "org.forgerock.util.promise.PromiseImpl",
	"java.lang.Void", "org.codehaus.groovy.runtime.GStringImpl", "java.util.LinkedHashMap$LinkedEntryIterator",
	"groovy.json.JsonSlurper", "com.iplanet.sso.providers.dpro.SessionSsoToken", "org.forgerock.openidconnect.Claim",
	"org.forgerock.openam.oauth2.token.grantset.Authorization$ModifiedAccessToken",
	"org.forgerock.openam.oauth2.token.macaroon.MacaroonAccessToken", "java.util.HashMap$KeyIterator",
	"com.sun.identity.shared.debug.Debug", "java.lang.Double", "org.forgerock.openam.scripting.api.http.JavaScriptHttpClient",
	"org.forgerock.openam.oauth2.OpenAMAccessToken", "org.forgerock.macaroons.Macaroon", "java.util.HashMap",
	"java.lang.Character$Subset", "java.util.TreeSet", "java.util.ArrayList", "java.util.LinkedHashMap", "java.util.HashSet",
	"com.sun.identity.common.CaseInsensitiveHashMap", "java.lang.Boolean", "java.lang.String", "org.forgerock.http.protocol.*",
	"java.util.LinkedList", "java.lang.Number", "java.util.ArrayList$Itr", "java.util.LinkedHashSet",
	"org.forgerock.oauth2.core.UserInfoClaims", "org.forgerock.openam.scripting.api.http.GroovyHttpClient",
	"org.forgerock.openam.oauth2.token.stateless.StatelessAccessToken", "java.util.LinkedHashMap$LinkedEntrySet",
	"java.util.Collections$SingletonList", "org.forgerock.oauth2.core.exceptions.InvalidRequestException",
	"java.util.LinkedHashMap$Entry", "java.util.TreeMap", "java.util.Collections$EmptyList", "java.lang.Object",
	"java.util.HashMap$Node", "org.forgerock.oauth2.core.StatefulAccessToken",
}

// addScriptContext adds, to an Amster export that lacks them, a script
// context (ScriptTypes), its engine configuration and its default global
// script: from --reference when it holds them, else as public facts give
// them, else a manual step.
func addScriptContext(t *engine.TreeContext, sc scriptContext) error {
	if t.Layout().Mode != engine.Amster {
		return nil
	}
	ctxEntity := engine.Entity{Type: "ScriptTypes", ID: sc.Name, Global: true}
	if !t.Exists(ctxEntity) {
		data, err := contextFromReference(t, sc.Name)
		if err != nil {
			return err
		}
		if data == nil {
			data = object("_id", sc.Name, "languages", []string{"JAVASCRIPT", "GROOVY"}, "defaultScript", sc.DefaultScript,
				"_type", typeValue("contexts", "Scripting", true))
		}
		if _, err := t.Create(&engine.Create{Entity: ctxEntity, Data: data}); err != nil {
			return err
		}
	}
	cfg := engine.Entity{Type: "ScriptingEngineConfiguration", ID: "engineConfiguration", Global: true, PathParams: map[string]string{"contexts": sc.Name}}
	if !t.Exists(cfg) {
		data, err := engineFromReference(t, sc.Name)
		if err != nil {
			return err
		}
		if data == nil && sc.WhiteList != nil {
			data = object("_id", "engineConfiguration", "queueSize", 10, "useSecurityManager", true, "idleTimeout", 60,
				"blackList", []string{"java.lang.Class", "java.security.AccessController", "java.lang.reflect.*"},
				"coreThreads", 10, "whiteList", sc.WhiteList, "maxThreads", 50, "serverTimeout", 0,
				"_type", typeValue("engineConfiguration", "Scripting engine configuration", false))
		}
		if data != nil {
			if _, err := t.Create(&engine.Create{Entity: cfg, Data: data}); err != nil {
				return err
			}
		} else {
			t.ManualStep(t.Layout().EntityPath(&cfg), "", "the vendor's "+t.Transform().Name+" would have added the engine configuration of the "+sc.Name+
				" script context (its class allow-list) from AM's bundled configuration; not made: the allow-list is AM's bundled content, which --reference supplies",
				referenceHint+" (global/ScriptingEngineConfiguration/"+sc.Name+".json of an Amster export, or …/scriptingservice/1.0/globalconfig/default/"+
					strings.ToLower(sc.Name)+"/engineconfiguration.json of an FBC tree); AM installs hold it, so an import into a fresh install has it")
		}
	}
	return addGlobalScript(t, sc.DefaultScript)
}

// contextFromReference returns the data of a ScriptTypes entity from the
// reference, converted from FBC when need be; nil when it has none.
func contextFromReference(t *engine.TreeContext, name string) (*amjson.Value, error) {
	ref := t.Reference()
	if ref == nil {
		return nil, nil
	}
	if ref.Mode() == engine.Amster {
		return refData(ref, func(e *engine.Entity) bool { return e.Global && e.Type == "ScriptTypes" && e.ID == name })
	}
	src, err := refData(ref, func(e *engine.Entity) bool {
		return e.Global && e.Type == "ScriptingService" && e.ID == "default/"+name
	})
	if src == nil || err != nil {
		return nil, err
	}
	data := object("_id", name)
	for _, m := range src.Members {
		if m.Key != "_id" && m.Key != "_type" && m.Key != "i18nKey" {
			data.Set(m.Key, m.Value)
		}
	}
	data.Set("_type", typeValue("contexts", "scriptContext", true))
	return data, nil
}

// engineFromReference returns the data of a ScriptingEngineConfiguration
// entity from the reference, converted from FBC when need be.
func engineFromReference(t *engine.TreeContext, name string) (*amjson.Value, error) {
	ref := t.Reference()
	if ref == nil {
		return nil, nil
	}
	if ref.Mode() == engine.Amster {
		return refData(ref, func(e *engine.Entity) bool {
			return e.Global && e.Type == "ScriptingEngineConfiguration" && e.PathParams["contexts"] == name
		})
	}
	src, err := refData(ref, func(e *engine.Entity) bool {
		return e.Global && e.Type == "ScriptingService" && strings.EqualFold(e.ID, "default/"+name+"/engineConfiguration")
	})
	if src == nil || err != nil {
		return nil, err
	}
	data := object("_id", "engineConfiguration")
	for _, m := range src.Members {
		if m.Key != "_id" && m.Key != "_type" && m.Key != "i18nKey" {
			data.Set(m.Key, m.Value)
		}
	}
	data.Set("_type", typeValue("engineConfiguration", "Scripting engine configuration", false))
	return data, nil
}

// refData returns a copy of the data of the first reference document that
// matches, or nil.
func refData(ref *engine.Reference, match func(*engine.Entity) bool) (*amjson.Value, error) {
	docs := ref.Find(match)
	if len(docs) == 0 {
		return nil, nil
	}
	root, err := ref.Root(docs[0])
	if err != nil {
		return nil, err
	}
	d := root.Get("data")
	if d == nil || d.Kind != amjson.Object {
		return nil, fmt.Errorf("%s has no data object", ref.Where(docs[0]))
	}
	return d, nil
}

// addAccessTokenScriptSettings is the vendor's addAccessTokenScriptSettings
// (Amster 6.5 → 7.0), facts §18.
func addAccessTokenScriptSettings() *engine.Transform {
	return &engine.Transform{
		Name: "add-access-token-script-settings",
		Tree: true,
		Doc: "Adds to an Amster export that lacks them the OAUTH2_ACCESS_TOKEN_MODIFICATION script context " +
			"(`global/ScriptTypes/`: languages JAVASCRIPT and GROOVY, default script `d22f9a0c-…`), its engine " +
			"configuration (`global/ScriptingEngineConfiguration/`: the 6.5.1 engine settings and the 58-class allow-list " +
			"of AM 7.0.0) and the global script `d22f9a0c-426a-4466-b95e-d0f125b0d5fa`; each from `--reference` when it " +
			"holds it. The script body needs the reference (a manual step otherwise). The rule sets the OAuth2 " +
			"providers' `coreOAuth2Config.accessTokenModificationScript` with a declarative `add`.",
		Inferred: "the entity shapes (observed in 6.5.1 and 7.0.0 configurations) are inferred to be what the vendor writes",
		Gap:      scriptGap,
		ApplyTree: func(t *engine.TreeContext, _ *amjson.Value) error {
			return addScriptContext(t, scriptContext{Name: "OAUTH2_ACCESS_TOKEN_MODIFICATION",
				DefaultScript: "d22f9a0c-426a-4466-b95e-d0f125b0d5fa", WhiteList: accessTokenWhitelist70})
		},
	}
}

// addMayActScriptSettings is the vendor's addMayActScriptSettings (Amster
// 7.0 → 7.1), facts §18.
func addMayActScriptSettings() *engine.Transform {
	return &engine.Transform{
		Name: "add-may-act-script-settings",
		Tree: true,
		Doc: "Adds to an Amster export that lacks them the OAUTH2_MAY_ACT script context (languages JAVASCRIPT and " +
			"GROOVY, default script `c735de08-…`), its engine configuration and the global script " +
			"`c735de08-f8f2-4e69-aa4a-2d8d3d438323`; each from `--reference` when it holds it. The 7.1 allow-list and " +
			"the script body are not public: without a reference each is a manual step. The rule sets the OAuth2 " +
			"providers' `accessTokenMayActScript` and `oidcMayActScript` to `[Empty]` with a declarative `add`.",
		Inferred: "the context's shape follows the 6.5.1 contexts; its default script is the 7.1 bundle's (forgeops 7.x history)",
		Gap:      scriptGap,
		ApplyTree: func(t *engine.TreeContext, _ *amjson.Value) error {
			return addScriptContext(t, scriptContext{Name: "OAUTH2_MAY_ACT", DefaultScript: "c735de08-f8f2-4e69-aa4a-2d8d3d438323"})
		},
	}
}
