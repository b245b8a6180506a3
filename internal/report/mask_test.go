package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/amjson"
)

func TestMaskText(t *testing.T) {
	in := `-    "storePassword" : "storepass",
+    "storePassword" : "changed",
     "bindPassword" : "&{am.stores.password}",
     "clientSecret" : "",
     "userName" : "am",
     "keyEntryPassword" : "a\"b",
- "data": {"_id": "ks", "storePassword":"storepass", "file": "k.jceks"}}`
	want := `-    "storePassword" : "********",
+    "storePassword" : "********",
     "bindPassword" : "&{am.stores.password}",
     "clientSecret" : "",
     "userName" : "am",
     "keyEntryPassword" : "********",
- "data": {"_id": "ks", "storePassword":"********", "file": "k.jceks"}}`
	if diff := cmp.Diff(want, Masker{}.Text(in)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := (Masker{Show: true}).Text(in); got != in {
		t.Errorf("--show-secrets changed the text:\n%s", got)
	}
}

func TestMaskValue(t *testing.T) {
	tests := []struct {
		ptr  string
		v    *amjson.Value
		want string
	}{
		{"/data/clientSecret", amjson.NewString("s3cret"), `"********"`},
		{"/data/clientSecret", amjson.NewString("&{x}"), `"&{x}"`},
		{"/data/name", amjson.NewString("s3cret"), `"s3cret"`},
		{"/data/creds", &amjson.Value{Kind: amjson.Object, Members: []amjson.Member{{Key: "userPassword", Value: amjson.NewString("pw")}}}, "{\n  \"userPassword\" : \"********\"\n}"},
	}
	for _, tt := range tests {
		if got := (Masker{}).Value(tt.ptr, tt.v); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.ptr, got, tt.want)
		}
	}
}
