package hook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"
)

// Defaults for the memory the hook spends on payloads it has not yet authenticated.
const (
	// DefaultMaxBodyBytesInFlight bounds the bytes of all request bodies being read or
	// handled at once. A delivery that does not fit waits up to DefaultBodyWait for room,
	// then is answered 503 with a Retry-After header. GitHub's payloads are mostly a few
	// tens of kilobytes, so this holds thousands of real deliveries at once but only two of
	// the 25 MB an attacker can send.
	DefaultMaxBodyBytesInFlight = 64 << 20
	// DefaultBodyWait is how long a delivery waits for room in the body budget.
	DefaultBodyWait = time.Second
	// retryAfterSeconds is what a delivery refused for lack of room is told.
	retryAfterSeconds = "5"
)

// signaturePrefix is the one algorithm GitHub signs X-Hub-Signature-256 with. go-github's
// ValidateSignature picks the hash from the prefix, so it would take "sha1=" in this header;
// the hook checks the header itself.
const signaturePrefix = "sha256="

// errUnusableSignature is why a signature header is refused before the body is read.
var errUnusableSignature = errors.New(headerSignature + " must be " + signaturePrefix + "<64 hex digits>")

// parseSignature returns the HMAC-SHA256 digest a signature header carries.
func parseSignature(header string) ([]byte, error) {
	hexDigest, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(hexDigest) != 2*sha256.Size {
		return nil, errUnusableSignature
	}
	digest, err := hex.DecodeString(hexDigest)
	if err != nil {
		return nil, errUnusableSignature
	}
	return digest, nil
}

// validSignature reports, in constant time, whether digest is body's HMAC-SHA256 under secret.
func validSignature(digest, body, secret []byte) bool {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), digest)
}

// bodyBudget bounds the bytes of request bodies held at once, so that concurrent large
// requests, authenticated or not, cannot grow the hook's memory without bound.
type bodyBudget struct {
	sem  *semaphore.Weighted
	max  int64 // the largest body a request may have; never more than the budget
	wait time.Duration
}

func newBodyBudget(total, maxBody int64, wait time.Duration) *bodyBudget {
	if total < maxBody {
		total = maxBody
	}
	return &bodyBudget{sem: semaphore.NewWeighted(total), max: maxBody, wait: wait}
}

// errBusy means the budget had no room for a body within the wait.
var errBusy = errors.New("too many payload bytes being handled")

// errTooLarge means a body is over the size limit.
type errTooLarge struct{ max int64 }

func (e errTooLarge) Error() string { return fmt.Sprintf("payload over %d bytes", e.max) }

// read reserves room for r's body, reads it and returns it with the function that gives
// the room back, which the caller calls when it no longer holds the body or anything made
// from it. A declared length over the limit is refused without reading; a body of unknown
// length reserves the limit.
func (b *bodyBudget) read(ctx context.Context, r *http.Request) ([]byte, func(), error) {
	size := r.ContentLength
	if size > b.max {
		return nil, nil, errTooLarge{max: b.max}
	}
	reserve := size
	if size < 0 {
		reserve = b.max
	}
	waitCtx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(waitCtx, max(reserve, 1)); err != nil {
		return nil, nil, errBusy
	}
	release := func() { b.sem.Release(max(reserve, 1)) }
	body, err := readBody(r.Body, size, b.max)
	if err != nil {
		release()
		return nil, nil, err
	}
	return body, release, nil
}

// readBody reads a body of the declared size in one allocation, or one of unknown size up
// to max bytes.
func readBody(body io.Reader, size, max int64) ([]byte, error) {
	limited := http.MaxBytesReader(nil, io.NopCloser(body), max)
	if size < 0 {
		out, err := io.ReadAll(limited)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge{max: max}
		}
		return out, err
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(limited, out); err != nil {
		return nil, err
	}
	return out, nil
}
