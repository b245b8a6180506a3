package transforms

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// scriptTransforms rewrite what AM 8's move to Tomcat 10 (Jakarta EE)
// breaks in scripts and their allow-lists.
func scriptTransforms() []*engine.Transform {
	return []*engine.Transform{{
		Name: "jakarta-allowlist",
		Doc: "For every `javax.servlet.*` and `javax.websocket.*` entry of the section's `whiteList`, " +
			"appends the `jakarta.` twin when absent (AM 8 runs on Tomcat 10). The javax entries stay.",
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			wl := t.Section().Get("whiteList")
			if wl == nil || wl.Kind != amjson.Array {
				return nil
			}
			for _, it := range append([]*amjson.Value(nil), wl.Items...) {
				twin, ok := jakartaName(it.Text)
				if it.Kind != amjson.String || !ok || containsString(wl, twin) {
					continue
				}
				if err := t.Append(append(t.SectionPointer(), "whiteList"), amjson.NewString(twin)); err != nil {
					return err
				}
			}
			return nil
		},
	}, {
		Name: "jakarta-scripts",
		Doc: "Rewrites `javax.servlet` to `jakarta.servlet` and `javax.websocket` to `jakarta.websocket` in the " +
			"section's `script` attribute, a base64 script body (Amster) or a plain one. A `$base64:encode` or " +
			"`$inline` reference to a script file is left alone and reported.",
		Apply: func(t *engine.TransformContext, _ *amjson.Value) error {
			s := t.Section().Get("script")
			if s != nil && s.Kind == amjson.Object {
				t.Notice(engine.NoticeFileReference, append(t.SectionPointer(), "script"),
					fmt.Sprintf("the script is a reference to a file (%s); javax references in it are not rewritten: edit the file", engine.BriefValue(s)))
				return nil
			}
			if s == nil || s.Kind != amjson.String {
				return nil
			}
			body, err := base64.StdEncoding.DecodeString(s.Text)
			encoded := err == nil
			if !encoded {
				body = []byte(s.Text)
			}
			out := jakartaReplacer.Replace(string(body))
			if out == string(body) {
				return nil
			}
			if encoded {
				out = base64.StdEncoding.EncodeToString([]byte(out))
			}
			return t.Set(append(t.SectionPointer(), "script"), amjson.NewString(out))
		},
	}}
}

var jakartaReplacer = strings.NewReplacer("javax.servlet", "jakarta.servlet", "javax.websocket", "jakarta.websocket")

func jakartaName(s string) (string, bool) {
	for _, p := range []string{"javax.servlet.", "javax.websocket."} {
		if strings.HasPrefix(s, p) {
			return "jakarta." + strings.TrimPrefix(s, "javax."), true
		}
	}
	return "", false
}

func containsString(arr *amjson.Value, s string) bool {
	for _, it := range arr.Items {
		if it.Kind == amjson.String && it.Text == s {
			return true
		}
	}
	return false
}
