package v1

import "strconv"

// CreatedBefore reports whether a was created before b, in the one order every replica and
// every component agrees on: by creationTimestamp (the apiserver's clock, whole seconds),
// then by build id (the creator's clock in milliseconds, see the build-id label), then by
// name. Two jobs are never equal in it, since names are unique. A job without a numeric
// build id sorts first within its second.
func CreatedBefore(a, b *ProwJob) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if ia, ib := buildIDNumber(a), buildIDNumber(b); ia != ib {
		return ia < ib
	}
	return a.Name < b.Name
}

// buildIDNumber is the job's build id as a number, or 0 when it has none.
func buildIDNumber(pj *ProwJob) uint64 {
	id := pj.Labels[BuildIDLabel]
	if id == "" {
		id = pj.Status.BuildID
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0
	}
	return n
}
