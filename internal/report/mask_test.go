package report

import (
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/google/go-cmp/cmp"
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
		v    *engine.Value
		want string
	}{
		{"/data/clientSecret", engine.NewString("s3cret"), `"********"`},
		{"/data/clientSecret", engine.NewString("&{x}"), `"&{x}"`},
		{"/data/name", engine.NewString("s3cret"), `"s3cret"`},
		{"/data/creds", &engine.Value{Kind: engine.Object, Members: []engine.Member{{Key: "userPassword", Value: engine.NewString("pw")}}}, "{\n  \"userPassword\" : \"********\"\n}"},
	}
	for _, tt := range tests {
		if got := (Masker{}).Value(tt.ptr, tt.v); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.ptr, got, tt.want)
		}
	}
}
