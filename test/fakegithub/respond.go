package fakegithub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// docsURL is the documentation_url GitHub puts in error bodies for unknown routes.
const docsURL = "https://docs.github.com/rest"

// Page sizes GitHub uses for list endpoints when per_page is absent, and at most.
const (
	defaultPerPage = 30
	maxPerPage     = 100
)

// apiError is GitHub's JSON error body.
type apiError struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url"`
	Status           string       `json:"status"`
}

// fieldError is one entry of a 422 body's "errors".
type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// GitHub sends "<" and ">" in bodies verbatim; so must the emulator, or comment bodies
	// read back differ from what was posted.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, fmt.Sprintf("fakegithub: encoding response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, message, docs string, errs ...fieldError) {
	writeJSON(w, status, apiError{Message: message, Errors: errs, DocumentationURL: docs, Status: strconv.Itoa(status)})
}

func writeNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Not Found", docsURL)
}

func writeValidationFailed(w http.ResponseWriter, docs string, errs ...fieldError) {
	writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docs, errs...)
}

// decodeBody reads a JSON request body into v, answering 400 as GitHub does when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsURL)
		return false
	}
	return true
}

// pathNumber parses the path value name as a positive integer; GitHub answers 404 for
// anything else in an id position.
func pathNumber(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil && n > 0
}

// queryInt reads a positive integer query parameter, falling back to def for absent or
// malformed values, as GitHub does.
func queryInt(r *http.Request, name string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 1 {
		return def
	}
	return n
}

// paginate returns the page of items the request asks for and sets GitHub's Link header
// (next, last, first, prev) so clients can walk the pages.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	perPage := min(queryInt(r, "per_page", defaultPerPage), maxPerPage)
	page := queryInt(r, "page", 1)
	lastPage := max((len(items)+perPage-1)/perPage, 1)

	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page < lastPage {
		links = append(links, link(page+1, "next"), link(lastPage, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(min(page-1, lastPage), "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}

	start := (page - 1) * perPage
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+perPage, len(items))]
}

// clone deep-copies a go-github value through JSON, which is exactly the part of it that
// GitHub would transmit, so callers never share pointers with the emulator's state.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakegithub: copying %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("fakegithub: copying %T: %v", v, err))
	}
	return out
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
