package fakegithub

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

// DefaultBranch is the branch the contents endpoint reads when the request names no ref.
const DefaultBranch = "main"

// base64LineLength is where GitHub wraps the base64 content of a file: every 60 characters,
// with a final newline.
const base64LineLength = 60

type contentKey struct {
	repo string
	ref  string
	path string
}

// SetFile makes path (e.g. "OWNERS" or "docs/README.md") hold content in org/repo at ref, a
// branch, tag or SHA; the emulator has no commits, so refs are plain names. Files are served
// by GET /repos/{org}/{repo}/contents/{path}?ref=<ref>.
func (s *Server) SetFile(org, repo, ref, filePath string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.contents == nil {
		s.contents = map[contentKey][]byte{}
	}
	s.contents[contentKey{repo: repoKey(org, repo), ref: ref, path: strings.Trim(filePath, "/")}] = slices.Clone(content)
}

// getContents handles GET /repos/{org}/{repo}/contents/{path}: a file as GitHub sends it
// (base64, wrapped), or a directory as the list of its entries. An unknown ref answers 404
// "No commit found for the ref", an unknown path 404 "Not Found", as on GitHub.
func (s *Server) getContents(w http.ResponseWriter, r *http.Request) {
	org, repo := r.PathValue("org"), r.PathValue("repo")
	filePath := strings.Trim(r.PathValue("path"), "/")
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = DefaultBranch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rk := repoKey(org, repo)
	if content, ok := s.contents[contentKey{repo: rk, ref: ref, path: filePath}]; ok {
		entry := s.contentEntry(org, repo, ref, filePath, "file", content)
		encoded := wrapBase64(base64.StdEncoding.EncodeToString(content))
		entry.Encoding = gogithub.Ptr("base64")
		entry.Content = gogithub.Ptr(encoded)
		writeJSON(w, http.StatusOK, entry)
		return
	}

	refKnown := false
	children := map[string]*gogithub.RepositoryContent{}
	for key, content := range s.contents {
		if key.repo != rk || key.ref != ref {
			continue
		}
		refKnown = true
		rest, under := strings.CutPrefix(key.path, filePath+"/")
		if filePath == "" {
			rest, under = key.path, true
		}
		if !under {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		child := path.Join(filePath, name)
		if isDir {
			children[name] = s.contentEntry(org, repo, ref, child, "dir", nil)
		} else {
			children[name] = s.contentEntry(org, repo, ref, child, "file", content)
		}
	}
	switch {
	case !refKnown:
		writeError(w, http.StatusNotFound, "No commit found for the ref "+ref, "https://docs.github.com/rest/repos/contents#get-repository-content")
	case len(children) == 0:
		writeNotFound(w)
	default:
		names := make([]string, 0, len(children))
		for name := range children {
			names = append(names, name)
		}
		slices.Sort(names)
		entries := make([]*gogithub.RepositoryContent, 0, len(names))
		for _, name := range names {
			entries = append(entries, children[name])
		}
		writeJSON(w, http.StatusOK, entries)
	}
}

// contentEntry is the metadata GitHub sends for a file or directory; the sha of a file is its
// git blob id.
func (s *Server) contentEntry(org, repo, ref, filePath, kind string, content []byte) *gogithub.RepositoryContent {
	e := &gogithub.RepositoryContent{
		Type:    gogithub.Ptr(kind),
		Name:    gogithub.Ptr(path.Base(filePath)),
		Path:    gogithub.Ptr(filePath),
		Size:    gogithub.Ptr(len(content)),
		URL:     gogithub.Ptr(s.apiURL("repos/%s/%s/contents/%s?ref=%s", org, repo, filePath, ref)),
		HTMLURL: gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/%s/%s/%s", org, repo, map[string]string{"file": "blob", "dir": "tree"}[kind], ref, filePath)),
	}
	if kind == "file" {
		sum := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(content))), content...))
		e.SHA = gogithub.Ptr(hex.EncodeToString(sum[:]))
		e.DownloadURL = gogithub.Ptr(fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s/%s", org, repo, ref, filePath))
	}
	return e
}

// wrapBase64 breaks s into lines of base64LineLength characters, each ending in a newline.
func wrapBase64(s string) string {
	var b strings.Builder
	for len(s) > base64LineLength {
		b.WriteString(s[:base64LineLength])
		b.WriteByte('\n')
		s = s[base64LineLength:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}
