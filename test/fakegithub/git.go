package fakegithub

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

// The git database endpoints serve the files SetFile put at a ref as that ref's tree: GET
// /repos/{org}/{repo}/git/trees/{sha} takes the ref (the emulator's commits are its refs)
// or a tree id from an earlier listing, with ?recursive=1 for the whole subtree, and GET
// /repos/{org}/{repo}/git/blobs/{sha} a file's git blob id. Ids are git's: a blob's is the
// SHA-1 of "blob <size>\0<content>", a tree's that of its entries, so an unchanged file or
// directory keeps its id from one ref to the next, as on GitHub.

// treeKey names a directory of a ref; dir is "" for the root.
type treeKey struct {
	repo, ref, dir string
}

// gitTreeEntry is one entry of a directory: a file's blob or a subdirectory's tree.
type gitTreeEntry struct {
	name, kind, sha string
	size            int
}

// treeLocked lists the directory dir of org/repo at ref and records its id. Callers hold
// s.mu.
func (s *Server) treeLocked(rk, ref, dir string) (string, []gitTreeEntry, bool) {
	files := map[string][]byte{}
	subdirs := map[string]bool{}
	found := false
	for key, content := range s.contents {
		if key.repo != rk || key.ref != ref {
			continue
		}
		rest, under := key.path, dir == ""
		if !under {
			rest, under = strings.CutPrefix(key.path, dir+"/")
		}
		if !under {
			continue
		}
		found = true
		if name, _, isDir := strings.Cut(rest, "/"); isDir {
			subdirs[name] = true
		} else {
			files[name] = content
		}
	}
	if !found {
		return "", nil, false
	}
	var entries []gitTreeEntry
	for name, content := range files {
		entries = append(entries, gitTreeEntry{name: name, kind: "blob", sha: blobSHA(content), size: len(content)})
	}
	for name := range subdirs {
		sub := strings.TrimPrefix(dir+"/"+name, "/")
		id, _, _ := s.treeLocked(rk, ref, sub)
		entries = append(entries, gitTreeEntry{name: name, kind: "tree", sha: id})
	}
	slices.SortFunc(entries, func(a, b gitTreeEntry) int { return strings.Compare(a.name, b.name) })
	h := sha1.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s %s %s\n", e.kind, e.sha, e.name)
	}
	id := hex.EncodeToString(h.Sum(nil))
	if s.trees == nil {
		s.trees = map[string]treeKey{}
	}
	s.trees[id] = treeKey{repo: rk, ref: ref, dir: dir}
	return id, entries, true
}

func blobSHA(content []byte) string {
	sum := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(content))), content...))
	return hex.EncodeToString(sum[:])
}

// getTree handles GET /repos/{org}/{repo}/git/trees/{sha}.
func (s *Server) getTree(w http.ResponseWriter, r *http.Request) {
	org, repo, sha := r.PathValue("org"), r.PathValue("repo"), r.PathValue("sha")
	recursive := r.URL.Query().Get("recursive") != ""
	s.mu.Lock()
	defer s.mu.Unlock()
	rk := repoKey(org, repo)
	key, ok := s.trees[sha]
	if !ok || key.repo != rk {
		key = treeKey{repo: rk, ref: sha}
	}
	id, entries, ok := s.treeLocked(key.repo, key.ref, key.dir)
	if !ok {
		writeNotFound(w)
		return
	}
	var out []*gogithub.TreeEntry
	var walk func(prefix string, dir string, entries []gitTreeEntry)
	walk = func(prefix, dir string, entries []gitTreeEntry) {
		for _, e := range entries {
			p := prefix + e.name
			entry := &gogithub.TreeEntry{Path: gogithub.Ptr(p), Type: gogithub.Ptr(e.kind), SHA: gogithub.Ptr(e.sha)}
			if e.kind == "blob" {
				entry.Mode, entry.Size = gogithub.Ptr("100644"), gogithub.Ptr(e.size)
				entry.URL = gogithub.Ptr(s.apiURL("repos/%s/%s/git/blobs/%s", org, repo, e.sha))
			} else {
				entry.Mode = gogithub.Ptr("040000")
				entry.URL = gogithub.Ptr(s.apiURL("repos/%s/%s/git/trees/%s", org, repo, e.sha))
			}
			out = append(out, entry)
			if e.kind == "tree" && recursive {
				sub := strings.TrimPrefix(dir+"/"+e.name, "/")
				_, children, _ := s.treeLocked(key.repo, key.ref, sub)
				walk(p+"/", sub, children)
			}
		}
	}
	walk("", key.dir, entries)
	writeJSON(w, http.StatusOK, &gogithub.Tree{SHA: gogithub.Ptr(id), Entries: out, Truncated: gogithub.Ptr(false)})
}

// getBlob handles GET /repos/{org}/{repo}/git/blobs/{sha}: the raw bytes when the request
// accepts application/vnd.github.raw, else GitHub's JSON with the content in base64.
func (s *Server) getBlob(w http.ResponseWriter, r *http.Request) {
	org, repo, sha := r.PathValue("org"), r.PathValue("repo"), r.PathValue("sha")
	s.mu.Lock()
	rk := repoKey(org, repo)
	var content []byte
	found := false
	for key, c := range s.contents {
		if key.repo == rk && blobSHA(c) == sha {
			content, found = c, true
			break
		}
	}
	s.mu.Unlock()
	if !found {
		writeNotFound(w)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(content)
		return
	}
	writeJSON(w, http.StatusOK, &gogithub.Blob{
		SHA:      gogithub.Ptr(sha),
		Size:     gogithub.Ptr(len(content)),
		Encoding: gogithub.Ptr("base64"),
		Content:  wrapBase64(base64.StdEncoding.EncodeToString(content)),
	})
}
