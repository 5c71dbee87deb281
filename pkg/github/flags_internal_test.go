package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parseFlags registers Flags on a fresh flag set and parses args.
func parseFlags(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &Flags{}
	f.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("Parse(%q) error = %v", args, err)
	}
	return f
}

// writeFile writes content to a new file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func testKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func TestFlagsDefaults(t *testing.T) {
	f := parseFlags(t)
	if f.HasCredentials() {
		t.Error("HasCredentials() = true with no flags")
	}
	opts, err := f.Options()
	if err != nil {
		t.Fatalf("Options() error = %v", err)
	}
	if opts.BaseURL != "" || opts.Token != "" || opts.AppID != 0 || opts.InstallationID != 0 || opts.AppPrivateKey != nil {
		t.Errorf("Options() = %+v, want no endpoint and no credentials", opts)
	}
	if opts.DisableCache || opts.Cache == nil || opts.Cache.maxEntries != DefaultCacheEntries {
		t.Errorf("Options() cache = %+v (disabled %v), want a cache of %d entries", opts.Cache, opts.DisableCache, DefaultCacheEntries)
	}
	if _, err := NewClient(opts); err != nil {
		t.Errorf("NewClient(Options()) error = %v", err)
	}
}

func TestFlagsToken(t *testing.T) {
	token := writeFile(t, "token", "  ghp_abc123\n\n")
	f := parseFlags(t, "--github-endpoint", "https://ghe.example.com/api/v3", "--github-token-path", token, "--github-cache-entries", "5")
	if !f.HasCredentials() {
		t.Error("HasCredentials() = false with a token")
	}
	opts, err := f.Options()
	if err != nil {
		t.Fatalf("Options() error = %v", err)
	}
	if opts.Token != "ghp_abc123" {
		t.Errorf("Token = %q, want it trimmed to %q", opts.Token, "ghp_abc123")
	}
	if opts.BaseURL != "https://ghe.example.com/api/v3" {
		t.Errorf("BaseURL = %q", opts.BaseURL)
	}
	if opts.DisableCache || opts.Cache == nil || opts.Cache.maxEntries != 5 {
		t.Errorf("cache = %+v (disabled %v), want 5 entries", opts.Cache, opts.DisableCache)
	}
	if _, err := NewClient(opts); err != nil {
		t.Errorf("NewClient(Options()) error = %v", err)
	}
}

func TestFlagsCacheDisabled(t *testing.T) {
	opts, err := parseFlags(t, "--github-cache-entries=0").Options()
	if err != nil {
		t.Fatalf("Options() error = %v", err)
	}
	if !opts.DisableCache || opts.Cache != nil {
		t.Errorf("--github-cache-entries=0 gave DisableCache %v and cache %v, want disabled and none", opts.DisableCache, opts.Cache)
	}
}

func TestFlagsApp(t *testing.T) {
	key := writeFile(t, "key.pem", testKeyPEM(t))
	f := parseFlags(t, "--github-app-id", "12", "--github-app-private-key-path", key, "--github-app-installation-id", "34")
	if !f.HasCredentials() {
		t.Error("HasCredentials() = false with a GitHub App")
	}
	opts, err := f.Options()
	if err != nil {
		t.Fatalf("Options() error = %v", err)
	}
	if opts.AppID != 12 || opts.InstallationID != 34 || !strings.HasPrefix(string(opts.AppPrivateKey), "-----BEGIN RSA PRIVATE KEY-----") || opts.Token != "" {
		t.Errorf("Options() = app %d, installation %d, key %.30q, token %q", opts.AppID, opts.InstallationID, opts.AppPrivateKey, opts.Token)
	}
	if _, err := NewClient(opts); err != nil {
		t.Errorf("NewClient(Options()) error = %v", err)
	}
}

func TestFlagsErrors(t *testing.T) {
	dir := t.TempDir()
	token := writeFile(t, "token", "ghp_abc123")
	key := writeFile(t, "key.pem", testKeyPEM(t))
	empty := writeFile(t, "empty", " \n")
	notPEM := writeFile(t, "key.txt", "not a key")
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{name: "token and app", args: []string{"--github-token-path", token, "--github-app-id", "12", "--github-app-private-key-path", key, "--github-app-installation-id", "34"},
			want: []string{"--github-token-path", "--github-app-*", "both set"}},
		{name: "token and a stray app flag", args: []string{"--github-token-path", token, "--github-app-installation-id", "34"},
			want: []string{"both set"}},
		{name: "app without key and installation", args: []string{"--github-app-id", "12"},
			want: []string{"missing --github-app-private-key-path, --github-app-installation-id"}},
		{name: "app without id", args: []string{"--github-app-private-key-path", key, "--github-app-installation-id", "34"},
			want: []string{"missing --github-app-id"}},
		{name: "negative app id", args: []string{"--github-app-id", "-1", "--github-app-private-key-path", key, "--github-app-installation-id", "34"},
			want: []string{"must be positive"}},
		{name: "unreadable token", args: []string{"--github-token-path", missing},
			want: []string{"cannot read --github-token-path", missing}},
		{name: "empty token", args: []string{"--github-token-path", empty},
			want: []string{"--github-token-path", "is empty"}},
		{name: "unreadable key", args: []string{"--github-app-id", "12", "--github-app-private-key-path", missing, "--github-app-installation-id", "34"},
			want: []string{"cannot read --github-app-private-key-path", missing}},
		{name: "key not PEM", args: []string{"--github-app-id", "12", "--github-app-private-key-path", notPEM, "--github-app-installation-id", "34"},
			want: []string{"not hold a PEM"}},
		{name: "negative cache", args: []string{"--github-cache-entries", "-1"},
			want: []string{"--github-cache-entries", "0 (no cache) or more"}},
		{name: "endpoint without scheme", args: []string{"--github-endpoint", "ghe.example.com/api/v3"},
			want: []string{"--github-endpoint", "not an http(s) URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(t, tc.args...).Options()
			if err == nil {
				t.Fatalf("Options() of %q succeeded, want an error", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Options() error = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

// TestFlagsPartialAppHasCredentials: a partial GitHub App setup counts as credentials, so
// a binary that skips GitHub without credentials reports the mistake instead.
func TestFlagsPartialAppHasCredentials(t *testing.T) {
	if !parseFlags(t, "--github-app-installation-id", "34").HasCredentials() {
		t.Error("HasCredentials() = false with only an installation ID")
	}
	if parseFlags(t, "--github-endpoint", "https://ghe.example.com/api/v3/", "--github-cache-entries", "0").HasCredentials() {
		t.Error("HasCredentials() = true with only an endpoint and cache size")
	}
}
