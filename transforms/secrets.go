package transforms

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// defaultStore is the global keystore secret store AM installs have, where
// the transforms map labels (facts §4: our choice, the vendor's is not
// public).
const defaultStore = "default-keystore"

// mappingCreate is the create of a secret label mapping to aliases in the
// global default-keystore, in the tree's layout (facts §4, shapes observed
// in the 8.0.2 export and the 7.5.0 tree). It is not made when any global
// store maps the label already, nor without the store; ifBlocked is then
// reported.
func mappingCreate(mode engine.Mode, label string, aliases []string, ifBlocked *engine.Notice) *engine.Create {
	if mode == engine.FBC {
		id := "default/" + defaultStore + "/mappings/" + label
		return &engine.Create{
			Entity:   engine.Entity{Type: "KeyStoreSecretStore", ID: id, Global: true},
			Metadata: object("sunServiceID", "instance", "objectClass", []string{"sunServiceComponent", "top"}, "ou", []string{label}),
			Data: object("_id", id, "_type", typeValue("KeyStoreSecretStore", "KeyStoreSecretStore", false),
				"secretId", label, "aliases", aliases),
			Requires:  &engine.Selector{Services: []string{"KeyStoreSecretStore"}, Scope: engine.GlobalScope, EntityID: &engine.Matcher{Is: ptrTo("default/" + defaultStore)}},
			Unless:    labelMapped(engine.FBC, label),
			IfBlocked: ifBlocked,
		}
	}
	return &engine.Create{
		Entity: engine.Entity{Type: "KeyStoreMappings", ID: label, Global: true, PathParams: map[string]string{"KeyStoreSecretStore": defaultStore}},
		File:   "global/KeyStoreSecretStore/" + defaultStore + "/KeyStoreMappings/" + engine.SanitizeName(label) + ".json",
		Data: object("_id", label, "secretId", label, "aliases", aliases,
			"_type", typeValue("mappings", "Mappings", true)),
		Requires:  &engine.Selector{Services: []string{"KeyStoreSecretStore"}, Scope: engine.GlobalScope, EntityID: &engine.Matcher{Is: ptrTo(defaultStore)}},
		Unless:    labelMapped(engine.Amster, label),
		IfBlocked: ifBlocked,
	}
}

// mappingsNode is the FBC node that holds a store's mappings, which a tree
// with no mapping yet may lack.
func mappingsNode() *engine.Create {
	id := "default/" + defaultStore + "/mappings"
	return &engine.Create{
		Entity:   engine.Entity{Type: "KeyStoreSecretStore", ID: id, Global: true},
		Metadata: object("sunServiceID", "mappings", "objectClass", []string{"sunServiceComponent", "top"}),
		Data:     object("_id", id, "_type", typeValue("KeyStoreSecretStore", "KeyStoreSecretStore", false)),
		Requires: &engine.Selector{Services: []string{"KeyStoreSecretStore"}, Scope: engine.GlobalScope, EntityID: &engine.Matcher{Is: ptrTo("default/" + defaultStore)}},
	}
}

func ptrTo(s string) *string { return &s }

// labelMapped selects a global mapping of the label, in any store.
func labelMapped(mode engine.Mode, label string) *engine.Selector {
	if mode == engine.FBC {
		return &engine.Selector{Scope: engine.GlobalScope, EntityID: &engine.Matcher{Regexp: regexp.MustCompile("^(?:.*/mappings/" + regexp.QuoteMeta(label) + ")$")}}
	}
	return &engine.Selector{Scope: engine.GlobalScope, EntityID: &engine.Matcher{Is: ptrTo(label)}, PathParams: map[string]*engine.Matcher{}}
}

// mappingFile is where the mapping of a label in the default store goes.
func mappingFile(l engine.Layout, label string) string {
	c := mappingCreate(l.Mode, label, nil, nil)
	if c.File != "" {
		return l.Prefix + c.File
	}
	return l.EntityPath(&c.Entity)
}

// moveKeyAliasToSecretsAPI is the vendor's moveKeyAliasToSecretsApi, facts §4.
func moveKeyAliasToSecretsAPI() *engine.Transform {
	return &engine.Transform{
		Name: "move-key-alias-to-secrets-api",
		Doc: "When the section's `args.attribute` (a key alias) holds a value, maps the secret label `args.label` to " +
			"that alias in the global `default-keystore` secret store, and deletes the attribute (gone from the schema " +
			"since 7.1). The mapping is written by the next `create-secret-stores` of the chain, in the layout's shape " +
			"(Amster `global/KeyStoreSecretStore/default-keystore/KeyStoreMappings/<label>.json`; FBC " +
			"`…/keystoresecretstore/1.0/globalconfig/default/default-keystore/mappings/<label>.json`), unless a global " +
			"store maps the label already. Without the store, the mapping is a manual step; the attribute still goes. " +
			"Several documents that map one label to different aliases (realms with keys of their own): the first, root " +
			"realm first, is written, the others are manual steps.",
		Inferred: "that the mapping is to the configured alias (AM's own default mappings differ), and the store it goes " +
			"into (the vendor's choice is not public)",
		Gap: &engine.Gap{
			Needs:  engine.NeedKeyMaterial,
			Vendor: "would have mapped the secret label to the key alias",
			Why:    "without the global default-keystore secret store, a mapping needs a store and its keystore, which is key material",
			Action: "map the label to the alias in a global secret store whose keystore holds the key",
		},
		Check: needStrings("attribute", "label"),
		Apply: func(t *engine.TransformContext, args *amjson.Value) error {
			attr, label := argText(args, "attribute"), argText(args, "label")
			ptr := append(t.SectionPointer(), attr)
			v := t.Section().Get(attr)
			if v == nil {
				return nil
			}
			if engine.IsPlaceholder(v) {
				t.ManualStep(ptr, fmt.Sprintf("the vendor's move-key-alias-to-secrets-api would have mapped secret label %s to the alias in %s and deleted it; not made: it holds a placeholder (%s), resolved only when AM starts", label, attr, engine.BriefValue(v)),
					fmt.Sprintf("map %s to the alias the placeholder resolves to in a global secret store, then delete %s", label, attr))
				return nil
			}
			if alias := strings.TrimSpace(v.Text); v.Kind == amjson.String && alias != "" {
				file := mappingFile(t.Layout(), label)
				blocked := t.ManualStepNotice(file, nil,
					fmt.Sprintf("the vendor's move-key-alias-to-secrets-api would have mapped secret label %s to alias %q (from %s of %s); not made: the tree has no global %s secret store", label, alias, attr, t.File(), defaultStore),
					fmt.Sprintf("map %s to alias %q in a global secret store whose keystore holds that key", label, alias))
				t.Create(mappingCreate(t.Layout().Mode, label, []string{alias}, blocked), true)
			}
			return t.Delete(ptr)
		},
	}
}

// createSecretStores is the vendor's createSecretStores, facts §3.
func createSecretStores() *engine.Transform {
	return &engine.Transform{
		Name: "create-secret-stores",
		Tree: true,
		Doc: "Writes the secret label mappings that `move-key-alias-to-secrets-api` asked for earlier in the chain " +
			"(the vendor's rule files end each step with it). Nothing when none were asked for: the vendor's 8.0.1 " +
			"(FBC) and 7.4.0 (Amster) runs wrote no secret-store file.",
		Gap: &engine.Gap{
			Needs:  engine.NeedKeyMaterial,
			Vendor: "would also have created the secret stores holding the key material of the other secret transforms",
			Why:    "which stores it creates, and their keystores, are not public",
			Action: "see the manual steps of generate-symmetric-secret and move-password-protected-alias-to-secrets",
		},
		ApplyTree: func(t *engine.TreeContext, _ *amjson.Value) error {
			queued := t.TakeSecrets()
			type first struct{ aliases, from string }
			mapped := map[string]first{}
			for _, p := range queued {
				// One global mapping per label: a second document that
				// names other aliases for it (a realm's own key) is left
				// to the user.
				if label := text(p.Create.Data, "secretId"); label != "" {
					aliases := engine.BriefValue(p.Create.Data.Get("aliases"))
					if f, ok := mapped[label]; ok && f.aliases != aliases && p.Create.IfBlocked != nil {
						// Reported as the asking rule's move-key-alias-to-secrets-api.
						n := *p.Create.IfBlocked
						n.File, n.Pointer = p.From, ""
						n.Message = fmt.Sprintf("the vendor's move-key-alias-to-secrets-api would have mapped secret label %s to %s (from %s); not made: this run maps it to %s already (from %s), and one global mapping holds one set of aliases", label, aliases, p.From, f.aliases, f.from)
						n.Action = fmt.Sprintf("map %s to %s in a secret store of the realm of %s, or give both the same key", label, aliases, p.From)
						t.ReportManual(n)
						continue
					} else if !ok {
						mapped[label] = first{aliases, p.From}
					}
				}
				// An FBC store that has no mapping yet lacks the node
				// that holds them.
				c := p.Create
				if t.Layout().Mode == engine.FBC && c.Requires != nil && t.Has(c.Requires) && (c.Unless == nil || !t.Has(c.Unless)) {
					if _, err := t.Create(mappingsNode()); err != nil {
						return err
					}
				}
				if _, err := t.Create(c); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// generateSymmetricSecret is the vendor's generateSymmetricSecret, facts §7.
func generateSymmetricSecret() *engine.Transform {
	return &engine.Transform{
		Name: "generate-symmetric-secret",
		Tree: true,
		Doc: "Not implemented: the vendor generates `args.bytes` random bytes of key material for the secret label " +
			"`args.label` and stores them for a secret store. Unless a global store maps the label already, a manual " +
			"step says how to make the key and map it (AM installs map both labels of the rules to `directenctest`).",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedKeyMaterial,
			Vendor: "would have generated a random symmetric key and mapped a secret label to it",
			Why:    "it generates key material for a keystore, which configuration files do not hold",
			Action: "create an AES key in the keystore of a global secret store and map the label to its alias",
		},
		Check: needStrings("label"),
		ApplyTree: func(t *engine.TreeContext, args *amjson.Value) error {
			label := argText(args, "label")
			if t.Has(labelMapped(t.Layout().Mode, label)) {
				return nil
			}
			n := 32
			if b := args.Get("bytes"); b != nil && b.Kind == amjson.Number {
				fmt.Sscan(b.Text, &n)
			}
			t.ManualStep(mappingFile(t.Layout(), label), "",
				fmt.Sprintf("the vendor's generate-symmetric-secret would have generated a random %d-byte (%d-bit) AES key for secret label %s and mapped the label to it; not made: it is key material, which configuration files do not hold", n, n*8, label),
				fmt.Sprintf("create the key in the keystore of a global secret store (keytool -genseckey -keyalg AES -keysize %d -alias ALIAS -storetype JCEKS -keystore FILE) and map %s to ALIAS (AM installs map it to directenctest in %s)", n*8, label, defaultStore))
			return nil
		},
	}
}

// movePasswordProtectedAliasToSecrets is the vendor's
// movePasswordProtectedAliasToSecrets, facts §5.
func movePasswordProtectedAliasToSecrets() *engine.Transform {
	return &engine.Transform{
		Name: "move-password-protected-alias-to-secrets",
		Doc: "Not implemented: the vendor moves the SAML2 metadata signing key (`metadataSigningKey`, its entry " +
			"password `metadataSigningKeyPass`, encrypted in `metadataSigningKeyPass-encrypted`) to the secrets API. " +
			"Where the section holds them, a manual step names the alias and says what to map and delete.",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedKeyMaterial,
			Vendor: "would have moved the SAML2 metadata signing key alias and its password to a secret store",
			Why:    "the key entry password must be decrypted with the AM instance's key and stored as a secret",
			Action: "put the signing key with its entry password in a global secret store's keystore, map the SAML2 metadata signing label to it, and delete the metadataSigningKey* attributes",
		},
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			sec := t.Section()
			alias := text(sec, "metadataSigningKey")
			if alias == "" && sec.Get("metadataSigningKeyPass-encrypted") == nil && text(sec, "metadataSigningKeyPass") == "" {
				return nil
			}
			t.ManualStep(append(t.SectionPointer(), "metadataSigningKey"),
				fmt.Sprintf("the vendor's move-password-protected-alias-to-secrets would have moved the SAML2 metadata signing key (alias %q) and its entry password (metadataSigningKeyPass-encrypted, encrypted with the AM instance's key) to a secret store, mapped the metadata signing label to it, and removed metadataSigningKey, metadataSigningKeyPass and metadataSigningKeyPass-encrypted; not made: the password must be decrypted and stored as a secret", alias),
				fmt.Sprintf("put the key %q with its entry password in the keystore of a global secret store, map the SAML2 metadata signing label (am.services.saml2.metadata.signing.RSA in AM 7 installs) to it, then delete the three attributes", alias))
			return nil
		},
	}
}

// The three SAML2 entity transforms, facts §6: only the default labels are
// public.
func migrateSaml2EntitiesToSecrets() *engine.Transform {
	return &engine.Transform{
		Name: "migrate-saml2-entities-to-secrets",
		Doc:  "Not implemented: the vendor moves a hosted SAML2 entity's signing and encryption keys to secret labels. One manual step per entity.",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedPublicFact,
			Vendor: "would have moved the entity's signing and encryption key aliases to secret labels",
			Why:    "no public before/after pair of a SAML2 entity (searched: the 6.5.1 and 8.0.2 exports, the forgeops history, the vendor's 6.5.x-to-7.x.x rule file, which only names the transform)",
			Action: "in AM 7 and later, map the entity's signing and encryption key aliases to its secret labels " +
				"(the defaults am.default.applications.federation.entity.providers.saml2.idp|sp.signing|encryption map to rsajwtsigningkey and test in AM installs)",
		},
	}
}

func moveSaml2EncryptionAlgorithmsToExtendedMetadata() *engine.Transform {
	return &engine.Transform{
		Name: "move-saml2-encryption-algorithms-to-extended-metadata",
		Doc:  "Not implemented: the vendor (who spells it moveSaml2EncryptionAlgorihtmsToExtendedMetadata) moves a SAML2 entity's encryption algorithms into its extended metadata. One manual step per entity.",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedPublicFact,
			Vendor: "would have moved the entity's encryption algorithm settings into its extended metadata",
			Why:    "no public before/after pair of a SAML2 entity (searched as for migrate-saml2-entities-to-secrets)",
			Action: "after the import, check the entity's encryption algorithms in its extended metadata (AM admin console, SAML 2.0 entity, Advanced)",
		},
	}
}

func removeSaml2CertAliasesAndKeyDescriptors() *engine.Transform {
	return &engine.Transform{
		Name: "remove-saml2-cert-aliases-and-key-descriptors-from-config",
		Doc:  "Not implemented: the vendor removes the certificate aliases and key descriptors a hosted SAML2 entity's configuration holds (they come from secrets since 7.0). One manual step per entity.",
		Gap: &engine.Gap{
			None:   true,
			Needs:  engine.NeedPublicFact,
			Vendor: "would have removed the certificate aliases and key descriptors from the entity's configuration",
			Why:    "no public before/after pair of a SAML2 entity (searched as for migrate-saml2-entities-to-secrets)",
			Action: "once the entity's keys come from secret labels, remove its signing and encryption certificate aliases and the KeyDescriptor elements of its hosted metadata",
		},
	}
}

// securifyString is the vendor's securifyString (FBC RADIUS client
// secrets), facts §8.
func securifyString() *engine.Transform {
	return &engine.Transform{
		Name: "securify-string",
		Doc: "Replaces the section's `args.attribute`, a clear-text secret, by `{SHA-512}` and the standard base64 " +
			"of SHA-512(salt followed by the UTF-8 of the value), with a 20-byte salt that is not stored, as the vendor " +
			"does. The vendor's salt is random; ours is the first 20 bytes of HMAC-SHA-256 keyed with `--seed` over the " +
			"file path and the attribute's pointer, so that the same input gives the same output (see \"Salts\" below). " +
			"A value already in that form, an empty one, and a placeholder (kept and reported) are left alone.",
		Inferred: "the guard: the vendor's isNotSecure() is not public; read as \"non-empty and not already {SHA-512}\"",
		Check:    needStrings("attribute"),
		Apply: func(t *engine.TransformContext, args *amjson.Value) error {
			attr := argText(args, "attribute")
			ptr := append(t.SectionPointer(), attr)
			v := t.Section().Get(attr)
			if v == nil || v.Kind != amjson.String && !engine.IsPlaceholder(v) {
				return nil
			}
			if engine.IsPlaceholder(v) {
				t.Notice(engine.NoticeKeptPlaceholder, ptr, fmt.Sprintf("holds a placeholder (%s): kept; securify-string hashes clear-text secrets only: store the hash AM expects where the placeholder resolves", engine.BriefValue(v)))
				return nil
			}
			if v.Text == "" || strings.HasPrefix(v.Text, "{SHA-512}") {
				return nil
			}
			// The path inside the layout, so that giving the FBC tree as
			// its services/ folder or the folder above gives one hash.
			file := strings.TrimPrefix(t.File(), t.Layout().Prefix)
			salt := securifySalt(t.Options().Seed, file, append(amjson.Pointer{"data"}, ptr...).String())
			return t.Set(ptr, amjson.NewString(securify(salt, v.Text)))
		},
	}
}

// securifySalt derives the 20-byte salt of one attribute.
func securifySalt(seed, file, pointer string) []byte {
	m := hmac.New(sha256.New, []byte("amupgrade securify-string\x00"+seed))
	m.Write([]byte(file + "\x00" + pointer))
	return m.Sum(nil)[:20]
}

// securify is the vendor's hash: "{SHA-512}" + base64(SHA-512(salt ‖ value)).
func securify(salt []byte, value string) string {
	h := sha512.New()
	h.Write(salt)
	h.Write([]byte(value))
	return "{SHA-512}" + base64.StdEncoding.EncodeToString(h.Sum(nil))
}
