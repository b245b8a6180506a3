package idc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// JavaEnv is how Preflight finds Java; its fields are the test hooks. A nil
// field uses the process's own (os.Getenv, exec.LookPath, running
// "java -version").
type JavaEnv struct {
	Getenv   func(string) string
	LookPath func(string) (string, error)
	// Version runs java -version and returns what it prints.
	Version func(ctx context.Context, java string) (string, error)
}

// Java is the Java an installation would run.
type Java struct {
	Path    string // the java executable
	From    string // "JAVA_HOME" or "PATH"
	Version string // as Java reports it: 11.0.22, 1.8.0_392
	Major   int
	Source  string // where the version was read: a release file, or java -version
}

func (j JavaEnv) getenv(k string) string {
	if j.Getenv != nil {
		return j.Getenv(k)
	}
	return os.Getenv(k)
}

// FindJava finds the Java IDM's start script would use: $JAVA_HOME/bin/java
// when JAVA_HOME is set, else java on PATH; and its version, from the
// release file of its home or else from java -version.
func (j JavaEnv) FindJava(ctx context.Context) (Java, error) {
	exe := "java"
	if runtime.GOOS == "windows" {
		exe = "java.exe"
	}
	var java Java
	if home := j.getenv("JAVA_HOME"); home != "" {
		java = Java{Path: filepath.Join(home, "bin", exe), From: "JAVA_HOME"}
		if _, err := os.Stat(java.Path); err != nil {
			return java, fmt.Errorf("JAVA_HOME is %s, which has no bin/%s", home, exe)
		}
	} else {
		look := exec.LookPath
		if j.LookPath != nil {
			look = j.LookPath
		}
		p, err := look(exe)
		if err != nil {
			return Java{}, fmt.Errorf("no Java: JAVA_HOME is not set and there is no %s on PATH", exe)
		}
		java = Java{Path: p, From: "PATH"}
	}
	// A JDK or JRE home has a release file saying its version; java on
	// PATH is usually a link into such a home.
	real := java.Path
	if r, err := filepath.EvalSymlinks(java.Path); err == nil {
		real = r
	}
	release := filepath.Join(filepath.Dir(filepath.Dir(real)), "release")
	if b, err := readBounded(release, 1<<16); err == nil {
		if m := releaseVersion.FindSubmatch(b); m != nil {
			java.Version, java.Source = string(m[1]), release
		}
	}
	if java.Version == "" {
		run := runJavaVersion
		if j.Version != nil {
			run = j.Version
		}
		out, err := run(ctx, java.Path)
		if err != nil {
			return java, fmt.Errorf("%s -version: %v", java.Path, err)
		}
		m := versionOutput.FindStringSubmatch(out)
		if m == nil {
			return java, fmt.Errorf("%s -version printed no version: %q", java.Path, firstLine(out))
		}
		java.Version, java.Source = m[1], java.Path+" -version"
	}
	major, err := javaMajor(java.Version)
	if err != nil {
		return java, err
	}
	java.Major = major
	return java, nil
}

var (
	releaseVersion = regexp.MustCompile(`(?m)^JAVA_VERSION="([^"]+)"`)
	versionOutput  = regexp.MustCompile(`version "([^"]+)"`)
)

// javaMajor reads the feature release of a version: 1.8.0_392 is 8,
// 11.0.22 is 11, 21-ea is 21.
func javaMajor(v string) (int, error) {
	s := strings.TrimPrefix(v, "1.")
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		s = s[:end]
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("cannot read the Java version %q", v)
	}
	return n, nil
}

func runJavaVersion(ctx context.Context, java string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, java, "-version").CombinedOutput()
	return string(out), err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
