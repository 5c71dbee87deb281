/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package localcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

const (
	// adminUser is the common name of the client certificate the cluster hands out.
	adminUser = "bosun-admin"
	// mastersGroup is the group that kube-apiserver authorizes for everything, RBAC or not.
	mastersGroup = "system:masters"
	// certValidity is generous: a cluster lives as long as one test binary or one demo.
	certValidity = 365 * 24 * time.Hour
)

// pki holds the files the apiserver is started with and the admin credentials in PEM.
type pki struct {
	clientCAFile    string // CA that signs client certificates (--client-ca-file)
	saPublicKeyFile string // verifies service-account tokens (--service-account-key-file)
	saSigningFile   string // signs service-account tokens (--service-account-signing-key-file)
	adminCertFile   string
	adminKeyFile    string
	adminCertPEM    []byte
	adminKeyPEM     []byte
}

// generatePKI writes a client CA, an admin client certificate in system:masters signed by it,
// and a service-account RSA key pair into dir. The apiserver makes its own serving certificate.
func generatePKI(dir string, now time.Time) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{
		clientCAFile:    filepath.Join(dir, "client-ca.crt"),
		saPublicKeyFile: filepath.Join(dir, "service-account.pub"),
		saSigningFile:   filepath.Join(dir, "service-account.key"),
		adminCertFile:   filepath.Join(dir, "admin.crt"),
		adminKeyFile:    filepath.Join(dir, "admin.key"),
	}

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating client CA key: %w", err)
	}
	caTemplate := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "bosun-localcluster-client-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, caCert, err := signCertificate(caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("creating client CA: %w", err)
	}

	adminKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating admin key: %w", err)
	}
	adminTemplate := &x509.Certificate{
		Subject:     pkix.Name{CommonName: adminUser, Organization: []string{mastersGroup}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	adminDER, _, err := signCertificate(adminTemplate, caCert, adminKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("creating admin certificate: %w", err)
	}
	adminKeyDER, err := x509.MarshalPKCS8PrivateKey(adminKey)
	if err != nil {
		return nil, fmt.Errorf("encoding admin key: %w", err)
	}
	p.adminCertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: adminDER})
	p.adminKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: adminKeyDER})

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating service-account key: %w", err)
	}
	saPublicDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding service-account public key: %w", err)
	}

	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{p.clientCAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644},
		{p.adminCertFile, p.adminCertPEM, 0o644},
		{p.adminKeyFile, p.adminKeyPEM, 0o600},
		{p.saPublicKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPublicDER}), 0o644},
		{p.saSigningFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}), 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// signCertificate creates the certificate described by template for pub, signed by parent's
// key signer, and returns it in DER and parsed.
func signCertificate(template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	template.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return der, cert, nil
}
