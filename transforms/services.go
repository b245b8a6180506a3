package transforms

import (
	"fmt"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// object builds an ordered object from key, value pairs (values as
// jsonValue takes them).
func object(kv ...any) *amjson.Value {
	o := amjson.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		v, err := jsonValue(kv[i+1])
		if err != nil {
			panic(fmt.Sprintf("transforms: object(%v): %v", kv[i], err)) // literals of this package only
		}
		o.Set(kv[i].(string), v)
	}
	return o
}

// addNewService is the vendor's addNewService (FBC), facts §1.
func addNewService() *engine.Transform {
	return &engine.Transform{
		Name: "add-new-service",
		Tree: true,
		Doc: "Adds a service the tree lacks (`args: {service: Name}`), in the root realm, as a fresh AM install holds it: " +
			"with `--reference` (an FBC tree) its files are copied from there (the uid moved to `--baseDn`); otherwise " +
			"the two files every node service of a fresh 7.5.0 install has, which hold only `_id` and `_type`: " +
			"`realm/root/<name>.json` (objectClass `sunService`, `top`) and " +
			"`realm/root/<name>/1.0/organizationconfig/defaultconfig.json` (objectClass `organizationalunit`, " +
			"`sunServiceComponent`, `top`), `<name>` lower-cased. Nothing when any entity of the service exists. " +
			"An Amster export holds no such entities (AM creates them on import): nothing there.",
		Inferred: "that the vendor writes these two files and no empty stubs (the final shape is observed; " +
			"CustomAuthNode's shape is inferred from the other node services)",
		Check: needStrings("service"),
		ApplyTree: func(t *engine.TreeContext, args *amjson.Value) error {
			name := argText(args, "service")
			if t.Layout().Mode != engine.FBC || t.Has(&engine.Selector{Services: []string{name}}) {
				return nil
			}
			if ref := t.Reference(); ref != nil && ref.Mode() == engine.FBC {
				docs := ref.Find(func(e *engine.Entity) bool { return e.Type == name && !e.Global && e.Realm == "/" })
				if len(docs) > 0 {
					for _, d := range docs {
						c, err := ref.Copy(d, t.Options().BaseDN)
						if err != nil {
							return err
						}
						if _, err := t.Create(c); err != nil {
							return err
						}
					}
					return nil
				}
			}
			typ := typeValue(name, name, false)
			lower := strings.ToLower(name)
			node := &engine.Create{
				Entity: engine.Entity{Type: name, ID: name, Realm: "/"},
				File:   "realm/root/" + engine.SanitizeName(lower) + ".json",
				Metadata: object("uid", "ou="+name+",ou=services,"+t.Options().BaseDN,
					"objectClass", []string{"sunService", "top"}, "ou", []string{name}),
				Data: object("_id", name, "_type", typ),
			}
			defaults := &engine.Create{
				Entity:   engine.Entity{Type: name, ID: "defaultconfig", Realm: "/"},
				Metadata: object("objectClass", []string{"organizationalunit", "sunServiceComponent", "top"}),
				Data:     object("_id", "defaultconfig", "_type", typ),
			}
			for _, c := range []*engine.Create{node, defaults} {
				if _, err := t.Create(c); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
