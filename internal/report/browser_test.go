package report_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amupgrade/amupgrade/internal/report"
)

// chromium finds a headless-capable Chromium: $AMUPGRADE_CHROMIUM, or
// Debian's chromium package (make chromium installs it; .ci/run does too).
func chromium(t *testing.T) string {
	t.Helper()
	if raceEnabled {
		// The browser measures the page; the race detector would only slow down the upgrade
		// that writes it, which the other tests run under it. make test runs these.
		t.Skip("the browser tests run without the race detector (make test)")
	}
	if p := os.Getenv("AMUPGRADE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed, so the HTML report is not checked in a browser: " +
		"'make chromium' installs it (apt-get install chromium), as .ci/run does when it can")
	return ""
}

// browse runs headless Chromium on a page with its own profile; extra are
// more flags (--dump-dom, --screenshot=…). JavaScript runs before the dump.
func browse(t *testing.T, bin, page string, extra ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

var (
	changeRow = regexp.MustCompile(`<tr class="change"([^>]*)>`)
	fileSect  = regexp.MustCompile(`<section class="file"([^>]*)>`)
	attr      = func(name string) *regexp.Regexp { return regexp.MustCompile(`\b` + name + `="([^"]*)"`) }
	dataRule  = attr("data-rule")
	dataServ  = attr("data-service")
	dataRules = attr("data-rules")
	hiddenAt  = regexp.MustCompile(`\shidden(=""|\s|$)`)
)

// shown is what a page dumped after its script ran shows.
type shown struct {
	counts  map[string]int // #count-… element texts
	visible map[string]int // change rows not hidden, per rule
	hidden  int
	files   []string // data-rules of the file sections not hidden
	ready   bool
}

func readDOM(dom []byte) shown {
	s := shown{counts: map[string]int{}, visible: map[string]int{}}
	for _, m := range countID.FindAllSubmatch(dom, -1) {
		s.counts[string(m[1])], _ = strconv.Atoi(string(m[2]))
	}
	for _, m := range changeRow.FindAllSubmatch(dom, -1) {
		if hiddenAt.Match(m[1]) {
			s.hidden++
			continue
		}
		rule := dataRule.FindSubmatch(m[1])
		serv := dataServ.FindSubmatch(m[1])
		if rule != nil && serv != nil {
			s.visible[string(rule[1])+" "+string(serv[1])]++
		}
	}
	for _, m := range fileSect.FindAllSubmatch(dom, -1) {
		if !hiddenAt.Match(m[1]) {
			if r := dataRules.FindSubmatch(m[1]); r != nil {
				s.files = append(s.files, string(r[1]))
			}
		}
	}
	s.ready = bytes.Contains(dom, []byte(`data-ready="1"`))
	return s
}

// TestBrowser loads the HTML report of the real 7.5.0 tree upgraded to 8.1
// in headless Chromium: the counts the page shows equal the JSON report's;
// with a filter in the URL hash (a rule, a rule and a service, a service)
// only the matching changes are visible. TestBrowserFits measures its
// layout and keeps the screenshots.
func TestBrowser(t *testing.T) {
	in := realTree(t, "fbc-7.5.0-darkedges/services")
	bin := chromium(t)
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.html")
	write(t, report.Upgrade{In: in, To: "8.1.0"}, jsonPath, htmlPath)
	r := readReport(t, schema(t), jsonPath)
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()

	// The filter: the rule of the example in docs/report.md when it made
	// changes, else the first rule that changed fewer than all; and a
	// service it touched.
	var rule report.RuleCount
	for _, rc := range r.Summary.Rules {
		if rc.ID == "OPENAM-15410" || (rule.ID == "" && rc.Changes < len(r.Changes)) {
			rule = rc
		}
	}
	if rule.ID == "" {
		t.Fatal("no rule to filter on")
	}
	service := ""
	perService := map[string]int{}
	for _, c := range r.Changes {
		if c.Rule == rule.ID {
			perService[c.Service]++
			if service == "" || c.Service == "OAuth2Provider" {
				service = c.Service
			}
		}
	}
	// The loads are independent: run them at once.
	const otherService = "ScriptingService"
	var plain, byRule, byBoth, byService []byte
	var wg sync.WaitGroup
	start := time.Now()
	for _, job := range []struct {
		out  *[]byte
		hash string
		args []string
	}{
		{&plain, "", []string{"--dump-dom"}},
		{&byRule, "#rule=" + url.QueryEscape(rule.ID), []string{"--dump-dom"}},
		{&byBoth, fmt.Sprintf("#rule=%s&service=%s", url.QueryEscape(rule.ID), url.QueryEscape(service)), []string{"--dump-dom"}},
		{&byService, "#service=" + otherService, []string{"--dump-dom"}},
	} {
		wg.Go(func() {
			out, err := browse(t, bin, page+job.hash, job.args...)
			if err != nil {
				t.Error(err)
			} else {
				*job.out = out
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("chromium: 4 loads in %v", time.Since(start).Round(time.Millisecond))

	// Unfiltered: the counts equal the JSON report's, every change shows.
	s := readDOM(plain)
	if !s.ready {
		t.Fatal("the page's script did not run (no data-ready on <body>)")
	}
	want := map[string]int{"count-changes": len(r.Changes), "count-files-changed": r.Summary.FilesChangedByRules, "count-files-reprinted": r.Summary.FilesReprinted,
		"count-created": len(r.Created), "count-deleted": len(r.Deleted), "count-rules": r.Summary.RulesWithChanges, "count-warnings": len(r.Notices),
		"count-recorded": len(r.Recorded), "count-skipped": len(r.Skipped), "count-unmatched": len(r.Unmatched),
		"count-visible": len(r.Changes), "count-checklist": len(r.Applicable())}
	for id, n := range want {
		if got, ok := s.counts[id]; !ok || got != n {
			t.Errorf("unfiltered: #%s shows %d (present %v), the JSON report says %d", id, got, ok, n)
		}
	}
	if s.hidden != 0 || total(s.visible) != len(r.Changes) {
		t.Errorf("unfiltered: %d changes visible, %d hidden; want all %d visible", total(s.visible), s.hidden, len(r.Changes))
	}

	// Filtered by rule: only that rule's changes are visible.
	s = readDOM(byRule)
	for key, n := range s.visible {
		if !strings.HasPrefix(key, rule.ID+" ") {
			t.Errorf("#rule=%s: %d changes of %s are visible", rule.ID, n, key)
		}
	}
	if total(s.visible) != rule.Changes || s.counts["count-visible"] != rule.Changes || s.hidden != len(r.Changes)-rule.Changes {
		t.Errorf("#rule=%s: %d visible (the page says %d), %d hidden; want %d visible", rule.ID, total(s.visible), s.counts["count-visible"], s.hidden, rule.Changes)
	}
	if len(s.files) != rule.Files {
		t.Errorf("#rule=%s: %d files visible, want %d", rule.ID, len(s.files), rule.Files)
	}
	for _, rules := range s.files {
		if !strings.Contains(" "+rules+" ", " "+rule.ID+" ") {
			t.Errorf("#rule=%s: a file changed only by %s is visible", rule.ID, rules)
		}
	}

	// Filtered by rule and service.
	s = readDOM(byBoth)
	if n := s.visible[rule.ID+" "+service]; n != perService[service] || total(s.visible) != n || s.counts["count-visible"] != n {
		t.Errorf("#rule=%s&service=%s: visible %v (the page says %d), want %d", rule.ID, service, s.visible, s.counts["count-visible"], perService[service])
	}
	// Filtered by service.
	wantService := 0
	for _, sc := range r.Summary.Services {
		if sc.Service == otherService {
			wantService = sc.Changes
		}
	}
	s = readDOM(byService)
	for key, n := range s.visible {
		if !strings.HasSuffix(key, " "+otherService) {
			t.Errorf("#service=%s: %d changes of %s are visible", otherService, n, key)
		}
	}
	if total(s.visible) != wantService || s.counts["count-visible"] != wantService {
		t.Errorf("#service=%s: %d visible (the page says %d), want %d", otherService, total(s.visible), s.counts["count-visible"], wantService)
	}
	t.Logf("filters: #service=%s shows %d changes; #rule=%s shows %d of %d changes; with service=%s, %d", otherService, wantService, rule.ID, rule.Changes, len(r.Changes), service, perService[service])
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
