package fakegithub

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v93/github"
)

// defaultTokenLifetime is how long GitHub's installation tokens last.
const defaultTokenLifetime = time.Hour

// GitHub refuses an App JWT that expires more than ten minutes after it was issued, and
// tolerates an issue time up to a minute ahead of its clock.
const (
	jwtMaxLifetime = 10 * time.Minute
	jwtClockSkew   = time.Minute
)

// jwtUndecodable is GitHub's message for a JWT it cannot use.
const jwtUndecodable = "A JSON web token could not be decoded"

// app is one installation of a GitHub App: the app's id and the public half of its key.
type app struct {
	appID  int64
	key    *rsa.PublicKey
	tokens []string // issued, oldest first
}

type issuedToken struct {
	installationID int64
	expires        time.Time
}

// AddAppInstallation registers installation installationID of GitHub App appID, whose private
// key's public half is key. The app may then exchange a JWT it signed (RS256, "iss" its id)
// for an installation token at POST /app/installations/{id}/access_tokens. The emulator
// accepts only the installation tokens it issued and has not seen expire: any other "ghs_"
// token is answered 401 "Bad credentials", as on GitHub.
func (s *Server) AddAppInstallation(appID, installationID int64, key *rsa.PublicKey) {
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	if s.edge.apps == nil {
		s.edge.apps = map[int64]*app{}
	}
	s.edge.apps[installationID] = &app{appID: appID, key: key}
}

// SetInstallationTokenLifetime sets how long the installation tokens issued from now on last
// (GitHub: one hour). Clients renew a token shortly before it expires (ghinstallation: a
// minute), so a shorter lifetime makes them fetch a new one for every request; a negative one
// issues tokens that have already expired, for testing how a client takes "Bad credentials".
// Zero restores the hour.
func (s *Server) SetInstallationTokenLifetime(d time.Duration) {
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	s.edge.tokenLifetime = d
}

// InstallationTokens returns the tokens issued for installationID, oldest first.
func (s *Server) InstallationTokens(installationID int64) []string {
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	if a, ok := s.edge.apps[installationID]; ok {
		return append([]string(nil), a.tokens...)
	}
	return nil
}

// createInstallationToken handles POST /app/installations/{id}/access_tokens.
func (s *Server) createInstallationToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeNotFound(w)
		return
	}
	now := s.now()
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	a, ok := s.edge.apps[id]
	if !ok {
		writeNotFound(w)
		return
	}
	jwt, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeError(w, http.StatusUnauthorized, jwtUndecodable, docsURL)
		return
	}
	if err := verifyAppJWT(jwt, a.appID, a.key, now); err != nil {
		writeError(w, http.StatusUnauthorized, err.Error(), docsURL)
		return
	}

	s.edge.tokenSeq++
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", id, s.edge.tokenSeq))
	token := "ghs_" + hex.EncodeToString(sum[:])[:36]
	lifetime := s.edge.tokenLifetime
	if lifetime == 0 {
		lifetime = defaultTokenLifetime
	}
	expires := now.Add(lifetime)
	if s.edge.tokens == nil {
		s.edge.tokens = map[string]issuedToken{}
	}
	s.edge.tokens[token] = issuedToken{installationID: id, expires: expires}
	a.tokens = append(a.tokens, token)

	writeJSON(w, http.StatusCreated, &gogithub.InstallationToken{
		Token:     gogithub.Ptr(token),
		ExpiresAt: &gogithub.Timestamp{Time: expires},
		Permissions: &gogithub.InstallationPermissions{
			Checks:       gogithub.Ptr("write"),
			Contents:     gogithub.Ptr("read"),
			Issues:       gogithub.Ptr("write"),
			Metadata:     gogithub.Ptr("read"),
			Members:      gogithub.Ptr("read"),
			PullRequests: gogithub.Ptr("write"),
			Statuses:     gogithub.Ptr("write"),
		},
	})
}

// verifyAppJWT checks that token is a JWT signed with RS256 by the private half of key, that
// its issuer is appID, and that it is current and short-lived, as GitHub requires.
func verifyAppJWT(token string, appID int64, key *rsa.PublicKey, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New(jwtUndecodable)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeJWTPart(parts[0], &header); err != nil || header.Alg != "RS256" {
		return errors.New(jwtUndecodable)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New(jwtUndecodable)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return errors.New(jwtUndecodable)
	}

	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat json.Number     `json:"iat"`
		Exp json.Number     `json:"exp"`
	}
	if err := decodeJWTPart(parts[1], &claims); err != nil {
		return errors.New(jwtUndecodable)
	}
	// GitHub takes the app id as a number or a string.
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(appID, 10) {
		return errors.New("'Issuer' claim ('iss') must be the id of the app that owns the installation")
	}
	iat, errIat := claims.Iat.Int64()
	exp, errExp := claims.Exp.Int64()
	switch {
	case errIat != nil || time.Unix(iat, 0).After(now.Add(jwtClockSkew)):
		return errors.New("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")
	case errExp != nil || !time.Unix(exp, 0).After(now):
		return errors.New("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	case time.Unix(exp, 0).Sub(time.Unix(iat, 0)) > jwtMaxLifetime:
		return errors.New("'Expiration time' claim ('exp') is too far in the future")
	}
	return nil
}

func decodeJWTPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// checkInstallationTokens answers 401 for an installation token ("ghs_...") the emulator did
// not issue or has seen expire. Other credentials pass: the emulator trusts any PAT.
func (s *Server) checkInstallationTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if strings.HasPrefix(token, "ghs_") {
			s.edge.mu.Lock()
			issued, ok := s.edge.tokens[token]
			s.edge.mu.Unlock()
			if !ok || !s.now().Before(issued.expires) {
				writeError(w, http.StatusUnauthorized, "Bad credentials", docsURL)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
