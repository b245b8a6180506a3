package engine

import "github.com/amupgrade/amupgrade/amjson"

// The vendor's named Java transforms whose effect is not public. Rule files
// name them where the vendor's rules call them, so that coverage is visible
// and every run reports the change it could not make; each is listed in
// docs/rules-coverage.md.
func vendorTransforms() []*Transform {
	var out []*Transform
	notPublic := "the vendor's code for it is not public and no before/after pair shows its effect"
	for name, why := range map[string]string{
		"add-access-token-script-settings":                             notPublic,
		"add-may-act-script-settings":                                  notPublic,
		"add-new-global-script-settings":                               "it copies a script from AM's bundled configuration, which is not public",
		"add-new-service":                                              "it adds a service from AM's bundled default files, which are not public",
		"append-social-provider-form-post-redirect-uri-with-entity-id": notPublic,
		"configure-oidc-issuer-from-well-known":                        "it reads the issuer from the provider's well-known endpoint over the network",
		"create-email-service-instances-amster":                        notPublic,
		"create-email-service-instances-fbc":                           notPublic,
		"create-secret-stores":                                         notPublic,
		"generate-symmetric-secret":                                    "it generates random key material for a keystore, which configuration files do not hold",
		"migrate-fapi-settings-across-service-sections":                notPublic,
		"migrate-idm-integration-service":                              notPublic,
		"migrate-saml2-entities-to-secrets":                            notPublic,
		"move-key-alias-to-secrets-api":                                "it creates secret-store mappings whose exact form is not public",
		"move-password-protected-alias-to-secrets":                     notPublic,
		"move-saml2-encryption-algorithms-to-extended-metadata":        notPublic,
		"remove-saml2-cert-aliases-and-key-descriptors-from-config":    notPublic,
		"securify-string":                                              "it hashes the secret with a random salt, which would make the output differ on every run",
		"update-oauth2-client-plugin-settings":                         notPublic,
		"update-oauth2-plugins-settings":                               notPublic,
		"upgrade-private-key-jwt-attributes":                           notPublic,
		"upgrade-social-provider-signing-and-encryption-attributes":    notPublic,
	} {
		t := notImplemented(name, why)
		if name == "add-new-service" {
			t.Satisfied = serviceExists
		}
		out = append(out, t)
	}
	return out
}

// serviceExists tells whether the tree already holds the service that
// add-new-service would add: only a missing one is reported.
func serviceExists(t *Tree, args *amjson.Value) bool {
	svc := args.Get("service")
	if svc == nil {
		return false
	}
	for _, d := range t.Docs {
		if d.Entity != nil && d.Entity.Type == svc.Text {
			return true
		}
	}
	return false
}
