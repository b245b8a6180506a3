package idc_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/google/go-cmp/cmp"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body string
		want idc.MigrationStatus
	}{
		{`{"status":"PENDING"}`, idc.MigrationStatus{State: idc.Running, Words: []string{"status=PENDING"}}},
		{`{"status":"success"}`, idc.MigrationStatus{State: idc.Complete, Words: []string{"status=success"}}},
		{`{"status":"COMPLETE","migrated":{"users":120}}`, idc.MigrationStatus{State: idc.Complete, Words: []string{"status=COMPLETE"}}},
		{`{"status":"FAILED","message":"bad certificate"}`, idc.MigrationStatus{State: idc.Failed, Words: []string{"status=FAILED"}, Message: "bad certificate", Cert: true}},
		// IDM's reconciliation runs, as its own migration service reports.
		{`[{"mapping":"a","state":"SUCCESS","stage":"COMPLETED_SUCCESS"},{"mapping":"b","state":"ACTIVE","stage":"ACTIVE_RECONCILING_SOURCE","progress":{"source":{"existing":{"processed":5,"total":"?"}}}}]`,
			idc.MigrationStatus{State: idc.Running, Words: []string{"[0].stage=COMPLETED_SUCCESS", "[0].state=SUCCESS", "[1].stage=ACTIVE_RECONCILING_SOURCE", "[1].state=ACTIVE"}, Progress: "source 5/?"}},
		{`{"result":[{"state":"CANCELED","stage":"COMPLETED_CANCELED"}]}`,
			idc.MigrationStatus{State: idc.Failed, Words: []string{"result[0].stage=COMPLETED_CANCELED", "result[0].state=CANCELED"}}},
		{`{"migrationStatus":{"phase":"MIGRATING"}}`, idc.MigrationStatus{State: idc.Running, Words: []string{"migrationStatus.phase=MIGRATING"}}},
		{`{"completed":true}`, idc.MigrationStatus{State: idc.Complete, Words: []string{"completed=true"}}},
		{`{"status":"NOT_CONFIGURED"}`, idc.MigrationStatus{State: idc.Unknown, Words: []string{"status=NOT_CONFIGURED"}}},
		{`{"users":3}`, idc.MigrationStatus{State: idc.Unknown}},
		{`"complete"`, idc.MigrationStatus{State: idc.Complete, Words: []string{"complete"}}},
		{`pending`, idc.MigrationStatus{State: idc.Running, Words: []string{"pending"}, Message: "pending"}},
		{`<html>Service Unavailable</html>`, idc.MigrationStatus{State: idc.Unknown, Message: "<html>Service Unavailable</html>"}},
		{``, idc.MigrationStatus{State: idc.Unknown}},
		{`{"code":404,"reason":"Not Found","message":"Resource 'endpoint/migration' not found"}`, idc.MigrationStatus{State: idc.Unknown, Message: "Resource 'endpoint/migration' not found"}},
	} {
		got := idc.ParseStatus([]byte(c.body))
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("ParseStatus(%s) (-want +got):\n%s", c.body, diff)
		}
	}
}

// Deep or wide answers are read within bounds: nesting beyond what JSON
// decoding takes is no JSON, and a list of thousands of runs keeps 20
// words.
func TestParseStatusBounded(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, 20000) + `"x"` + strings.Repeat(`}`, 20000)
	if st := idc.ParseStatus([]byte(deep)); st.State != idc.Unknown || len(st.Words) != 0 {
		t.Errorf("deep: %+v", st)
	}
	wide := "[" + strings.Repeat(`{"status":"PENDING"},`, 5000) + `{"status":"FAILED"}]`
	st := idc.ParseStatus([]byte(wide))
	if st.State != idc.Failed || len(st.Words) != 21 || st.Words[20] != "…" {
		t.Errorf("wide: %s with %d words", st.State, len(st.Words))
	}
}

func TestMatchHostname(t *testing.T) {
	t.Parallel()
	cnOnly := idctest.NewCert(idctest.CertOptions{CommonName: "localhost"}).Cert
	sans := idctest.NewCert(idctest.CertOptions{CommonName: "ignored.example.com", DNSNames: []string{"ic21.example.com", "*.ic.example.com", "ic*.example.org"}, IPs: []net.IP{net.ParseIP("10.0.0.5"), net.ParseIP("::1")}}).Cert
	for _, c := range []struct {
		cert  string
		host  string
		match bool
	}{
		{"cnOnly", "localhost", true},
		{"cnOnly", "LOCALHOST.", true},
		{"cnOnly", "127.0.0.1", false}, // an IP is never checked against the CN
		{"cnOnly", "ic21.example.com", false},
		{"sans", "ic21.example.com", true},
		{"sans", "ignored.example.com", false}, // SANs present: the CN is not used
		{"sans", "a.ic.example.com", true},
		{"sans", "a.b.ic.example.com", false}, // a wildcard is one label
		{"sans", "ic.example.com", false},
		{"sans", "ic22.example.org", true}, // a partial wildcard
		{"sans", "xic22.example.org", false},
		{"sans", "10.0.0.5", true},
		{"sans", "[::1]", true},
		{"sans", "10.0.0.6", false},
	} {
		cert := map[string]any{"cnOnly": cnOnly, "sans": sans}[c.cert]
		if got := idc.MatchHostname(cert.(*x509.Certificate), c.host); got != c.match {
			t.Errorf("%s: MatchHostname(%q) = %v, want %v", c.cert, c.host, got, c.match)
		}
	}
}

func TestFindJava(t *testing.T) {
	t.Parallel()
	home := func(version string, release bool) string {
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "bin"), 0o755)
		os.WriteFile(filepath.Join(d, "bin", "java"), []byte("#!/bin/sh\n"), 0o755)
		if release {
			os.WriteFile(filepath.Join(d, "release"), []byte("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\""+version+"\"\n"), 0o644)
		}
		return d
	}
	jdk11, jdk8, bare := home("11.0.22", true), home("1.8.0_392", true), home("", false)
	env := func(vars map[string]string, path string, version string) idc.JavaEnv {
		return idc.JavaEnv{
			Getenv: func(k string) string { return vars[k] },
			LookPath: func(string) (string, error) {
				if path == "" {
					return "", errors.New("not found")
				}
				return filepath.Join(path, "bin", "java"), nil
			},
			Version: func(ctx context.Context, java string) (string, error) {
				return version, nil
			},
		}
	}
	for _, c := range []struct {
		name    string
		env     idc.JavaEnv
		major   int
		from    string
		version string
		err     string
	}{
		{"JAVA_HOME with a release file", env(map[string]string{"JAVA_HOME": jdk11}, jdk8, ""), 11, "JAVA_HOME", "11.0.22", ""},
		{"JAVA_HOME wins over PATH", env(map[string]string{"JAVA_HOME": jdk8}, jdk11, ""), 8, "JAVA_HOME", "1.8.0_392", ""},
		{"PATH", env(nil, jdk11, ""), 11, "PATH", "11.0.22", ""},
		{"no release file: java -version", env(nil, bare, "openjdk version \"21.0.2\" 2024-01-16\nOpenJDK Runtime Environment"), 21, "PATH", "21.0.2", ""},
		{"old java -version", env(nil, bare, "java version \"1.7.0_80\"\n"), 7, "PATH", "1.7.0_80", ""},
		{"no Java", env(nil, "", ""), 0, "", "", "no Java: JAVA_HOME is not set and there is no java on PATH"},
		{"JAVA_HOME without java", env(map[string]string{"JAVA_HOME": "/nonexistent/jdk"}, "", ""), 0, "", "", "JAVA_HOME is /nonexistent/jdk, which has no bin/java"},
		{"unreadable -version", env(nil, bare, "Error: could not find libjava.so"), 0, "", "", "printed no version"},
	} {
		j, err := c.env.FindJava(context.Background())
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || j.Major != c.major || j.From != c.from || j.Version != c.version {
			t.Errorf("%s: %+v, %v; want Java %d (%s) from %s", c.name, j, err, c.major, c.version, c.from)
		}
	}
}
