package cron

import (
	"math/rand"
	"testing"
	"time"
)

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// tue is Tuesday 2026-03-03 10:15:02 UTC.
var tue = utc(2026, time.March, 3, 10, 15, 2)

func TestScheduleNext(t *testing.T) {
	tests := []struct {
		name string
		spec string
		from time.Time
		want time.Time // zero: never
	}{
		{name: "every 5 minutes", spec: "*/5 * * * *", from: tue, want: utc(2026, 3, 3, 10, 20, 0)},
		{name: "strictly after a tick", spec: "*/5 * * * *", from: utc(2026, 3, 3, 10, 15, 0), want: utc(2026, 3, 3, 10, 20, 0)},
		{name: "just before a tick", spec: "*/5 * * * *", from: utc(2026, 3, 3, 10, 14, 59), want: utc(2026, 3, 3, 10, 15, 0)},
		{name: "sub-second before a tick", spec: "*/5 * * * *", from: utc(2026, 3, 3, 10, 14, 59).Add(999 * time.Millisecond), want: utc(2026, 3, 3, 10, 15, 0)},
		{name: "hourly at :30", spec: "30 * * * *", from: tue, want: utc(2026, 3, 3, 10, 30, 0)},
		{name: "hourly at :30 from a tick", spec: "30 * * * *", from: utc(2026, 3, 3, 10, 30, 0), want: utc(2026, 3, 3, 11, 30, 0)},
		{name: "hour rolls into the next day", spec: "30 * * * *", from: utc(2026, 3, 3, 23, 45, 0), want: utc(2026, 3, 4, 0, 30, 0)},
		{name: "weekdays from friday", spec: "0 9 * * 1-5", from: utc(2026, 3, 6, 10, 0, 0), want: utc(2026, 3, 9, 9, 0, 0)},
		{name: "weekdays by name", spec: "0 9 * * MON-FRI", from: utc(2026, 3, 6, 8, 0, 0), want: utc(2026, 3, 6, 9, 0, 0)},
		{name: "day of week names", spec: "0 12 * * MON,wed", from: tue, want: utc(2026, 3, 4, 12, 0, 0)},
		{name: "month names", spec: "0 0 1 jan,jul *", from: tue, want: utc(2026, 7, 1, 0, 0, 0)},
		{name: "question mark", spec: "0 3 ? * *", from: tue, want: utc(2026, 3, 4, 3, 0, 0)},
		{name: "range with step", spec: "0 0-23/6 * * *", from: tue, want: utc(2026, 3, 3, 12, 0, 0)},
		{name: "value with step runs to the maximum", spec: "5/15 * * * *", from: tue, want: utc(2026, 3, 3, 10, 20, 0)},
		{name: "list", spec: "0,10 7,22 * * *", from: tue, want: utc(2026, 3, 3, 22, 0, 0)},
		{name: "sunday after saturday night", spec: "0 0 * * sun", from: utc(2026, 3, 7, 23, 59, 59), want: utc(2026, 3, 8, 0, 0, 0)},
		{name: "31st skips april", spec: "0 0 31 * *", from: utc(2026, 3, 31, 0, 0, 0), want: utc(2026, 5, 31, 0, 0, 0)},
		{name: "year rollover", spec: "59 23 31 12 *", from: utc(2026, 12, 31, 23, 59, 0), want: utc(2027, 12, 31, 23, 59, 0)},
		{name: "new year", spec: "0 0 1 1 *", from: utc(2026, 12, 31, 23, 59, 59), want: utc(2027, 1, 1, 0, 0, 0)},
		{name: "feb 29 waits for a leap year", spec: "0 0 29 2 *", from: tue, want: utc(2028, 2, 29, 0, 0, 0)},
		{name: "feb 29 skips 2100", spec: "0 0 29 2 *", from: utc(2096, 3, 1, 0, 0, 0), want: utc(2104, 2, 29, 0, 0, 0)},
		{name: "feb 30 never comes", spec: "0 0 30 2 *", from: tue, want: time.Time{}},
		{name: "both day fields restricted: either matches", spec: "0 0 13 * 5", from: tue, want: utc(2026, 3, 6, 0, 0, 0)},
		{name: "both day fields restricted: the date", spec: "0 0 13 * 5", from: utc(2026, 3, 6, 0, 0, 0), want: utc(2026, 3, 13, 0, 0, 0)},
		{name: "starred day of month: both must match", spec: "0 0 */2 * 1", from: tue, want: utc(2026, 3, 9, 0, 0, 0)},
		{name: "starred day of month skips even mondays", spec: "0 0 */2 * 1", from: utc(2026, 3, 9, 0, 0, 0), want: utc(2026, 3, 23, 0, 0, 0)},
		{name: "seconds field", spec: "30 */10 * * * *", from: tue, want: utc(2026, 3, 3, 10, 20, 30)},
		{name: "seconds field every second", spec: "* * * * * *", from: tue, want: utc(2026, 3, 3, 10, 15, 3)},
		{name: "@daily", spec: "@daily", from: tue, want: utc(2026, 3, 4, 0, 0, 0)},
		{name: "@midnight", spec: "@midnight", from: tue, want: utc(2026, 3, 4, 0, 0, 0)},
		{name: "@hourly", spec: "@hourly", from: tue, want: utc(2026, 3, 3, 11, 0, 0)},
		{name: "@weekly is sunday", spec: "@weekly", from: tue, want: utc(2026, 3, 8, 0, 0, 0)},
		{name: "@monthly", spec: "@monthly", from: tue, want: utc(2026, 4, 1, 0, 0, 0)},
		{name: "@yearly", spec: "@yearly", from: tue, want: utc(2027, 1, 1, 0, 0, 0)},
		{name: "@annually", spec: "@annually", from: tue, want: utc(2027, 1, 1, 0, 0, 0)},
		{name: "@every", spec: "@every 90m", from: tue, want: tue.Add(90 * time.Minute)},
		{name: "spaces around", spec: "  0 0 * * *  ", from: tue, want: utc(2026, 3, 4, 0, 0, 0)},
		{name: "local time in, UTC out", spec: "0 0 * * *", from: tue.In(time.FixedZone("UTC+14", 14*3600)), want: utc(2026, 3, 4, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.spec)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tc.spec, err)
			}
			got := s.Next(tc.from)
			if !got.Equal(tc.want) || (!got.IsZero() && got.Location() != time.UTC) {
				t.Errorf("Next(%s) = %s, want %s", tc.from, got, tc.want)
			}
		})
	}
}

func TestScheduleLatest(t *testing.T) {
	hourly, _ := Parse("0 * * * *")
	leap, _ := Parse("0 0 29 2 *")
	never, _ := Parse("0 0 30 2 *")
	hour := Every(time.Hour)
	at := func(h, m int) time.Time { return utc(2026, 3, 3, h, m, 0) }
	tests := []struct {
		name       string
		s          Schedule
		after, now time.Time
		want       time.Time // zero: nothing due
	}{
		{name: "cron: next tick not reached", s: hourly, after: at(10, 15), now: at(10, 59), want: time.Time{}},
		{name: "cron: next tick reached", s: hourly, after: at(10, 15), now: at(11, 0), want: at(11, 0)},
		{name: "cron: after a tick", s: hourly, after: at(10, 0), now: at(10, 30), want: time.Time{}},
		{name: "cron: many missed ticks give the latest", s: hourly, after: at(10, 15), now: at(15, 37), want: at(15, 0)},
		{name: "cron: years of downtime", s: hourly, after: utc(2020, 1, 1, 0, 0, 0), now: at(15, 37), want: at(15, 0)},
		{name: "cron: now before after", s: hourly, after: at(12, 0), now: at(11, 30), want: time.Time{}},
		{name: "cron: leap days", s: leap, after: utc(2024, 2, 29, 0, 0, 0), now: utc(2031, 1, 1, 0, 0, 0), want: utc(2028, 2, 29, 0, 0, 0)},
		{name: "cron: never", s: never, after: utc(2024, 1, 1, 0, 0, 0), now: utc(2031, 1, 1, 0, 0, 0), want: time.Time{}},
		{name: "interval: not yet", s: hour, after: at(10, 0), now: at(10, 59), want: time.Time{}},
		{name: "interval: exactly due", s: hour, after: at(10, 0), now: at(11, 0), want: at(11, 0)},
		{name: "interval: ticks count from the last run", s: hour, after: at(10, 7), now: at(13, 30), want: at(13, 7)},
		{name: "interval: now before after", s: hour, after: at(12, 0), now: at(11, 0), want: time.Time{}},
		{name: "zero schedule", s: Schedule{}, after: at(10, 0), now: at(23, 0), want: time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Latest(tc.after, tc.now); !got.Equal(tc.want) {
				t.Errorf("Latest(%s, %s) = %s, want %s", tc.after, tc.now, got, tc.want)
			}
		})
	}
}

// TestScheduleLatestMatchesStepping checks the bisection in Latest against the obvious
// way: stepping through every tick with Next.
func TestScheduleLatestMatchesStepping(t *testing.T) {
	specs := []string{"*/5 * * * *", "30 * * * *", "0 9 * * 1-5", "0 0 13 * 5", "*/7 */3 * * *",
		"15 10 * * 0,6", "0 0 1,15 * *", "45 23 * * *", "0 */2 1-7 * mon", "*/20 * * * * *"}
	rng := rand.New(rand.NewSource(1))
	for _, spec := range specs {
		s, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			after := tue.Add(time.Duration(rng.Int63n(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
			now := after.Add(time.Duration(rng.Int63n(int64(3 * 24 * time.Hour))))
			var want time.Time
			for n := s.Next(after); !n.After(now); n = s.Next(n) {
				want = n
			}
			if got := s.Latest(after, now); !got.Equal(want) {
				t.Errorf("%q: Latest(%s, %s) = %s, want %s", spec, after, now, got, want)
			}
		}
	}
}

// TestParseAgreesWithValidate: Parse fails exactly when validate does, so that the field
// parser never rejects what validation let through (what checkconfig accepts, horologium
// can run).
func TestParseAgreesWithValidate(t *testing.T) {
	for _, spec := range []string{
		"0 3 * * *", "*/15 * * * *", "0 0-23/2 1,15 * MON-FRI", "30 4 1 jan,jul ?", "0 0 * * 0",
		"5 0 3 * * *", "@daily", "@every 90m", "", "* * * *", "* * * * * * *", "60 * * * *",
		"* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7", "* * * * FUN", "*/0 * * * *",
		"5-1 * * * *", "1,,2 * * * *", "@sometimes", "@every soon", "@every -1h", "@daily extra",
		"*/x * * * *", "1-2-3 * * * *", "sun * * * *",
	} {
		_, perr := Parse(spec)
		verr := validate(spec)
		if (perr == nil) != (verr == nil) {
			t.Errorf("%q: Parse error %v, validate error %v", spec, perr, verr)
		}
	}
}

// FuzzParse checks that parsing never panics, agrees with validation, and that
// Next and Latest agree on what they find.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"*/5 * * * *", "0 0 29 2 *", "5/15 0-23/2 1,15 jan-mar mon-fri", "@weekly", "@every 1h", "30 */10 * * * *"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if (err == nil) != (validate(spec) == nil) {
			t.Fatalf("%q: Parse error %v disagrees with validate", spec, err)
		}
		if err != nil {
			return
		}
		next := s.Next(tue)
		if next.IsZero() {
			return
		}
		if !next.After(tue) {
			t.Fatalf("%q: Next(%s) = %s, not after", spec, tue, next)
		}
		if got := s.Latest(tue, next); !got.Equal(next) {
			t.Fatalf("%q: Latest(%s, %s) = %s, want %s", spec, tue, next, got, next)
		}
	})
}
