package config

import (
	"testing"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// FuzzLoadBytes feeds arbitrary bytes to the loader. It must never panic, and whatever it
// accepts must hold what the rest of bosun relies on. Seeds are in testdata/fuzz.
func FuzzLoadBytes(f *testing.F) {
	f.Add([]byte(presubmitConfig("always_run: true", "branches: [main]")))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatalf("LoadBytes() returned a config with an error")
			}
			return
		}
		// The script-injection analysis runs on every config checkconfig accepts.
		_ = c.Warnings()
		checkJob := func(j JobBase) {
			if j.Name == "" || j.Agent != prowjobsv1.TektonAgent || j.Namespace == nil || *j.Namespace == "" {
				t.Fatalf("accepted job with name %q agent %q namespace %v", j.Name, j.Agent, j.Namespace)
			}
			if rs := j.RunSpec(); rs == nil || (rs.PipelineRef == nil) == (rs.PipelineSpec == nil) {
				t.Fatalf("accepted job %q without exactly one of pipelineRef and pipelineSpec", j.Name)
			}
		}
		for _, jobs := range c.Presubmits {
			for _, p := range jobs {
				checkJob(p.JobBase)
				if p.Context == "" || p.triggerRe == nil || !p.triggerRe.MatchString(p.RerunCommand) {
					t.Fatalf("accepted presubmit %q with context %q, trigger %q, rerun_command %q", p.Name, p.Context, p.Trigger, p.RerunCommand)
				}
				if p.AlwaysRun && (p.RunIfChanged != "" || p.SkipIfOnlyChanged != "") {
					t.Fatalf("accepted presubmit %q with always_run and a change matcher", p.Name)
				}
			}
		}
		for _, jobs := range c.Postsubmits {
			for _, p := range jobs {
				checkJob(p.JobBase)
				if p.Context == "" {
					t.Fatalf("accepted postsubmit %q without context", p.Name)
				}
			}
		}
		for _, p := range c.Periodics {
			checkJob(p.JobBase)
			if (p.Cron == "") == (p.Interval == "") || (p.Interval != "" && p.IntervalDuration() <= 0) {
				t.Fatalf("accepted periodic %q with cron %q interval %q", p.Name, p.Cron, p.Interval)
			}
		}
	})
}
