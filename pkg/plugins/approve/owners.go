package approve

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// owners is the part of an OWNERS file the plugin reads: the top-level approvers and
// reviewers lists. Other keys (options, labels, emeritus_approvers) are ignored, and neither
// OWNERS_ALIASES nor per-file filters are supported, so an alias or a filters-only file
// names no approver.
type owners struct {
	Approvers []string `json:"approvers,omitempty"`
	Reviewers []string `json:"reviewers,omitempty"`
}

// parseOwners reads OWNERS content.
func parseOwners(data []byte) (owners, error) {
	var o owners
	if err := yaml.Unmarshal(data, &o); err != nil {
		return owners{}, fmt.Errorf("invalid %s: %w", OwnersFile, err)
	}
	return o, nil
}

// isApprover reports whether login is among the approvers.
func (o owners) isApprover(login string) bool { return containsLogin(o.Approvers, login) }

// isReviewer reports whether login is among the reviewers.
func (o owners) isReviewer(login string) bool { return containsLogin(o.Reviewers, login) }

// containsLogin reports whether logins holds login; GitHub logins ignore case, and OWNERS
// files sometimes write them with an "@".
func containsLogin(logins []string, login string) bool {
	return slices.ContainsFunc(logins, func(l string) bool {
		return strings.EqualFold(strings.TrimPrefix(l, "@"), login)
	})
}
