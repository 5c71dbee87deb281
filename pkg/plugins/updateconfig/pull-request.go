package updateconfig

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// labels are put on the ConfigMaps the plugin creates.
var labels = map[string]string{
	"app.kubernetes.io/name":      "bosun",
	"app.kubernetes.io/component": PluginName,
}

// configMapID names one ConfigMap of the hook's cluster.
type configMapID struct {
	namespace, name string
}

// keyUpdate is what a merged pull request does to one key of a ConfigMap: set it from file,
// or delete it when file is empty.
type keyUpdate struct {
	file string
	gzip bool
}

// plan is the key updates of every ConfigMap a pull request touches.
type plan map[configMapID]map[string]keyUpdate

// handle updates the ConfigMaps of targets from the files a merged pull request changed, as
// they are at its merge commit, then comments once with what changed. Every ConfigMap is
// computed whole before it is written, and written only if it changed, so a redelivered
// event writes nothing twice; a failure of GitHub or the apiserver returns an error before
// the comment, so the redelivery finishes the work and says what it was.
func handle(ctx context.Context, gh githubClient, configMaps func(namespace string) plugins.ConfigMapClient, defaultNamespace string, targets []plugins.ConfigMapTarget, log *zap.SugaredLogger, e *gogithub.PullRequestEvent) error {
	pr := e.GetPullRequest()
	// Prow acts on merges into the default branch only: that is the branch the cluster's
	// configuration is taken from.
	if e.GetAction() != "closed" || !pr.GetMerged() || pr.GetMergeCommitSHA() == "" || len(targets) == 0 ||
		pr.GetBase().GetRef() != pr.GetBase().GetRepo().GetDefaultBranch() {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number, sha := pr.GetNumber(), pr.GetMergeCommitSHA()
	reply := func(lines ...string) error {
		return gh.CreateComment(ctx, org, repo, number, plugins.Reply(pr.GetUser().GetLogin(), lines...))
	}

	changes, err := gh.ListPullRequestFileChanges(ctx, org, repo, number)
	if err != nil {
		return err
	}
	p := planUpdates(targets, changes, defaultNamespace)
	if len(p) == 0 {
		return nil
	}
	log = log.With("merge-sha", sha)
	if total := pr.GetChangedFiles(); len(changes) < total {
		log.Warnw("Not updating ConfigMaps: GitHub does not list every file", "files", total, "listed", len(changes))
		return reply(fmt.Sprintf("this pull request changes %s files and GitHub lists only %s of them, so no ConfigMap was updated: "+
			"update them by hand, or with a pull request changing fewer files.", plugins.FormatCount(total), plugins.FormatCount(len(changes))))
	}
	files := p.files()
	if len(files) > MaxFilesRead {
		log.Warnw("Not updating ConfigMaps: too many files", "files", len(files))
		return reply(fmt.Sprintf("this pull request changes %s files that go in ConfigMaps, more than the %d config-updater reads for one pull request, "+
			"so no ConfigMap was updated: update them by hand, or with pull requests changing fewer files.", plugins.FormatCount(len(files)), MaxFilesRead))
	}
	contents := map[string][]byte{}
	for _, f := range files {
		content, err := gh.GetFile(ctx, org, repo, f, sha)
		switch {
		case errors.Is(err, github.ErrFileNotFound):
			// Left out of contents: the ConfigMaps it goes in are not updated, and the
			// reply says why. Retrying would not make it appear.
			log.Warnw("A file to put in a ConfigMap is not at the merge commit", "file", f)
		case err != nil:
			return err
		default:
			contents[f] = content
		}
	}

	ids := slices.SortedFunc(maps.Keys(p), func(a, b configMapID) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
	})
	lines := make([]string, 0, len(ids))
	for _, id := range ids {
		line, err := apply(ctx, configMaps(id.namespace), id, p[id], contents, sha, log)
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	return reply(lines...)
}

// planUpdates maps each changed file to the keys it sets or deletes: a file goes to the
// first target it matches, a removed file deletes its key, and a renamed one also deletes
// the key of its old name wherever that name was mapped. Where two changes meet on one key,
// setting wins over deleting, and otherwise the later path (GitHub lists them sorted) wins.
// An empty namespace is defaultNamespace.
func planUpdates(targets []plugins.ConfigMapTarget, changes []github.FileChange, defaultNamespace string) plan {
	p := plan{}
	update := func(t plugins.ConfigMapTarget, file string, u keyUpdate) {
		key := t.KeyFor(file)
		for _, ns := range t.Namespaces {
			id := configMapID{namespace: cmp.Or(ns, defaultNamespace), name: t.NameFor(key)}
			if id.namespace == "" {
				continue
			}
			if p[id] == nil {
				p[id] = map[string]keyUpdate{}
			}
			if old, ok := p[id][key]; ok && old.file != "" && u.file == "" {
				continue
			}
			p[id][key] = u
		}
	}
	match := func(file string) (plugins.ConfigMapTarget, bool) {
		i := slices.IndexFunc(targets, func(t plugins.ConfigMapTarget) bool { return t.Matches(file) })
		if i < 0 {
			return plugins.ConfigMapTarget{}, false
		}
		return targets[i], true
	}
	for _, c := range changes {
		if c.Status == github.FileRenamed && c.PreviousFilename != "" {
			if t, ok := match(c.PreviousFilename); ok {
				update(t, c.PreviousFilename, keyUpdate{})
			}
		}
		t, ok := match(c.Filename)
		switch {
		case !ok:
		case c.Status == github.FileRemoved:
			update(t, c.Filename, keyUpdate{})
		default:
			update(t, c.Filename, keyUpdate{file: c.Filename, gzip: t.GZIP})
		}
	}
	return p
}

// files returns the files p reads, sorted.
func (p plan) files() []string {
	var files []string
	for _, updates := range p {
		for _, u := range updates {
			if u.file != "" && !slices.Contains(files, u.file) {
				files = append(files, u.file)
			}
		}
	}
	slices.Sort(files)
	return files
}

// apply makes ConfigMap id hold updates, creating it if it does not exist, and returns the
// reply's line about it. It writes nothing when the ConfigMap would not change, and refuses
// (in the line) to write one the apiserver would refuse: too big, or with an invalid key.
func apply(ctx context.Context, client plugins.ConfigMapClient, id configMapID, updates map[string]keyUpdate, contents map[string][]byte, sha string, log *zap.SugaredLogger) (string, error) {
	log = log.With("namespace", id.namespace, "configmap", id.name)
	what := fmt.Sprintf("ConfigMap `%s` in namespace `%s`", id.name, id.namespace)
	keys := slices.Sorted(maps.Keys(updates))
	for _, key := range keys {
		u := updates[key]
		if msgs := validation.IsConfigMapKey(key); len(msgs) > 0 {
			log.Warnw("Not updating a ConfigMap: invalid key", "key", key)
			return fmt.Sprintf("%s was not updated: %s (from %s) is not a valid ConfigMap key: %s.", what, plugins.Code(key), plugins.Code(u.file), strings.Join(msgs, "; ")), nil
		}
		if _, ok := contents[u.file]; u.file != "" && !ok {
			return fmt.Sprintf("%s was not updated: %s is not in the repository at %s.", what, plugins.Code(u.file), sha), nil
		}
	}

	current, err := client.Get(ctx, id.name, metav1.GetOptions{})
	exists := err == nil
	switch {
	case apierrors.IsNotFound(err):
		current = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: id.name, Namespace: id.namespace, Labels: labels}}
	case err != nil:
		return "", fmt.Errorf("failed to get ConfigMap %s/%s: %w", id.namespace, id.name, err)
	}
	cm := current.DeepCopy()
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	if cm.BinaryData == nil {
		cm.BinaryData = map[string][]byte{}
	}
	var added, updated, removed []string
	for _, key := range keys {
		u := updates[key]
		_, inData := cm.Data[key]
		_, inBinary := cm.BinaryData[key]
		had := inData || inBinary
		delete(cm.Data, key)
		delete(cm.BinaryData, key)
		if u.file == "" {
			if had {
				removed = append(removed, plugins.Code(key))
			}
			continue
		}
		value := contents[u.file]
		switch {
		case u.gzip:
			zipped, err := gzipped(value)
			if err != nil {
				return "", fmt.Errorf("failed to gzip %s for ConfigMap %s/%s: %w", u.file, id.namespace, id.name, err)
			}
			cm.BinaryData[key] = zipped
		case utf8.Valid(value):
			cm.Data[key] = string(value)
		default:
			cm.BinaryData[key] = value
		}
		if had {
			updated = append(updated, plugins.Code(key))
		} else {
			added = append(added, plugins.Code(key))
		}
	}
	if !exists && len(added) == 0 {
		return what + " does not exist, so there was nothing to remove.", nil
	}
	cm.Data[VersionKey] = sha

	if size := configMapSize(cm); size > MaxConfigMapBytes {
		log.Warnw("Not updating a ConfigMap: too big", "bytes", size)
		return fmt.Sprintf("%s was not updated: it would hold %s bytes, more than the %s a ConfigMap may hold.",
			what, plugins.FormatCount(size), plugins.FormatCount(MaxConfigMapBytes)), nil
	}
	if exists && equality.Semantic.DeepEqual(current.Data, cm.Data) && equality.Semantic.DeepEqual(current.BinaryData, cm.BinaryData) {
		return what + " was already up to date.", nil
	}
	if exists {
		_, err = client.Update(ctx, cm, metav1.UpdateOptions{})
	} else {
		_, err = client.Create(ctx, cm, metav1.CreateOptions{})
	}
	if err != nil {
		return "", fmt.Errorf("failed to write ConfigMap %s/%s: %w", id.namespace, id.name, err)
	}
	log.Infow("Updated a ConfigMap", "created", !exists, "added", len(added), "updated", len(updated), "removed", len(removed))

	var parts []string
	for _, part := range []struct {
		verb string
		keys []string
	}{{"added", added}, {"updated", updated}, {"removed", removed}} {
		if len(part.keys) > 0 {
			parts = append(parts, part.verb+" "+strings.Join(part.keys, ", "))
		}
	}
	if len(parts) == 0 {
		// Only the version key moved: the pull request's keys were already so.
		parts = append(parts, "recorded the merge commit in "+plugins.Code(VersionKey))
	}
	if !exists {
		what += " (created)"
	}
	return fmt.Sprintf("%s: %s.", what, strings.Join(parts, "; ")), nil
}

// gzipped returns b compressed.
func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(b); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// configMapSize is what the apiserver counts against a ConfigMap's limit: the bytes of its
// keys and values.
func configMapSize(cm *corev1.ConfigMap) int {
	n := 0
	for k, v := range cm.Data {
		n += len(k) + len(v)
	}
	for k, v := range cm.BinaryData {
		n += len(k) + len(v)
	}
	return n
}
