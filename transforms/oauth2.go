package transforms

import (
	"fmt"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

const (
	openAMScopeValidator        = "org.forgerock.openam.oauth2.OpenAMScopeValidator"
	defaultScopeEvaluator       = "org.forgerock.oauth2.core.plugins.registry.DefaultScopeEvaluator"
	defaultScopeValidator       = "org.forgerock.oauth2.core.plugins.registry.DefaultScopeValidator"
	defaultEndpointDataProvider = "org.forgerock.oauth2.core.plugins.registry.DefaultEndpointDataProvider"
	defaultAccessTokenEnricher  = "org.forgerock.oauth2.core.plugins.registry.DefaultAccessTokenEnricher"
	emptyScript                 = "[Empty]"
)

// updateOAuth2PluginsSettings is the vendor's updateOAuth2PluginsSettings,
// facts §13.
func updateOAuth2PluginsSettings() *engine.Transform {
	return &engine.Transform{
		Name: "update-oauth2-plugins-settings",
		Doc: "On an OAuth2 provider's `pluginsConfig` (the section) that still holds the 7.1 `scopeImplementationClass`: " +
			"adds, when absent and in this order, `evaluateScopePluginType`/`Class`/`Script`, `validateScopePluginType`/" +
			"`Class`/`Script` and `authorizeEndpointDataProviderPluginType`/`Class`/`Script` (type `JAVA`, the " +
			"`Default*` classes of 7.2, or the custom class when `scopeImplementationClass` names another than " +
			"`OpenAMScopeValidator`; scripts `[Empty]`), `accessTokenModificationPluginType` and `oidcClaimsPluginType` " +
			"`SCRIPTED` with their scripts (moved there by AME-21305/AME-21304, else `[Empty]`) and " +
			"`accessTokenEnricherClass` `DefaultAccessTokenEnricher`; then deletes `scopeImplementationClass`. A custom " +
			"class is also a manual step: whether it modifies tokens or claims is not known.",
		Inferred: "the mapping from the one class to the plugin settings (the before and after shapes are observed in the 7.2 and 7.5 trees and the 8.0.2 export)",
		Gap: &engine.Gap{
			Needs:  engine.NeedPublicFact,
			Vendor: "would have moved a custom scope implementation class to the plugin settings",
			Why:    "what it makes of a custom class beyond the scope plugins is not public",
			Action: "review the OAuth2 provider's plugin settings",
		},
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			sec, base := t.Section(), t.SectionPointer()
			old := sec.Get("scopeImplementationClass")
			if old == nil {
				return nil
			}
			cls := ""
			if old.Kind == amjson.String && old.Text != openAMScopeValidator {
				cls = old.Text
			}
			pick := func(def string) string {
				if cls != "" {
					return cls
				}
				return def
			}
			err := addIfAbsent(t, base,
				"evaluateScopePluginType", "JAVA", "evaluateScopeClass", pick(defaultScopeEvaluator), "evaluateScopeScript", emptyScript,
				"validateScopePluginType", "JAVA", "validateScopeClass", pick(defaultScopeValidator), "validateScopeScript", emptyScript,
				"authorizeEndpointDataProviderPluginType", "JAVA", "authorizeEndpointDataProviderClass", pick(defaultEndpointDataProvider),
				"authorizeEndpointDataProviderScript", emptyScript,
				"accessTokenModificationPluginType", "SCRIPTED", "accessTokenModificationScript", emptyScript,
				"oidcClaimsPluginType", "SCRIPTED", "oidcClaimsScript", emptyScript,
				"accessTokenEnricherClass", defaultAccessTokenEnricher)
			if err != nil {
				return err
			}
			if cls != "" && old.Kind == amjson.String {
				t.ManualStep(append(slicesClone(base), "scopeImplementationClass"),
					fmt.Sprintf("the vendor's update-oauth2-plugins-settings would have moved the custom scope implementation class %s to the 7.2 plugin settings; made for the scope evaluator, validator and authorize endpoint data provider; not known: whether it also modified access tokens or OIDC claims", cls),
					fmt.Sprintf("if %s modified access tokens or OIDC claims, set accessTokenModificationPluginType (and accessTokenModifierClass) or oidcClaimsPluginType (and oidcClaimsClass) to JAVA with it; otherwise nothing", cls))
			}
			return t.Delete(append(slicesClone(base), "scopeImplementationClass"))
		},
	}
}

// updateOAuth2ClientPluginSettings is the vendor's
// updateOauth2ClientPluginSettings, facts §14.
func updateOAuth2ClientPluginSettings() *engine.Transform {
	return &engine.Transform{
		Name: "update-oauth2-client-plugin-settings",
		Doc: "On an OAuth2 client's `overrideOAuth2ClientConfig` (the section, when the client has one): adds, when " +
			"absent, the five `*PluginType` settings (`PROVIDER`, or `SCRIPTED` where the client names a script other " +
			"than `[Empty]`), the three `Default*` classes and `[Empty]` for the seven scripts, as 8.0.1 clients hold them.",
		Inferred: "the choice of SCRIPTED for a client that names a script (the PROVIDER defaults are observed in 8.0.1 clients)",
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			sec, base := t.Section(), t.SectionPointer()
			kind := func(script string) string {
				if s := text(sec, script); s != "" && s != emptyScript {
					return "SCRIPTED"
				}
				return "PROVIDER"
			}
			return addIfAbsent(t, base,
				"accessTokenModificationPluginType", kind("accessTokenModificationScript"),
				"oidcClaimsPluginType", kind("oidcClaimsScript"),
				"evaluateScopePluginType", kind("evaluateScopeScript"),
				"validateScopePluginType", kind("validateScopeScript"),
				"authorizeEndpointDataProviderPluginType", kind("authorizeEndpointDataProviderScript"),
				"evaluateScopeClass", defaultScopeEvaluator,
				"validateScopeClass", defaultScopeValidator,
				"authorizeEndpointDataProviderClass", defaultEndpointDataProvider,
				"accessTokenModificationScript", emptyScript,
				"oidcClaimsScript", emptyScript,
				"evaluateScopeScript", emptyScript,
				"validateScopeScript", emptyScript,
				"authorizeEndpointDataProviderScript", emptyScript,
				"accessTokenMayActScript", emptyScript,
				"oidcMayActScript", emptyScript)
		},
	}
}

// fapiKeys are the request object settings of OPENAM-18124.
var fapiKeys = []string{"nbfClaimRequiredInRequestObject", "expClaimRequiredInRequestObject",
	"maxDifferenceBetweenRequestObjectNbfAndExp", "maxAgeOfRequestObjectNbfClaim"}

// migrateFapiSettings is the vendor's migrateFapiSettingsAcrossServiceSections,
// facts §15.
func migrateFapiSettings() *engine.Transform {
	return &engine.Transform{
		Name: "migrate-fapi-settings-across-service-sections",
		Doc: "Not implemented: by its name the vendor moves the four FAPI request object settings between sections of " +
			"the OAuth2 provider. Every public configuration holds them in `advancedOAuth2Config`, where the rule adds " +
			"them; a manual step is reported only where one of them is found in another section.",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedPublicFact,
			Vendor: "would have moved the FAPI request object settings between sections",
			Why: "its effect is not public (searched: the vendor's fbc/latest rule file, which only calls it; the 7.5.0, 8.0 and " +
				"8.0.2 configurations and the 8.0.1 REST recordings, which all hold the four settings in advancedOAuth2Config)",
			Action: "keep the four settings in advancedOAuth2Config only",
		},
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			data := t.Data()
			for _, m := range data.Members {
				if m.Key == "advancedOAuth2Config" || m.Value.Kind != amjson.Object {
					continue
				}
				for _, k := range fapiKeys {
					if m.Value.Get(k) != nil {
						t.ManualStep(amjson.Pointer{m.Key, k},
							fmt.Sprintf("the vendor's migrate-fapi-settings-across-service-sections would have moved %s from %s to advancedOAuth2Config, by its name; not made: its effect is not public", k, m.Key),
							fmt.Sprintf("check %s in the AM admin console (OAuth2 provider, Advanced) and delete it from %s", k, m.Key))
					}
				}
			}
			return nil
		},
	}
}

// smtpKeys are the settings an SMTP transport takes from an email service.
var smtpKeys = []string{"hostname", "port", "username", "password", "password-encrypted", "sslState", "emailImplClassName"}

// createEmailServiceInstances is the vendor's
// createEmailServiceInstancesAmster and createEmailServiceInstancesFbc,
// facts §16.
func createEmailServiceInstances(name string, mode engine.Mode) *engine.Transform {
	t := &engine.Transform{Name: name}
	if mode == engine.Amster {
		t.Doc = "For a realm's email service (`EmailService`) whose SMTP host is set, creates the SMTP transport " +
			"`default-smtp` the realm's `transportType` then names: `realms/<realm>/Smtp/default-smtp.json` (entity type " +
			"`Smtp`), with the service's `hostname`, `port`, `username`, `password` (and `password-encrypted`), `sslState` " +
			"and `emailImplClassName`, before the rule's delete of those settings from the global defaults."
		t.Inferred = "the file's place and the transport's name (the entity type is in the Amster reference, the data block in 8.0.1 REST recordings)"
		t.Apply = func(tc *engine.TransformContext, _ *amjson.Value) error {
			e := tc.Entity()
			sec := tc.Section()
			if tc.Layout().Mode != engine.Amster || e.Global || text(sec, "hostname") == "" {
				return nil
			}
			data := object("_id", "default-smtp")
			for _, k := range smtpKeys {
				if v := sec.Get(k); v != nil {
					data.Set(k, v.Clone())
				}
			}
			data.Set("_type", typeValue("smtpTransports", "SMTP", true))
			tc.Create(&engine.Create{Entity: engine.Entity{Type: "Smtp", ID: "default-smtp", Realm: e.Realm}, Data: data}, false)
			return nil
		}
		return t
	}
	t.Doc = "Not implemented: for a realm's mail server settings (`MailServer` `default`) whose SMTP host is set, the " +
		"vendor creates the SMTP transport `default-smtp` that the realm's `transportType` then names. Where one is " +
		"set, a manual step lists the settings to give the transport."
	t.Gap = &engine.Gap{
		None:   true,
		Needs:  engine.NeedPublicFact,
		Vendor: "would have created the realm's SMTP transport default-smtp from its mail server settings",
		Why: "the FBC layout of SMTP transports is not public (searched: the 7.0, 7.2, 7.5.0 and 8.0 trees, which hold " +
			"none; the 8.0.1 REST recordings show the data, not the files)",
		Action: "create the realm's SMTP transport default-smtp from its mail server settings in the AM admin console",
	}
	t.Apply = func(tc *engine.TransformContext, _ *amjson.Value) error {
		e, sec := tc.Entity(), tc.Section()
		if e.Global || e.ID != "default" || text(sec, "hostname") == "" {
			return nil
		}
		var set []string
		for _, k := range smtpKeys {
			if v := sec.Get(k); v != nil && v.Kind != amjson.Null {
				if k == "password" || k == "password-encrypted" {
					set = append(set, k+" (as set)")
				} else {
					set = append(set, k+" "+engine.BriefValue(v))
				}
			}
		}
		tc.ManualStep(amjson.Pointer{"hostname"},
			fmt.Sprintf("the vendor's %s would have created the SMTP transport default-smtp of realm %s from its mail server settings; not made: the FBC layout of SMTP transports is not public", name, e.Realm),
			fmt.Sprintf("after the upgrade, create the SMTP transport default-smtp in realm %s (Services, Email Service, SMTP transports) with %s", e.Realm, strings.Join(set, ", ")))
		return nil
	}
	return t
}

// migrateIdmIntegrationService is the vendor's migrateIdmIntegrationService,
// facts §17.
func migrateIdmIntegrationService() *engine.Transform {
	return &engine.Transform{
		Name: "migrate-idm-integration-service",
		Doc: "On the global IDM provisioning service of a 6.5 export (`IDMProvisioning`, whose settings sit in " +
			"`defaults`): moves each setting of `defaults` to the top level (a setting already there keeps its value), " +
			"deletes `defaults`, and adds the 7.0 defaults `idmProvisioningClient` `idm-provisioning` and " +
			"`idmDeploymentPath` `openidm` when absent.",
		Inferred: "the move and the added defaults (the 6.5.1 and 8.0.2 exports and the 7.0/7.2 trees show the before and after shapes)",
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			data := t.Data()
			def := data.Get("defaults")
			if def == nil || def.Kind != amjson.Object {
				return nil
			}
			for _, m := range def.Members {
				if data.Get(m.Key) == nil {
					if err := t.Set(amjson.Pointer{m.Key}, m.Value.Clone()); err != nil {
						return err
					}
				}
			}
			if err := t.Delete(amjson.Pointer{"defaults"}); err != nil {
				return err
			}
			return addIfAbsent(t, nil, "idmProvisioningClient", "idm-provisioning", "idmDeploymentPath", "openidm")
		},
	}
}
