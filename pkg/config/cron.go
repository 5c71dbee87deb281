package config

import "github.com/bosun-ci/bosun/pkg/cron"

// validateCron checks a periodic's cron: field. The syntax and the scheduling are
// pkg/cron's; configuration only checks that the expression parses, so that what checkconfig
// accepts is what horologium can run.
func validateCron(spec string) error {
	_, err := cron.Parse(spec)
	return err
}
