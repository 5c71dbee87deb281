// Package webhook sends GitHub webhook deliveries the way GitHub does (signed, with GitHub's
// headers) and loads the realistic payloads kept under test/testdata/webhooks, so hook tests
// and end-to-end tests drive bosun with what GitHub would actually send.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
)

// userAgent is what GitHub's delivery service sends; the suffix is a build id that changes
// over time, so receivers must not depend on it.
const userAgent = "GitHub-Hookshot/8c1f2a9"

// Sign returns the X-Hub-Signature-256 value GitHub computes for body: "sha256=" followed by
// the hex HMAC-SHA256 of body keyed with secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send POSTs body to url as a delivery of eventType (the X-GitHub-Event value, e.g.
// "pull_request") with id deliveryID. As GitHub does, it signs only when a secret is set. A
// nil client means http.DefaultClient. The caller closes the response body.
func Send(ctx context.Context, client *http.Client, url, eventType, deliveryID string, body, secret []byte) (*http.Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("failed to build %s delivery %s to %s: %w", eventType, deliveryID, url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("X-GitHub-Event", eventType)
	req.Header.Set("X-GitHub-Delivery", deliveryID)
	if len(secret) > 0 {
		req.Header.Set("X-Hub-Signature-256", Sign(secret, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to send %s delivery %s to %s: %w", eventType, deliveryID, url, err)
	}
	return resp, nil
}

// Fixture returns the payload test/testdata/webhooks/<name>, e.g. "push.json". The directory is
// found from this source file's location rather than the working directory, so it works from
// the tests of any package.
func Fixture(name string) ([]byte, error) {
	if name == "" || filepath.Base(name) != name {
		return nil, fmt.Errorf("webhook fixture name %q must be a plain file name", name)
	}
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("failed to locate webhook fixtures for %q: no caller information", name)
	}
	path := filepath.Join(filepath.Dir(self), "..", "testdata", "webhooks", name)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read webhook fixture %q: %w", name, err)
	}
	return b, nil
}
