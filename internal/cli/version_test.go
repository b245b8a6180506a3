package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"go install @version", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "v1.4.0"},
		{"checkout with VCS", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203074100-69fcd61a2b3c"},
			Settings: settings("vcs.revision", "69fcd61a2b3c4d5e", "vcs.time", "2026-12-03T07:41:00Z", "vcs.modified", "false")}, true,
			"v0.0.0-20261203074100-69fcd61a2b3c"},
		{"checkout with local changes", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203074100-69fcd61a2b3c+dirty"},
			Settings: settings("vcs.revision", "69fcd61a2b3c4d5e", "vcs.time", "2026-12-03T07:41:00Z", "vcs.modified", "true")}, true,
			"v0.0.0-20261203074100-69fcd61a2b3c+dirty (revision 69fcd61a2b3c, 2026-12-03T07:41:00Z, with local changes)"},
		{"devel build", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: settings("vcs.revision", "abc")}, true, "devel (revision abc)"},
		{"no build information", nil, false, "devel"},
	}
	for _, tt := range tests {
		if got := versionOf(tt.info, tt.ok); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
