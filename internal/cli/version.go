package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Version, when set at build time (-ldflags "-X .../internal/cli.Version=v1.2.3"),
// overrides the version read from the build information.
var Version string

// version is the tool's version: the module version the go command
// recorded (v1.2.3 from go install …@v1.2.3, a pseudo-version for a build
// from a checkout), else "devel", and the VCS revision the binary was
// built from, when known.
func version() string {
	return versionOf(debug.ReadBuildInfo())
}

func versionOf(info *debug.BuildInfo, ok bool) string {
	v := Version
	if v == "" && ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = "devel"
	}
	if !ok {
		return v
	}
	var rev, at string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" || strings.Contains(v, shortRev(rev)) && !modified {
		return v
	}
	extra := []string{"revision " + shortRev(rev)}
	if at != "" {
		extra = append(extra, at)
	}
	if modified {
		extra = append(extra, "with local changes")
	}
	return fmt.Sprintf("%s (%s)", v, strings.Join(extra, ", "))
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
