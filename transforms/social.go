package transforms

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// providerID is a social provider's instance id: the last segment of its
// entity id (FBC default/oidcConfig/apple_web, Amster apple_web).
func providerID(e *engine.Entity) string {
	return e.ID[strings.LastIndex(e.ID, "/")+1:]
}

// isOIDCProvider tells an OpenID Connect provider from a plain OAuth2 one.
func isOIDCProvider(e *engine.Entity) bool {
	return e.Type == "OIDCClient" || strings.Contains(strings.ToLower(e.ID), "oidcconfig/")
}

// configureOidcIssuerFromWellKnown is the vendor's
// configureOidcIssuerFromWellKnown, facts §12.
func configureOidcIssuerFromWellKnown() *engine.Transform {
	return &engine.Transform{
		Name: "configure-oidc-issuer-from-well-known",
		Doc: "Sets the OIDC provider's `issuer` (the rule runs it when absent) to the `issuer` member of the provider's " +
			"discovery document, read from its `wellKnownEndpoint` over HTTPS, only with `--fetch-well-known` (each " +
			"request bounded by 10 seconds; a failure stops the run and names the URL). Without the flag, a manual step " +
			"names the URL and the attribute.",
		Gap: &engine.Gap{
			Needs:  engine.NeedNetwork,
			Vendor: "would have set issuer from the provider's discovery document",
			Why:    "it reads the document over the network, which a run does only with --fetch-well-known",
			Action: "set issuer from the provider's discovery document, or run with --fetch-well-known",
		},
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			if t.Section().Get("issuer") != nil {
				return nil
			}
			u := text(t.Section(), "wellKnownEndpoint")
			if u == "" || strings.Contains(u, "&{") {
				return nil
			}
			ptr := append(t.SectionPointer(), "issuer")
			if !t.Options().FetchWellKnown {
				t.ManualStep(ptr, "the vendor's configure-oidc-issuer-from-well-known would have set issuer from the discovery document "+u+"; not made: it needs the network",
					"set issuer to the \"issuer\" member of "+u+", or run again with --fetch-well-known")
				return nil
			}
			iss, err := fetchIssuer(t, u)
			if err != nil {
				return fmt.Errorf("--fetch-well-known: %v; fix the provider's wellKnownEndpoint, or run without --fetch-well-known to leave issuer as a manual step", err)
			}
			return t.Set(ptr, amjson.NewString(iss))
		},
	}
}

// fetchIssuer reads the issuer of an OIDC discovery document (the run
// fetches each URL once).
func fetchIssuer(t *engine.TransformContext, u string) (string, error) {
	body, err := t.Fetch(u)
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer any `json:"issuer"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("%s is not a JSON discovery document: %v", u, err)
	}
	iss, ok := doc.Issuer.(string)
	if !ok || iss == "" {
		return "", fmt.Errorf("the discovery document %s has no issuer", u)
	}
	return iss, nil
}

// upgradePrivateKeyJwtAttributes is the vendor's
// upgradePrivateKeyJwtAttributes, facts §9.
func upgradePrivateKeyJwtAttributes() *engine.Transform {
	return &engine.Transform{
		Name: "upgrade-private-key-jwt-attributes",
		Doc: "Not implemented: the vendor upgrades a social provider's private-key JWT client authentication settings. " +
			"One manual step per provider.",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedPublicFact,
			Vendor: "would have upgraded the provider's private-key JWT client authentication settings",
			Why: "its effect is not public (searched: the vendor's 7.x.x-to-7.1.x and fbc/latest rule files, which only call it; " +
				"the forgeops 7.0 social providers and the 8.0.1 REST recordings, which differ only in their attribute sets)",
			Action: "check the provider's client authentication settings in the AM admin console after the upgrade: AM 8.0.1 " +
				"providers have privateKeyJwtExpTime 600 and no oauth2ProviderJwksCacheTimeout or oauth2ProviderJwksCacheMissTime",
		},
	}
}

// upgradeSocialProviderSigningAndEncryption is the vendor's
// upgradeSocialProviderSigningAndEncryptionAttributes, facts §10.
func upgradeSocialProviderSigningAndEncryption() *engine.Transform {
	return &engine.Transform{
		Name: "upgrade-social-provider-signing-and-encryption-attributes",
		Doc: "On a social provider: `requestObjectSigningAlg` becomes `jwtSigningAlgorithm` and " +
			"`requestObjectEncryptionAlg` becomes `jwtEncryptionAlgorithm` (an empty value becomes `NONE`), " +
			"`jwtEncryptionMethod` `NONE` is added, and an OIDC provider gets `encryptJwtRequestParameter` (true when it " +
			"had an encryption algorithm); the two old attributes are deleted. An OAuth2 provider (one with a `clientId`) " +
			"without them gets the three `jwt*` attributes as `NONE` when absent. With an encryption algorithm, the encryption method is not known: " +
			"a manual step.",
		Inferred: "the whole mapping: the rules around the call and the 8.0.1 providers' attributes are public, the vendor's code is not",
		Gap: &engine.Gap{
			Needs:  engine.NeedPublicFact,
			Vendor: "would have set the JWT encryption method of a provider that encrypts its request objects",
			Why:    "which method the vendor chooses is not public",
			Action: "set jwtEncryptionMethod to the content encryption the provider expects",
		},
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			sec, base := t.Section(), t.SectionPointer()
			sa, ea := sec.Get("requestObjectSigningAlg"), sec.Get("requestObjectEncryptionAlg")
			sok, eok := sa != nil, ea != nil
			alg := func(v *amjson.Value) string {
				if v != nil && v.Kind == amjson.String && v.Text != "" {
					return v.Text
				}
				return "NONE"
			}
			if !sok && !eok && sec.Get("clientId") == nil {
				// Not an OAuth2 client (Twitter signs with OAuth 1.0a).
				return nil
			}
			if err := addIfAbsent(t, base, "jwtSigningAlgorithm", alg(sa), "jwtEncryptionAlgorithm", alg(ea)); err != nil {
				return err
			}
			enc := alg(sec.Get("jwtEncryptionAlgorithm"))
			if enc == "NONE" {
				if err := addIfAbsent(t, base, "jwtEncryptionMethod", "NONE"); err != nil {
					return err
				}
			} else if sec.Get("jwtEncryptionMethod") == nil {
				t.ManualStep(append(slicesClone(base), "jwtEncryptionMethod"),
					fmt.Sprintf("the vendor's upgrade-social-provider-signing-and-encryption-attributes would have set jwtEncryptionMethod for request objects encrypted with %s; not made: the method it chooses is not public", enc),
					"set jwtEncryptionMethod to the content encryption the provider expects (for example A128CBC_HS256 or AES_128_CBC_HMAC_SHA_256)")
			}
			if !sok && !eok {
				return nil
			}
			if isOIDCProvider(t.Entity()) {
				if err := addIfAbsent(t, base, "encryptJwtRequestParameter", enc != "NONE"); err != nil {
					return err
				}
			}
			for _, k := range []string{"requestObjectSigningAlg", "requestObjectEncryptionAlg"} {
				if err := t.Delete(append(slicesClone(base), k)); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// appendFormPostRedirectURI is the vendor's
// appendSocialProviderFormPostRedirectUriWithEntityId, facts §11.
func appendFormPostRedirectURI() *engine.Transform {
	return &engine.Transform{
		Name: "append-social-provider-form-post-redirect-uri-with-entity-id",
		Doc: "When a social provider's `redirectURI` ends with `/oauth2/client/form_post` (or that and a slash), " +
			"appends the provider's id (the last segment of its entity id): AM 7.1 and later route form-post " +
			"responses per provider, `…/oauth2/client/form_post/<id>` (observed in 8.0.x).",
		Inferred: "the trigger (the target form is observed; which values the vendor rewrites is not public)",
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			v := text(t.Section(), "redirectURI")
			trimmed := strings.TrimSuffix(v, "/")
			if !strings.HasSuffix(trimmed, "/oauth2/client/form_post") {
				return nil
			}
			id := providerID(t.Entity())
			if id == "" {
				return nil
			}
			return t.Set(append(t.SectionPointer(), "redirectURI"), amjson.NewString(trimmed+"/"+id))
		},
	}
}
