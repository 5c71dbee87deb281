package cron

import (
	"strings"
	"testing"
)

// TestParseSyntax checks the syntax Parse accepts and the errors it gives for the rest, which
// checkconfig prints for a periodic's cron:.
func TestParseSyntax(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string // "" for valid
	}{
		{spec: "0 3 * * *"},
		{spec: "*/15 * * * *"},
		{spec: "0 0-23/2 1,15 * MON-FRI"},
		{spec: "30 4 1 jan,jul ?"},
		{spec: "0 0 * * 0"},
		{spec: "5 0 3 * * *"}, // with seconds, as Prow accepts
		{spec: "@daily"},
		{spec: "@every 90m"},
		{spec: "", wantErr: "empty cron expression"},
		{spec: "* * * *", wantErr: "has 4 fields"},
		{spec: "* * * * * * *", wantErr: "has 7 fields"},
		{spec: "60 * * * *", wantErr: "minute field: 60 is out of range [0, 59]"},
		{spec: "* 24 * * *", wantErr: "hour field: 24 is out of range"},
		{spec: "* * 0 * *", wantErr: "day of month field: 0 is out of range [1, 31]"},
		{spec: "* * * 13 *", wantErr: "month field: 13 is out of range"},
		{spec: "* * * * 7", wantErr: "day of week field: 7 is out of range [0, 6]"},
		{spec: "* * * * FUN", wantErr: `day of week field: "FUN" is not a number`},
		{spec: "*/0 * * * *", wantErr: `step "0" must be a positive number`},
		{spec: "5-1 * * * *", wantErr: `range "5-1" runs backwards`},
		{spec: "1,,2 * * * *", wantErr: `"" is not a number`},
		{spec: "@sometimes", wantErr: "unknown descriptor"},
		{spec: "@every soon", wantErr: "invalid duration"},
		{spec: "@every -1h", wantErr: "duration must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := Parse(tc.spec)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Parse(%q) = %v, want nil", tc.spec, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Parse(%q) = %v, want an error containing %q", tc.spec, err, tc.wantErr)
			}
		})
	}
}
