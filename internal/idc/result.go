package idc

// Status is the outcome of one preflight check.
type Status string

const (
	Pass   Status = "pass"   // the precondition holds; Evidence says how it was seen
	Fail   Status = "fail"   // it does not; Todo says what to do
	Manual Status = "manual" // files cannot tell; Todo says what to check by hand
)

// Result is one check of the preflight.
type Result struct {
	ID       string   `json:"id"`    // stable, for scripts: keystores.old, tls.host, …
	Title    string   `json:"title"` // what is checked, in a few words
	Status   Status   `json:"status"`
	Evidence []string `json:"evidence,omitempty"` // what was read and found
	Todo     string   `json:"todo,omitempty"`     // what to do (fail) or check (manual)
}

// Report is the whole preflight.
type Report struct {
	Old         string   `json:"old"`
	New         string   `json:"new"`
	InstanceURL string   `json:"instanceUrl,omitempty"`
	Results     []Result `json:"checks"`
}

// Count is the number of results with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, x := range r.Results {
		if x.Status == s {
			n++
		}
	}
	return n
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return r.Count(Fail) > 0 }
