// Package cron parses the schedules of periodic jobs and computes their ticks, with the
// syntax Prow's horologium accepts: a cron expression of five fields (minute, hour, day of
// month, month, day of week) or six with a leading seconds field, a descriptor (@yearly,
// @annually, @monthly, @weekly, @daily, @midnight, @hourly) or "@every <duration>". Each
// field is a comma-separated list of "*", "?", a value or a range, each optionally followed
// by "/step"; months and days of the week may be named (jan, mon). Ticks are in UTC.
//
// Parse is the one way in for a cron expression: pkg/config calls it to validate a
// periodic's cron: field and pkg/horologium to schedule it, so what checkconfig accepts is
// what runs. Every is the fixed-interval schedule of an interval periodic. The package
// imports no other bosun package.
package cron

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronField is one field of a cron expression: its name for errors, its bounds and the
// names it accepts for values.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

// cronFields returns the standard five fields. Prow also accepts a leading seconds field,
// which validate prepends when it sees six fields.
func cronFields() []cronField {
	return []cronField{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day of month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: map[string]int{
			"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
			"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
		}},
		{name: "day of week", min: 0, max: 6, names: map[string]int{
			"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
		}},
	}
}

// validate checks a cron expression with the syntax Prow's scheduler accepts: five
// fields (minute, hour, day of month, month, day of week), an optional leading seconds
// field, or a descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly, "@every <duration>"). Each field is a comma-separated list of "*", "?", a value
// or a range, each optionally followed by "/step".
func validate(spec string) error {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return errors.New("empty cron expression")
	}
	if strings.HasPrefix(spec, "@") {
		return validateDescriptor(spec)
	}
	parts := strings.Fields(spec)
	fields := cronFields()
	switch len(parts) {
	case 5:
	case 6:
		fields = append([]cronField{{name: "second", min: 0, max: 59}}, fields...)
	default:
		return fmt.Errorf("cron expression %q has %d fields, want 5 (or 6 with seconds)", spec, len(parts))
	}
	for i, part := range parts {
		if err := fields[i].validate(part); err != nil {
			return fmt.Errorf("cron expression %q: %s field: %w", spec, fields[i].name, err)
		}
	}
	return nil
}

func validateDescriptor(spec string) error {
	switch spec {
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
		return nil
	}
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return fmt.Errorf("cron expression %q: %w", spec, err)
		}
		if dur <= 0 {
			return fmt.Errorf("cron expression %q: duration must be positive", spec)
		}
		return nil
	}
	return fmt.Errorf("cron expression %q: unknown descriptor", spec)
}

// validate checks one field: a comma-separated list of ranges.
func (f cronField) validate(field string) error {
	for _, item := range strings.Split(field, ",") {
		if err := f.validateRange(item); err != nil {
			return err
		}
	}
	return nil
}

// validateRange checks "*", "?", "a", "a-b", each optionally with "/step".
func (f cronField) validateRange(item string) error {
	rng, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return fmt.Errorf("step %q must be a positive number", step)
		}
	}
	if rng == "*" || rng == "?" {
		return nil
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	start, err := f.value(lo)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	end, err := f.value(hi)
	if err != nil {
		return err
	}
	if start > end {
		return fmt.Errorf("range %q runs backwards", rng)
	}
	return nil
}

// value parses one value, by number or by name, and checks the field's bounds.
func (f cronField) value(s string) (int, error) {
	if n, ok := f.names[strings.ToLower(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is out of range [%d, %d]", n, f.min, f.max)
	}
	return n, nil
}
