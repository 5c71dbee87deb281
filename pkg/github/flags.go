package github

import (
	"encoding/pem"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Names of the flags Flags registers. bosun's binaries, the test framework and the demo
// pass them by these names.
const (
	FlagEndpoint          = "github-endpoint"
	FlagTokenPath         = "github-token-path"
	FlagAppID             = "github-app-id"
	FlagAppPrivateKeyPath = "github-app-private-key-path"
	FlagInstallationID    = "github-app-installation-id"
	FlagCacheEntries      = "github-cache-entries"
)

// Flags are the command-line flags that configure a GitHub client, shared by bosun's hook
// and controller so both spell and check them the same way. Register them with AddFlags,
// parse, then call Options.
type Flags struct {
	// Endpoint is the REST base URL; empty means api.github.com.
	Endpoint string
	// TokenPath is a file holding a personal access or installation token.
	TokenPath string
	// AppID, AppPrivateKeyPath and InstallationID authenticate as a GitHub App installation.
	AppID             int64
	AppPrivateKeyPath string
	InstallationID    int64
	// CacheEntries bounds the conditional-request cache; 0 disables it. AddFlags turns a
	// zero into DefaultCacheEntries, the flag's default.
	CacheEntries int
}

// AddFlags registers the GitHub flags on fs, with f's current values as defaults (a zero
// CacheEntries means DefaultCacheEntries).
func (f *Flags) AddFlags(fs *flag.FlagSet) {
	if f.CacheEntries == 0 {
		f.CacheEntries = DefaultCacheEntries
	}
	fs.StringVar(&f.Endpoint, FlagEndpoint, f.Endpoint,
		"GitHub REST base URL, e.g. https://ghe.example.com/api/v3/; empty means https://api.github.com/")
	fs.StringVar(&f.TokenPath, FlagTokenPath, f.TokenPath,
		"file holding a GitHub token; excludes the --github-app-* flags")
	fs.Int64Var(&f.AppID, FlagAppID, f.AppID,
		"GitHub App ID, to authenticate as an installation of the App; needs --"+FlagAppPrivateKeyPath+" and --"+FlagInstallationID)
	fs.StringVar(&f.AppPrivateKeyPath, FlagAppPrivateKeyPath, f.AppPrivateKeyPath,
		"file holding the GitHub App's private key (PEM)")
	fs.Int64Var(&f.InstallationID, FlagInstallationID, f.InstallationID,
		"installation ID of the GitHub App on the org or repositories bosun serves")
	fs.IntVar(&f.CacheEntries, FlagCacheEntries, f.CacheEntries,
		"GitHub responses kept to revalidate with conditional requests, which spend no rate limit when nothing changed; 0 disables the cache")
}

// usesApp reports whether any GitHub App flag is set.
func (f *Flags) usesApp() bool {
	return f.AppID != 0 || f.AppPrivateKeyPath != "" || f.InstallationID != 0
}

// HasCredentials reports whether the flags name a token or (some of) a GitHub App's
// credentials. Without them, requests would be unauthenticated.
func (f *Flags) HasCredentials() bool {
	return f.TokenPath != "" || f.usesApp()
}

// Options checks the flags, reads the files they name and returns the client options they
// describe. The caller sets what flags do not cover (Registerer, HTTPClient, Retry).
func (f *Flags) Options() (Options, error) {
	opts := Options{BaseURL: f.Endpoint}
	if f.Endpoint != "" {
		u, err := url.Parse(f.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Options{}, fmt.Errorf("--%s %q is not an http(s) URL", FlagEndpoint, f.Endpoint)
		}
	}
	switch {
	case f.CacheEntries < 0:
		return Options{}, fmt.Errorf("--%s is %d; it must be 0 (no cache) or more", FlagCacheEntries, f.CacheEntries)
	case f.CacheEntries == 0:
		opts.DisableCache = true
	default:
		opts.Cache = NewCache(CacheOptions{MaxEntries: f.CacheEntries})
	}

	if f.TokenPath != "" && f.usesApp() {
		return Options{}, fmt.Errorf("--%s and the --github-app-* flags are both set; authenticate with one", FlagTokenPath)
	}
	if f.TokenPath != "" {
		token, err := readSecret(FlagTokenPath, f.TokenPath)
		if err != nil {
			return Options{}, err
		}
		opts.Token = token
	}
	if f.usesApp() {
		var missing []string
		if f.AppID == 0 {
			missing = append(missing, "--"+FlagAppID)
		}
		if f.AppPrivateKeyPath == "" {
			missing = append(missing, "--"+FlagAppPrivateKeyPath)
		}
		if f.InstallationID == 0 {
			missing = append(missing, "--"+FlagInstallationID)
		}
		if len(missing) > 0 {
			return Options{}, fmt.Errorf("GitHub App auth needs --%s, --%s and --%s; missing %s",
				FlagAppID, FlagAppPrivateKeyPath, FlagInstallationID, strings.Join(missing, ", "))
		}
		if f.AppID < 0 || f.InstallationID < 0 {
			return Options{}, fmt.Errorf("--%s (%d) and --%s (%d) must be positive", FlagAppID, f.AppID, FlagInstallationID, f.InstallationID)
		}
		key, err := readSecret(FlagAppPrivateKeyPath, f.AppPrivateKeyPath)
		if err != nil {
			return Options{}, err
		}
		if block, _ := pem.Decode([]byte(key)); block == nil {
			return Options{}, fmt.Errorf("--%s %s does not hold a PEM-encoded key", FlagAppPrivateKeyPath, f.AppPrivateKeyPath)
		}
		opts.AppID, opts.AppPrivateKey, opts.InstallationID = f.AppID, []byte(key), f.InstallationID
	}
	return opts, nil
}

// readSecret returns the content of the file the flag names, without surrounding white
// space (files written by hand or by Kubernetes often end in a newline). An empty file is an
// error: a credential that was meant to be there is missing.
func readSecret(flagName, path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read --%s: %w", flagName, err)
	}
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "", fmt.Errorf("--%s %s is empty", flagName, path)
	}
	return s, nil
}
