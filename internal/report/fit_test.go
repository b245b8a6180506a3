package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/amupgrade/amupgrade/internal/cli"
	"github.com/amupgrade/amupgrade/internal/report"
	"github.com/amupgrade/amupgrade/internal/upgradetest"
)

// maxPage is the most the HTML report of the real 7.5.0 tree upgraded to
// 8.1 with --prettyArrays may weigh.
const maxPage = 1_000_000

// fitScript, put at the end of a copy of the page, measures the layout once
// the page's own script has run, first as the page opens (long diffs and
// the re-printed files collapsed), then with every <details> open, and
// writes what it found to <body data-fit>, for --dump-dom:
//
//   - scrollWidth and clientWidth of the document: the page scrolls
//     sideways when the first is larger;
//   - overflow: the elements whose box reaches past the right edge of the
//     content of the block that holds them (a table past its card, a cell
//     past its column), except inside a box that scrolls on its own (a
//     diff's <pre>);
//   - midWord: the line breaks between two letters or two digits that are
//     not at a <wbr> mark ("URLENCOD⏎ED_PEM", "ProfileA⏎ttribute"; a break
//     where a lowercase letter meets a capital is not mid-word), except in
//     blobs, which have no better place: runs of 24 or more letters and
//     digits, a tenth of them digits (base64, hexadecimal) or without a
//     camelCase hump (a long lowercase name) (blobBreaks);
//   - wbrBreaks: the lines that wrap at a <wbr> mark;
//   - openDiffLines: the lines of the longest diff shown.
//
// It closes again what it opened, so that a screenshot taken in the same
// load shows the page as it opens.
const fitScript = `<script>
(function () {
  "use strict";
  var word = /[\p{L}\p{N}]/u;
  // Shown: a closed <details> keeps boxes for what it hides (Chromium
  // gives it content-visibility: hidden), so getClientRects is not enough.
  function shown(el) { return el.getClientRects().length > 0 && el.checkVisibility(); }
  function name(el) {
    var s = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "");
    var c = el.parentElement && el.parentElement.closest("[data-rule],[data-file],section[id]");
    if (c) { s += " in " + c.tagName.toLowerCase() + (c.id ? "#" + c.id : "") + (c.dataset.file ? " " + c.dataset.file : c.dataset.rule ? " " + c.dataset.rule : ""); }
    return s;
  }
  function overflow(el, limit, out) {
    for (var c = el.firstElementChild; c; c = c.nextElementSibling) {
      if (!shown(c)) { continue; }
      var r = c.getBoundingClientRect(), st = getComputedStyle(c);
      if (r.right > limit + 1) {
        // What it holds sticks out with it: name the outermost only.
        if (out.length < 20) { out.push(name(c) + ": right edge " + Math.round(r.right) + " > " + Math.round(limit)); }
        continue;
      }
      if (st.overflowX !== "visible") { continue; }
      var inner = limit;
      if (st.display !== "inline" && st.display !== "contents") {
        inner = Math.min(limit, r.right - parseFloat(st.borderRightWidth) - parseFloat(st.paddingRight));
      }
      overflow(c, inner, out);
    }
  }
  // run is the letters and digits around text[i] of n, across the <wbr>
  // marks of the same token.
  function run(n, i) {
    var left = n.data.slice(0, i), right = n.data.slice(i), s;
    for (s = n.previousSibling; s && (s.nodeType === 3 || s.nodeName === "WBR"); s = s.previousSibling) { if (s.nodeType === 3) { left = s.data + left; } }
    for (s = n.nextSibling; s && (s.nodeType === 3 || s.nodeName === "WBR"); s = s.nextSibling) { if (s.nodeType === 3) { right += s.data; } }
    var a = left.length, b = 0;
    while (a > 0 && word.test(left[a - 1])) { a--; }
    while (b < right.length && word.test(right[b])) { b++; }
    return left.slice(a) + right.slice(0, b);
  }
  // A blob has no better place to wrap: 24 or more letters and digits, a
  // tenth of them digits (base64, hexadecimal) or without a camelCase hump
  // (a long lowercase name).
  function blob(s) {
    return s.length >= 24 && ((s.match(/\p{N}/gu) || []).length * 10 >= s.length || !/\p{Ll}\p{Lu}/u.test(s));
  }
  // Mid-word: between two letters or two digits, except where a lowercase
  // letter meets a capital (camel|Case).
  function midWord(a, b) {
    var la = /\p{L}/u.test(a), lb = /\p{L}/u.test(b), da = /\p{N}/u.test(a), db = /\p{N}/u.test(b);
    return (la && lb && !(/\p{Ll}/u.test(a) && /\p{Lu}/u.test(b))) || (da && db);
  }
  function breaks(f) {
    var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), range = document.createRange();
    for (var n = walk.nextNode(); n; n = walk.nextNode()) {
      var text = n.data, p = n.parentElement;
      if (text.length < 2 || !p || p.closest("pre, script, style") || !shown(p)) { continue; }
      range.selectNodeContents(n);
      if (range.getClientRects().length < 2) { continue; }
      var prev = null;
      for (var i = 0; i < text.length; i++) {
        range.setStart(n, i); range.setEnd(n, i + 1);
        var rr = range.getClientRects();
        if (!rr.length) { continue; }
        var top = rr[0].top;
        if (prev !== null && top > prev + 1 && midWord(text[i - 1], text[i])) {
          if (blob(run(n, i))) { f.blobBreaks++; }
          else if (f.midWord.length < 20) { f.midWord.push(name(p) + ": " + text.slice(Math.max(0, i - 24), i) + "\u23ce" + text.slice(i, i + 24)); }
        }
        prev = top;
      }
    }
    document.querySelectorAll("wbr").forEach(function (w) {
      var a = w.previousSibling, b = w.nextSibling;
      if (!a || !b || a.nodeType !== 3 || b.nodeType !== 3 || !a.data.length || !b.data.length || !shown(w.parentElement)) { return; }
      range.setStart(a, a.data.length - 1); range.setEnd(a, a.data.length);
      var ra = range.getClientRects();
      range.setStart(b, 0); range.setEnd(b, 1);
      var rb = range.getClientRects();
      if (ra.length && rb.length && rb[0].top > ra[0].top + 1) { f.wbrBreaks++; }
    });
  }
  function measure() {
    var d = document.documentElement;
    var f = { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, overflow: [], midWord: [], blobBreaks: 0, wbrBreaks: 0, openDiffLines: 0 };
    overflow(document.body, d.clientWidth, f.overflow);
    breaks(f);
    document.querySelectorAll("pre.diff").forEach(function (p) {
      if (shown(p)) { f.openDiffLines = Math.max(f.openDiffLines, (p.textContent.match(/\n/g) || []).length); }
    });
    return f;
  }
  var closed = measure(), details = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
  details.forEach(function (d) { d.open = true; });
  var open = measure();
  details.forEach(function (d) { d.open = false; });
  document.body.setAttribute("data-fit", JSON.stringify({ closed: closed, open: open }));
}());
</script>
`

// fit is what fitScript found in one state of the page.
type fit struct {
	ScrollWidth, ClientWidth int
	Overflow, MidWord        []string
	BlobBreaks, WbrBreaks    int
	OpenDiffLines            int
}

var dataFit = regexp.MustCompile(`\bdata-fit="([^"]*)"`)

// widths are the windows the page must fit, as tall as the screenshots.
var widths = []struct{ w, h int }{{1280, 2000}, {1920, 1300}}

// measureFit loads a copy of the page with fitScript at each width, and
// keeps a screenshot of each load as shots[width] in shotDir. after, when
// set, is HTML put after fitScript: what it changes shows in the
// screenshots, not in the measurements.
func measureFit(t *testing.T, bin, pagePath, after, shotDir string, shots map[int]string) map[int]struct{ Closed, Open fit } {
	t.Helper()
	src, err := os.ReadFile(pagePath)
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.LastIndex(src, []byte("</body>"))
	if end < 0 {
		t.Fatalf("%s has no </body>", pagePath)
	}
	measured, err := filepath.Abs(filepath.Join(filepath.Dir(pagePath), "fit.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(measured, bytes.Join([][]byte{src[:end], []byte(fitScript + after), src[end:]}, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(measured)}).String()

	var mu sync.Mutex
	out := map[int]struct{ Closed, Open fit }{}
	var wg sync.WaitGroup
	for _, w := range widths {
		wg.Go(func() {
			shot := filepath.Join(shotDir, shots[w.w])
			dom, err := browse(t, bin, page, fmt.Sprintf("--window-size=%d,%d", w.w, w.h), "--dump-dom", "--screenshot="+shot)
			if err != nil {
				t.Error(err)
				return
			}
			m := dataFit.FindSubmatch(dom)
			if m == nil {
				t.Errorf("%d px: the measuring script wrote nothing (no data-fit on <body>)", w.w)
				return
			}
			var f struct{ Closed, Open fit }
			if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &f); err != nil {
				t.Errorf("%d px: %v", w.w, err)
				return
			}
			mu.Lock()
			out[w.w] = f
			mu.Unlock()
			png, err := os.ReadFile(shot)
			if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
				t.Errorf("no screenshot at %s: %v", shot, err)
				return
			}
			t.Logf("screenshot: %s (%d bytes)", shot, len(png))
		})
	}
	wg.Wait()
	return out
}

// checkFit fails the test for each way the page does not fit, and logs the
// measurements.
func checkFit(t *testing.T, got map[int]struct{ Closed, Open fit }) {
	t.Helper()
	for _, w := range widths {
		f, ok := got[w.w]
		if !ok {
			continue
		}
		for _, s := range []struct {
			state string
			fit
		}{{"as it opens", f.Closed}, {"with every <details> open", f.Open}} {
			t.Logf("%d px, %s: scrollWidth %d, clientWidth %d; %d lines wrap at <wbr>, %d in blobs; the longest diff shown has %d lines",
				w.w, s.state, s.ScrollWidth, s.ClientWidth, s.WbrBreaks, s.BlobBreaks, s.OpenDiffLines)
			if s.ClientWidth != w.w {
				t.Errorf("%d px, %s: the window is %d px wide, want %d (--window-size not honoured?)", w.w, s.state, s.ClientWidth, w.w)
			}
			if s.ScrollWidth > s.ClientWidth {
				t.Errorf("%d px, %s: the page scrolls sideways: scrollWidth %d > clientWidth %d", w.w, s.state, s.ScrollWidth, s.ClientWidth)
			}
			for _, o := range s.Overflow {
				t.Errorf("%d px, %s: sticks out: %s", w.w, s.state, o)
			}
			for _, m := range s.MidWord {
				t.Errorf("%d px, %s: a line breaks mid-word: %s", w.w, s.state, m)
			}
		}
		if f.Closed.OpenDiffLines > report.DiffOpenLines {
			t.Errorf("%d px: a diff of %d lines is shown open, want at most %d", w.w, f.Closed.OpenDiffLines, report.DiffOpenLines)
		}
	}
}

// shotDir is where the screenshots go: $AMUPGRADE_SCREENSHOT (a folder,
// relative to internal/report) when set, else a temporary folder.
func shotDir(t *testing.T) string {
	dir := os.Getenv("AMUPGRADE_SCREENSHOT")
	if dir == "" {
		return t.TempDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserFits measures in headless Chromium, at 1280 and 1920 px, that
// the HTML report fits its window: nothing makes the page scroll sideways
// or sticks out of its box, no line breaks mid-word, long diffs are
// collapsed; as the page opens and with every <details> open. It does so
// for the report of the real 7.5.0 tree upgraded to 8.1 with --prettyArrays
// as the command line writes it, which must weigh less than maxPage bytes,
// and for a synthetic upgrade whose values, pointers and paths are very
// long (testdata/long-values.txtar). It keeps a screenshot of each at each
// width: report-screenshot.png and report-1920.png (the top of the real
// report), report-long-values.png and report-long-values-1920.png (the
// changes of the synthetic one), in $AMUPGRADE_SCREENSHOT when set. It
// does not run in parallel with TestBrowser: on a small machine, many
// browsers at once take longer than one after the other.
func TestBrowserFits(t *testing.T) {
	bin := chromium(t)
	shots := shotDir(t)

	t.Run("long-values", func(t *testing.T) {
		// From the tree's folder, so that the page names the input and the
		// step as a user would: services, rules.
		tree := upgradetest.TxtarTree(t, filepath.Join("testdata", "long-values.txtar"))
		t.Chdir(tree)
		amupgrade(t, "-i", "services", "-o", "out", "--fileBasedMode", "--report", "report.html", "rules.yaml")
		// The pictures show the changes: the summary and the checklist,
		// which hold no long value, are left out of them once measured.
		got := measureFit(t, bin, filepath.Join(tree, "report.html"), "<style>#summary, #checklist { display: none; }</style>", shots,
			map[int]string{1280: "report-long-values.png", 1920: "report-long-values-1920.png"})
		checkFit(t, got)
		// The long values did wrap, at the marks: else the page fits
		// because nothing was long.
		if f := got[1280]; f.Closed.WbrBreaks == 0 || f.Closed.BlobBreaks == 0 {
			t.Errorf("1280 px: %d lines wrap at <wbr>, %d in blobs; want some of both (does the page still hold the long values?)", f.Closed.WbrBreaks, f.Closed.BlobBreaks)
		}
	})

	t.Run("fbc-7.5.0-prettyArrays", func(t *testing.T) {
		in, err := filepath.Abs(realTree(t, "fbc-7.5.0-darkedges/services"))
		if err != nil {
			t.Fatal(err)
		}
		// As a user would run it, from the folder above services/ (here a
		// link to the tree), so that the page names services and out.
		dir := t.TempDir()
		t.Chdir(dir)
		if err := os.Symlink(in, "services"); err != nil {
			t.Fatal(err)
		}
		page := filepath.Join(dir, "r.html")
		args := amupgrade(t, "-i", "services", "-o", "out", "--fileBasedMode", "--prettyArrays", "--to", "8.1.0", "--report", "r.html")
		st, err := os.Stat(page)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("amupgrade %s: %d bytes", args, st.Size())
		if st.Size() >= maxPage {
			t.Errorf("the page weighs %d bytes, want less than %d", st.Size(), maxPage)
		}
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(src, []byte(`<details class="rest">`)) {
			t.Error("no long diff is collapsed (no <details class=\"rest\">): the 7.5.0 tree with --prettyArrays has diffs of hundreds of lines")
		}
		checkFit(t, measureFit(t, bin, page, "", shots, map[int]string{1280: "report-screenshot.png", 1920: "report-1920.png"}))
	})
}

// amupgrade runs the command line and fails the test unless it exits 0; it
// returns the arguments, for messages.
func amupgrade(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := (&cli.CLI{Stdout: &stdout, Stderr: &stderr}).Run(context.Background(), append([]string{"amupgrade"}, args...)); code != cli.ExitOK {
		t.Fatalf("amupgrade %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return strings.Join(args, " ")
}
