package transforms

import (
	"fmt"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// vendorTransforms are the vendor's named Java transforms, under the names
// rule files give them where the vendor's rules call them. Each makes the
// vendor's change as far as public facts show it (reference/
// transforms-facts.md, cited by section in docs/rules.md); what it cannot
// make it reports as a manual step, with its reason (a Need) and what to do
// by hand. docs/rules-coverage.md lists each call.
func vendorTransforms() []*engine.Transform {
	return []*engine.Transform{
		addNewService(),
		addNewGlobalScriptSettings(),
		addAccessTokenScriptSettings(),
		addMayActScriptSettings(),
		moveKeyAliasToSecretsAPI(),
		createSecretStores(),
		generateSymmetricSecret(),
		movePasswordProtectedAliasToSecrets(),
		migrateSaml2EntitiesToSecrets(),
		moveSaml2EncryptionAlgorithmsToExtendedMetadata(),
		removeSaml2CertAliasesAndKeyDescriptors(),
		securifyString(),
		configureOidcIssuerFromWellKnown(),
		upgradePrivateKeyJwtAttributes(),
		upgradeSocialProviderSigningAndEncryption(),
		appendFormPostRedirectURI(),
		updateOAuth2PluginsSettings(),
		updateOAuth2ClientPluginSettings(),
		migrateFapiSettings(),
		createEmailServiceInstances("create-email-service-instances-amster", engine.Amster),
		createEmailServiceInstances("create-email-service-instances-fbc", engine.FBC),
		migrateIdmIntegrationService(),
	}
}

// needStrings checks that args holds the named string members.
func needStrings(names ...string) func(args *amjson.Value) error {
	return func(args *amjson.Value) error {
		for _, n := range names {
			v := args.Get(n)
			if v == nil || v.Kind != amjson.String || v.Text == "" {
				return fmt.Errorf("args needs %s: a string (args: {%s: …})", n, strings.Join(names, ": …, "))
			}
		}
		return nil
	}
}

// argText returns a string member of args.
func argText(args *amjson.Value, name string) string {
	if v := args.Get(name); v != nil && v.Kind == amjson.String {
		return v.Text
	}
	return ""
}

// text returns a string member of an object, or "".
func text(obj *amjson.Value, key string) string {
	if obj == nil || obj.Kind != amjson.Object {
		return ""
	}
	if v := obj.Get(key); v != nil && v.Kind == amjson.String {
		return v.Text
	}
	return ""
}

// addIfAbsent sets each key of obj (at ptr, relative to data) that it
// lacks, in order.
func addIfAbsent(t *engine.TransformContext, ptr amjson.Pointer, kv ...any) error {
	obj := t.Data().At(ptr)
	if obj == nil || obj.Kind != amjson.Object {
		return nil
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if obj.Get(k) != nil {
			continue
		}
		v, err := jsonValue(kv[i+1])
		if err != nil {
			return err
		}
		if err := t.Set(append(slicesClone(ptr), k), v); err != nil {
			return err
		}
	}
	return nil
}

// jsonValue turns a Go literal (string, bool, int, nil, *amjson.Value) into
// a value.
func jsonValue(x any) (*amjson.Value, error) {
	if v, ok := x.(*amjson.Value); ok {
		return v.Clone(), nil
	}
	return amjson.FromInterface(x)
}

func slicesClone(p amjson.Pointer) amjson.Pointer { return append(amjson.Pointer(nil), p...) }

// typeValue is a `_type` object.
func typeValue(id, name string, collection bool) *amjson.Value {
	t := amjson.NewObject()
	t.Set("_id", amjson.NewString(id))
	t.Set("name", amjson.NewString(name))
	t.Set("collection", amjson.NewBool(collection))
	return t
}

// referenceHint says where a user gets what --reference supplies.
const referenceHint = "give --reference DIR: an Amster export or the FBC tree (the config folder of the am-base image, or of a fresh install) of the AM release you upgrade to"
