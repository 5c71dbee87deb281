package horologium

import (
	"fmt"
	"testing"
	"time"

	"github.com/bosun-ci/bosun/pkg/config"
)

func TestSchedule(t *testing.T) {
	c, err := config.LoadBytes("config.yaml", []byte(`
periodics:
- name: nightly
  cron: "0 3 * * *"
  pipeline_run_spec: {pipelineRef: {name: nightly}}
- name: soak
  interval: 6h
  pipeline_run_spec: {pipelineRef: {name: soak}}
`))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	tue := time.Date(2026, time.March, 3, 10, 15, 2, 0, time.UTC)
	var got []string
	for _, p := range c.AllPeriodics() {
		s, err := schedule(p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		got = append(got, fmt.Sprintf("%s %s %s", p.Name, s.Interval(), s.Next(tue).Format(time.RFC3339)))
	}
	want := []string{"nightly 0s 2026-03-04T03:00:00Z", "soak 6h0m0s 2026-03-03T16:15:02Z"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("schedules = %q, want %q", got, want)
	}
	for _, p := range []config.Periodic{{}, {Cron: "@daily", Interval: "1h"}, {Interval: "soon"}, {Interval: "-1h"}, {Cron: "0 0 0 * *"}} {
		if _, err := schedule(p); err == nil {
			t.Errorf("schedule(Periodic{Cron: %q, Interval: %q}) succeeded", p.Cron, p.Interval)
		}
	}
	if s, err := schedule(config.Periodic{Interval: "90m"}); err != nil || s.Interval() != 90*time.Minute {
		t.Errorf("unvalidated interval periodic: %v, %v", s.Interval(), err)
	}
}
