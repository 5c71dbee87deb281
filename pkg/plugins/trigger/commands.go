package trigger

import (
	"regexp"
	"strings"

	"github.com/bosun-ci/bosun/pkg/config"
)

// The trigger's comment commands, with Prow's grammar. Match them against
// config.StripCodeAndQuotes(body), not the raw comment, as Presubmit.TriggerMatches does for
// a job's own trigger regexp.
var (
	// testAllRe matches "/test all": every presubmit that could run.
	testAllRe = regexp.MustCompile(`(?m)^/test all,?($|\s.*)`)
	// retestRe matches "/retest": failed jobs and auto-run jobs with no status yet.
	retestRe = regexp.MustCompile(`(?m)^/retest\s*$`)
	// retestRequiredRe matches "/retest-required": like /retest, non-optional jobs only.
	retestRequiredRe = regexp.MustCompile(`(?m)^/retest-required\s*$`)
	// okToTestRe matches "/ok-to-test", which a trusted user gives an untrusted PR.
	okToTestRe = regexp.MustCompile(`(?m)^/ok-to-test\s*$`)
	// testHelpRe matches a bare "/test" or "/test ?": the user asks which jobs exist.
	testHelpRe = regexp.MustCompile(`(?m)^/test(?:\s+\?)?\s*$`)
	// testOtherRe matches any "/test <something>": a job the central config may not
	// know, defined by the head's in-repo config.
	testOtherRe = regexp.MustCompile(`(?m)^/test[ \t]+[^\s?]`)
	// cancelRe matches "/cancel" and "/cancel <job>...".
	cancelRe = regexp.MustCompile(`(?m)^/cancel(?:[ \t]+(\S.*?))?\s*$`)
)

// commands are the trigger commands found in one comment.
type commands struct {
	okToTest, testAll, retest, retestRequired, testHelp bool
	cancel                                              bool
	cancelJobs                                          []string // empty: every running job
	named                                               []config.Presubmit
	// testOther is set by a /test naming something, known as a job or not.
	testOther bool
}

func (c commands) any() bool {
	return c.okToTest || c.testAll || c.retest || c.retestRequired || c.testHelp || c.cancel || len(c.named) > 0
}

// parseCommands reads the trigger commands of a comment, ignoring code blocks and quotes.
// Jobs named by /test are resolved against the repository's presubmits here, so a comment
// that asks for nothing costs no GitHub call.
func parseCommands(body string, presubmits []config.Presubmit) commands {
	text := config.StripCodeAndQuotes(body)
	c := commands{
		okToTest:       okToTestRe.MatchString(text),
		testAll:        testAllRe.MatchString(text),
		retest:         retestRe.MatchString(text),
		retestRequired: retestRequiredRe.MatchString(text),
		testHelp:       testHelpRe.MatchString(text),
		testOther:      testOtherRe.MatchString(text),
	}
	for _, m := range cancelRe.FindAllStringSubmatch(text, -1) {
		c.cancel = true
		if m[1] == "" {
			c.cancelJobs = nil
			break
		}
		c.cancelJobs = append(c.cancelJobs, strings.Fields(m[1])...)
	}
	for _, job := range presubmits {
		if job.TriggerMatches(body) {
			c.named = append(c.named, job)
		}
	}
	return c
}
