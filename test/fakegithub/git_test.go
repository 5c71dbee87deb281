package fakegithub_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// TestGitTreesAndBlobs reads the files SetFile put at two commits through bosun's client:
// trees by commit and by subtree id, recursively, and blobs by id, whose ids stay the same
// where the content did, as git's do.
func TestGitTreesAndBlobs(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	client, err := github.NewClient(github.Options{BaseURL: s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, sha := range []string{"c1", "c2"} {
		s.SetFile("acme", "widgets", sha, "README.md", []byte("hello"))
		s.SetFile("acme", "widgets", sha, ".lighthouse/jenkins-x/triggers.yaml", []byte("kind: TriggerConfig\n"))
	}
	s.SetFile("acme", "widgets", "c2", ".lighthouse/jenkins-x/pullrequest.yaml", []byte("kind: PipelineRun\n"))

	root1, truncated, err := client.GetTree(ctx, "acme", "widgets", "c1", false)
	if err != nil || truncated {
		t.Fatalf("GetTree(c1) = %v, truncated %t", err, truncated)
	}
	root2, _, err := client.GetTree(ctx, "acme", "widgets", "c2", false)
	if err != nil {
		t.Fatal(err)
	}
	byPath := func(entries []github.TreeEntry) map[string]github.TreeEntry {
		m := map[string]github.TreeEntry{}
		for _, e := range entries {
			m[e.Path] = e
		}
		return m
	}
	r1, r2 := byPath(root1), byPath(root2)
	if r1["README.md"].SHA == "" || r1["README.md"].SHA != r2["README.md"].SHA || r1["README.md"].Size != 5 {
		t.Errorf("README.md: %+v at c1, %+v at c2; want one blob id of size 5 at both", r1["README.md"], r2["README.md"])
	}
	if r1[".lighthouse"].Type != "tree" || r1[".lighthouse"].SHA == r2[".lighthouse"].SHA {
		t.Errorf(".lighthouse: %+v at c1, %+v at c2; want trees whose ids differ (c2 adds a file)", r1[".lighthouse"], r2[".lighthouse"])
	}
	sub, _, err := client.GetTree(ctx, "acme", "widgets", r2[".lighthouse"].SHA, true)
	if err != nil {
		t.Fatalf("GetTree(.lighthouse of c2, recursive): %v", err)
	}
	var paths []string
	for _, e := range sub {
		paths = append(paths, e.Type+" "+e.Path)
	}
	want := []string{"tree jenkins-x", "blob jenkins-x/pullrequest.yaml", "blob jenkins-x/triggers.yaml"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("recursive listing (-want, +got):\n%s", diff)
	}
	data, err := client.GetBlob(ctx, "acme", "widgets", byPath(sub)["jenkins-x/pullrequest.yaml"].SHA)
	if err != nil || string(data) != "kind: PipelineRun\n" {
		t.Errorf("GetBlob(pullrequest.yaml) = %q, %v", data, err)
	}
	if _, _, err := client.GetTree(ctx, "acme", "widgets", "nope", false); !errors.Is(err, github.ErrFileNotFound) {
		t.Errorf("GetTree(unknown commit) error = %v, want ErrFileNotFound", err)
	}
	if _, err := client.GetBlob(ctx, "acme", "widgets", "0000000000000000000000000000000000000000"); !errors.Is(err, github.ErrFileNotFound) {
		t.Errorf("GetBlob(unknown) error = %v, want ErrFileNotFound", err)
	}
}
