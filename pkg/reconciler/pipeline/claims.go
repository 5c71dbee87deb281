package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/retry"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	prowjoblisters "github.com/bosun-ci/bosun/pkg/client/listers/prowjobs/v1"
)

// ClaimsConfigMap names the ConfigMap, in each ProwJob namespace that has jobs under a
// concurrency limit, that records which jobs hold a slot: one data key per job, its ProwJob
// name, with a JSON claim as the value. It is bosun's own bookkeeping and not meant to be
// edited; deleting it forgets the claims of jobs that are running, so limits may be exceeded
// until those finish.
const ClaimsConfigMap = "bosun-concurrency-claims"

// claimsLabel marks the claims ConfigMap as bosun's, for `kubectl get cm -l`.
const claimsLabel = "app.kubernetes.io/managed-by"

// claim is one job's entry in the claims ConfigMap.
type claim struct {
	// UID tells the job from a later one created under the same name, which must not
	// inherit its slots.
	UID types.UID `json:"uid"`
	// Limits are the limit keys the job holds a slot of ("job:<name>", "repo:<org>/<repo>").
	Limits []string `json:"limits"`
}

// claimSet maps a ProwJob name to its claim.
type claimSet map[string]claim

// holds reports whether the job name with uid holds a slot of the limit key.
func (c claimSet) holds(name string, uid types.UID, key string) bool {
	cl, ok := c[name]
	return ok && cl.UID == uid && slices.Contains(cl.Limits, key)
}

// holdsName reports whether a job of that name holds a slot of key; after pruning, names
// are unique among the informer's jobs.
func (c claimSet) holdsName(name, key string) bool {
	cl, ok := c[name]
	return ok && slices.Contains(cl.Limits, key)
}

// count returns how many jobs hold a slot of key.
func (c claimSet) count(key string) int {
	n := 0
	for _, cl := range c {
		if slices.Contains(cl.Limits, key) {
			n++
		}
	}
	return n
}

// add records that pj holds a slot of each of limits, besides those it already holds.
func (c claimSet) add(pj *prowjobsv1.ProwJob, limits []limit) {
	cl := c[pj.Name]
	if cl.UID != pj.UID {
		cl = claim{UID: pj.UID}
	}
	for _, l := range limits {
		if !slices.Contains(cl.Limits, l.key) {
			cl.Limits = append(cl.Limits, l.key)
		}
	}
	c[pj.Name] = cl
}

// decodeClaims reads the claims ConfigMap's data. An entry that does not decode is left
// out and logged: nothing but bosun writes it, so that is a hand edit, and stopping every
// limited job of the namespace over it would be worse.
func decodeClaims(ctx context.Context, data map[string]string) claimSet {
	claims := make(claimSet, len(data))
	for name, value := range data {
		var cl claim
		if err := json.Unmarshal([]byte(value), &cl); err != nil {
			logging.FromContext(ctx).Warnw("Ignoring a malformed concurrency claim", "configmap", ClaimsConfigMap, "key", name, "error", err)
			continue
		}
		claims[name] = cl
	}
	return claims
}

// encode returns the ConfigMap data for the claims.
func (c claimSet) encode() (map[string]string, error) {
	data := make(map[string]string, len(c))
	for name, cl := range c {
		b, err := json.Marshal(cl)
		if err != nil {
			return nil, fmt.Errorf("encode the claim of %s: %w", name, err)
		}
		data[name] = string(b)
	}
	return data, nil
}

// claimer takes concurrency slots for jobs, in the claims ConfigMap of their namespace.
type claimer struct {
	configMaps func(namespace string) corev1client.ConfigMapInterface
	// prowJobs confirms, from the apiserver, that a claim's job is gone before the claim is
	// dropped: the informer may not have seen a job another replica just started.
	prowJobs prowjobclientset.Interface
	lister   prowjoblisters.ProwJobLister
	active   activeJobs
}

// claim gives pj a slot of every one of limits, or returns the first limit that holds it
// back. A job that already holds its slots (a retry after a lost create, a second replica)
// gets them again at the cost of one read.
//
// The write is guarded by the ConfigMap's resource version: two claims decided on the same
// state cannot both land, and the loser decides again on the new state. Claims of jobs that
// completed or were deleted are dropped in the same write, so a crashed controller's slots
// free themselves once their jobs end.
func (c *claimer) claim(ctx context.Context, pj *prowjobsv1.ProwJob, limits []limit) (*limit, error) {
	var blocked *limit
	err := retry.OnError(retry.DefaultRetry, isClaimRace, func() error {
		blocked = nil
		configMaps := c.configMaps(pj.Namespace)
		cm, err := configMaps.Get(ctx, ClaimsConfigMap, metav1.GetOptions{})
		exists := err == nil
		switch {
		case apierrors.IsNotFound(err):
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
				Name:      ClaimsConfigMap,
				Namespace: pj.Namespace,
				Labels:    map[string]string{claimsLabel: "bosun"},
			}}
		case err != nil:
			return fmt.Errorf("get ConfigMap %s/%s: %w", pj.Namespace, ClaimsConfigMap, err)
		}
		claims := decodeClaims(ctx, cm.Data)
		if holdsAll(claims, pj, limits) {
			return nil
		}
		pruned := c.prune(ctx, pj, claims)
		blocked = blockingLimit(pj, limits, claims, func(key string) []*prowjobsv1.ProwJob { return c.active(pj.Namespace, key) })
		if blocked != nil && !pruned {
			return nil
		}
		if blocked == nil {
			claims.add(pj, limits)
		}
		if cm.Data, err = claims.encode(); err != nil {
			return err
		}
		if exists {
			_, err = configMaps.Update(ctx, cm, metav1.UpdateOptions{})
		} else {
			_, err = configMaps.Create(ctx, cm, metav1.CreateOptions{})
		}
		if err != nil {
			return fmt.Errorf("write ConfigMap %s/%s: %w", pj.Namespace, ClaimsConfigMap, err)
		}
		if blocked == nil {
			logging.FromContext(ctx).Infow("Claimed concurrency slots", "limits", claims[pj.Name].Limits)
		}
		return nil
	})
	return blocked, err
}

// isClaimRace reports whether a claims write lost to another: the read it was decided on is
// stale, and deciding again on a fresh one settles it.
func isClaimRace(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
}

// holdsAll reports whether pj already holds a slot of every one of limits.
func holdsAll(claims claimSet, pj *prowjobsv1.ProwJob, limits []limit) bool {
	for _, l := range limits {
		if !claims.holds(pj.Name, pj.UID, l.key) {
			return false
		}
	}
	return true
}

// prune drops the claims whose job is complete or gone, and reports whether it dropped
// any. pj's own claim is kept: it is the job being reconciled. A claim is kept whenever
// its job cannot be confirmed finished: a slot held a little too long delays a waiting job,
// a slot given away too early lets two jobs run in it.
func (c *claimer) prune(ctx context.Context, pj *prowjobsv1.ProwJob, claims claimSet) bool {
	pruned := false
	for name, cl := range claims {
		if name == pj.Name && cl.UID == pj.UID {
			continue
		}
		if c.finished(ctx, pj.Namespace, name, cl.UID) {
			delete(claims, name)
			pruned = true
		}
	}
	return pruned
}

// finished reports whether the job name with uid is complete or no longer exists. The
// informer answers for jobs it knows; the apiserver for those it does not (yet) have, or has
// under another UID, since informers lag and a lagging "gone" must not free a slot.
func (c *claimer) finished(ctx context.Context, namespace, name string, uid types.UID) bool {
	if pj, err := c.lister.ProwJobs(namespace).Get(name); err == nil && pj.UID == uid {
		return pj.Complete()
	}
	pj, err := c.prowJobs.ProwV1().ProwJobs(namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return true
	case err != nil:
		logging.FromContext(ctx).Debugw("Keeping a concurrency claim whose job cannot be read", "prowjob", namespace+"/"+name, "error", err)
		return false
	}
	return pj.UID != uid || pj.Complete()
}
