package idc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Identity Connect's migration endpoint answers are not documented: the
// guide says only that configure's answer "indicates that status is
// pending", that status then reports success or a failure (such as a bad
// certificate), and later "complete". IDM's own migration service reports
// reconciliation runs, whose state is ACTIVE, SUCCESS, FAILED or CANCELED
// and whose stage ends COMPLETED_SUCCESS, COMPLETED_FAILED or
// COMPLETED_CANCELED, with progress counts that may be "?". ParseStatus
// reads all of these shapes: it collects the words under status-like keys
// anywhere in the answer (an object, an array of runs, nested results), and
// takes the worst: any failure fails, else anything running runs, else a
// completion completes. An answer with no word it knows is Unknown, which
// Migrate treats as still running, until its timeout.

// statusKeys are the keys whose string values are status words.
var statusKeys = map[string]bool{"status": true, "state": true, "stage": true, "migrationstatus": true, "result": true, "phase": true, "outcome": true}

// maxWords bounds the status words kept of one answer (an answer may list
// thousands of runs).
const maxWords = 20

// messageKeys hold a text worth showing.
var messageKeys = []string{"message", "reason", "error", "detail", "cause", "errormessage", "stagedescription"}

// ParseStatus reads a status (or configure, or migrate) answer.
func ParseStatus(body []byte) MigrationStatus {
	var st MigrationStatus
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Not JSON: a short text may still be a status word.
		text := strings.TrimSpace(string(body))
		if len(text) > 0 && len(text) <= 200 {
			if s := classify(text); s != Unknown {
				st.Words = []string{text}
				st.State = s
			}
			st.Message = text
		}
		st.Cert = mentionsCertificate(text)
		if st.State == "" {
			st.State = Unknown
		}
		return st
	}
	var states []State
	visits := 0
	var walk func(path string, v any, depth int)
	walk = func(path string, v any, depth int) {
		if visits++; depth > 8 || visits > 10000 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				lk := strings.ToLower(k)
				p := k
				if path != "" {
					p = path + "." + k
				}
				switch val := x[k].(type) {
				case string:
					if statusKeys[lk] {
						if s := classify(val); s != Unknown {
							states = append(states, s)
						}
						st.addWord(p + "=" + val)
					}
					if st.Message == "" && slices.Contains(messageKeys, lk) && val != "" {
						st.Message = val
					}
					if mentionsCertificate(val) {
						st.Cert = true
					}
				case bool:
					switch lk {
					case "complete", "completed", "done", "finished", "success":
						if val {
							states = append(states, Complete)
							st.addWord(p + "=true")
						}
					case "failed", "error":
						if val {
							states = append(states, Failed)
							st.addWord(p + "=true")
						}
					}
				default:
					if lk == "progress" && st.Progress == "" {
						st.Progress = reconProgress(val)
					}
					walk(p, val, depth+1)
				}
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e, depth+1)
			}
		case string:
			if mentionsCertificate(x) {
				st.Cert = true
			}
		}
	}
	walk("", v, 0)
	st.State = Unknown
	for _, want := range []State{Failed, Running, Complete} {
		if slices.Contains(states, want) {
			st.State = want
			break
		}
	}
	if s, ok := v.(string); ok && st.State == Unknown {
		st.State = classify(s)
		st.Words = []string{s}
	}
	return st
}

func (st *MigrationStatus) addWord(w string) {
	switch {
	case len(st.Words) < maxWords:
		st.Words = append(st.Words, w)
	case len(st.Words) == maxWords:
		st.Words = append(st.Words, "…")
	}
}

// classify reads one status word.
func classify(word string) State {
	w := strings.ToUpper(word)
	has := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(w, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("FAIL", "ERROR", "CANCEL", "ABORT", "EXCEPTION", "BAD CERTIFICATE", "BAD_CERTIFICATE"):
		return Failed
	case has("PENDING", "PROGRESS", "RUNNING", "ACTIVE", "START", "QUEUED", "WAIT", "CONFIGURING", "MIGRATING", "PROCESSING", "RECONCILING", "INITIALI", "SCHEDULED"):
		return Running
	case has("COMPLETE", "SUCCESS", "SUCCEEDED", "DONE", "FINISHED"):
		return Complete
	}
	return Unknown
}

func mentionsCertificate(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"certificate", "pkix", "sslhandshake", "certification path", "no name matching", "subject alternative name"} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// reconProgress renders IDM's recon progress object
// {source: {existing: {processed, total}}, target: {…}}.
func reconProgress(v any) string {
	p, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	var parts []string
	for _, side := range []string{"source", "target"} {
		s, _ := p[side].(map[string]any)
		e, _ := s["existing"].(map[string]any)
		if e == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %v/%v", side, e["processed"], e["total"]))
	}
	return strings.Join(parts, ", ")
}
