package fakegithub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// conditional gives every 200 answer to a GET an ETag (a hash of the body) and, when the body
// is an object with "updated_at", a Last-Modified, and answers 304 with no body when the
// request's If-None-Match (or, without one, If-Modified-Since) says the client has it, as
// GitHub does. It buffers GET answers to hash them; other methods pass straight through.
func conditional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(buf, r)
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		if buf.status != http.StatusOK {
			w.WriteHeader(buf.status)
			_, _ = w.Write(buf.body.Bytes())
			return
		}

		h := w.Header()
		sum := sha256.Sum256(buf.body.Bytes())
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		lastModified, hasLM := updatedAt(buf.body.Bytes())
		if hasLM {
			h.Set("Last-Modified", lastModified.UTC().Format(http.TimeFormat))
		}

		if notModified(r, etag, lastModified, hasLM) {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.body.Bytes())
	})
}

// notModified evaluates the request's validators against the answer's: If-None-Match
// (weak comparison, any of a list, or "*") decides when present; otherwise If-Modified-Since
// does, to the second.
func notModified(r *http.Request, etag string, lastModified time.Time, hasLM bool) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, candidate := range strings.Split(inm, ",") {
			candidate = strings.TrimSpace(candidate)
			if candidate == "*" || strings.TrimPrefix(candidate, "W/") == strings.TrimPrefix(etag, "W/") {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && hasLM {
		since, err := http.ParseTime(ims)
		return err == nil && !lastModified.Truncate(time.Second).After(since)
	}
	return false
}

// updatedAt returns the "updated_at" of a JSON object body.
func updatedAt(body []byte) (time.Time, bool) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return time.Time{}, false
	}
	var probe struct {
		UpdatedAt *time.Time `json:"updated_at"`
	}
	if json.Unmarshal(body, &probe) != nil || probe.UpdatedAt == nil || probe.UpdatedAt.IsZero() {
		return time.Time{}, false
	}
	return *probe.UpdatedAt, true
}

// bufferedResponse holds a handler's answer until the middleware has looked at it.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if !b.wroteHeader {
		b.wroteHeader = true
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wroteHeader = true
	return b.body.Write(p)
}
