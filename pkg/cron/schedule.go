package cron

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// scheduleHorizon bounds the search for a cron expression's next tick. Every expression Parse
// accepts fires within it, except impossible dates such as "0 0 30 2 *", whose
// Next is the zero time. February 29 comes at least every 8 years (2096, then 2104).
const scheduleHorizon = 50 // years

// Schedule says when a periodic runs. It is either a calendar (a cron expression, with its
// ticks at fixed times in UTC) or a fixed interval (an interval job, or the "@every <dur>"
// cron descriptor), whose ticks are counted from the previous run.
// The zero Schedule never ticks.
type Schedule struct {
	every time.Duration
	cron  *cronSpec
}

// cronSpec is a parsed cron expression: the values each field allows, as bit sets indexed
// by value (bit 0 is second 0, bit 1 is January, and so on).
type cronSpec struct {
	second, minute, hour, dom, month, dow uint64
	// domAny and dowAny record that the field starts with "*" or "?". As in Vixie cron, a
	// day must match both day fields when either is a wildcard, and either of them when
	// both are restricted: "0 0 1,15 * mon" runs on the 1st, the 15th and every Monday.
	domAny, dowAny bool
}

// cronDescriptors are the "@" shorthands with their five-field equivalents.
var cronDescriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Parse parses a cron expression in the syntax of the package doc: five fields, six with a
// leading seconds field, or a descriptor. Times are UTC, as in Prow. An error names the
// expression, the field that is wrong and why; pkg/config reports it for a periodic's cron:.
func Parse(spec string) (Schedule, error) {
	if err := validate(spec); err != nil {
		return Schedule{}, err
	}
	spec = strings.TrimSpace(spec)
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		dur, _ := time.ParseDuration(strings.TrimSpace(d)) // validated above
		return Every(dur), nil
	}
	if fields, ok := cronDescriptors[spec]; ok {
		spec = fields
	}
	parts := strings.Fields(spec)
	if len(parts) == 5 {
		parts = append([]string{"0"}, parts...)
	}
	fields := append([]cronField{{name: "second", min: 0, max: 59}}, cronFields()...)
	sets := make([]uint64, len(fields))
	for i, part := range parts {
		set, err := fields[i].parse(part)
		if err != nil { // cannot happen after validate; kept so a drift fails loudly
			return Schedule{}, fmt.Errorf("cron expression %q: %s field: %w", spec, fields[i].name, err)
		}
		sets[i] = set
	}
	return Schedule{cron: &cronSpec{
		second: sets[0], minute: sets[1], hour: sets[2], dom: sets[3], month: sets[4], dow: sets[5],
		domAny: isWildcard(parts[3]), dowAny: isWildcard(parts[5]),
	}}, nil
}

// Every returns a fixed-interval schedule, that of an interval periodic: every d after the
// previous run.
func Every(d time.Duration) Schedule { return Schedule{every: d} }

// Interval returns the fixed interval of an interval or "@every" schedule, and 0 for a
// calendar one.
func (s Schedule) Interval() time.Duration { return s.every }

// Next returns the first tick strictly after t, in UTC. For an interval schedule that is
// t plus the interval. For a calendar schedule that never fires (February 30) it is the
// zero time.
func (s Schedule) Next(t time.Time) time.Time {
	switch {
	case s.every > 0:
		return t.UTC().Add(s.every)
	case s.cron != nil:
		return s.cron.next(t)
	default:
		return time.Time{}
	}
}

// Latest returns the latest tick in (after, now], or the zero time if there is none: the
// one run that is due at now when the previous run was at after, however many ticks were
// missed in between. An interval schedule's ticks are after plus whole intervals.
func (s Schedule) Latest(after, now time.Time) time.Time {
	after, now = after.UTC(), now.UTC()
	switch {
	case s.every > 0:
		n := now.Sub(after) / s.every
		if n < 1 {
			return time.Time{}
		}
		return after.Add(n * s.every)
	case s.cron != nil:
		return s.cron.latest(after, now)
	default:
		return time.Time{}
	}
}

// latest finds the latest tick in (after, now] by bisection on Next, which does not
// decrease as its argument grows: it keeps lo with Next(lo) <= now and hi with
// Next(hi) > now until they are less than a second apart. Ticks fall on whole seconds, so
// no tick lies between Next(lo) and hi, and Next(lo) is the answer. This costs about 30
// calls to Next even after years of downtime.
func (c *cronSpec) latest(after, now time.Time) time.Time {
	due := func(t time.Time) bool {
		n := c.next(t)
		return !n.IsZero() && !n.After(now)
	}
	if !due(after) {
		return time.Time{}
	}
	lo, hi := after, now // due(lo); !due(hi), since Next(now) > now
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if due(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return c.next(lo)
}

// next returns the first tick strictly after t, or the zero time if there is none within
// scheduleHorizon years. It walks from the largest field down: when a field's value is not
// allowed it jumps to the field's next allowed value, or rolls over into the next value of
// the enclosing field, with every smaller field reset to its start.
func (c *cronSpec) next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second).Add(time.Second)
	end := t.AddDate(scheduleHorizon, 0, 0)
	date := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	for t.Before(end) {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		if v, ok := nextIn(c.month, int(mo), 12); !ok {
			t = date(y+1, time.January, 1, 0, 0, 0)
			continue
		} else if v != int(mo) {
			t = date(y, time.Month(v), 1, 0, 0, 0)
			continue
		}
		if !c.dayMatches(t) {
			t = date(y, mo, d+1, 0, 0, 0)
			continue
		}
		if v, ok := nextIn(c.hour, h, 23); !ok {
			t = date(y, mo, d+1, 0, 0, 0)
			continue
		} else if v != h {
			t = date(y, mo, d, v, 0, 0)
			continue
		}
		if v, ok := nextIn(c.minute, mi, 59); !ok {
			t = date(y, mo, d, h+1, 0, 0)
			continue
		} else if v != mi {
			t = date(y, mo, d, h, v, 0)
			continue
		}
		if v, ok := nextIn(c.second, s, 59); !ok {
			t = date(y, mo, d, h, mi+1, 0)
			continue
		} else if v != s {
			t = date(y, mo, d, h, mi, v)
			continue
		}
		return t
	}
	return time.Time{}
}

// dayMatches applies the two day fields to t's date.
func (c *cronSpec) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domAny || c.dowAny {
		return dom && dow
	}
	return dom || dow
}

// nextIn returns the smallest value >= from in set that is <= max.
func nextIn(set uint64, from, max int) (int, bool) {
	rest := set >> uint(from) << uint(from)
	if rest == 0 {
		return 0, false
	}
	v := bits.TrailingZeros64(rest)
	return v, v <= max
}

// isWildcard reports whether a day field counts as "any day" for dayMatches.
func isWildcard(field string) bool {
	return strings.HasPrefix(field, "*") || strings.HasPrefix(field, "?")
}

// parse turns one validated field into the set of values it allows: a comma-separated list
// of "*", "?", "a" or "a-b", each optionally with "/step". As in Prow's scheduler, "a/step"
// runs from a to the field's maximum.
func (f cronField) parse(field string) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(field, ",") {
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("step %q must be a positive number", stepStr)
			}
			step = n
		}
		lo, hi := f.min, f.max
		if rng != "*" && rng != "?" {
			first, last, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(first); err != nil {
				return 0, err
			}
			switch {
			case isRange:
				if hi, err = f.value(last); err != nil {
					return 0, err
				}
			case !hasStep:
				hi = lo
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}
