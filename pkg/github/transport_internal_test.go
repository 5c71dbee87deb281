package github

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestOriginAuth(t *testing.T) {
	tests := []struct {
		url      string
		wantAuth bool
	}{
		{url: "https://ghe.example.com/api/v3/repos/acme/widgets", wantAuth: true},
		{url: "https://GHE.example.com/api/v3/repos/acme/widgets", wantAuth: true},
		{url: "https://objects.example.com/download/1", wantAuth: false},
		{url: "http://ghe.example.com/api/v3/repos/acme/widgets", wantAuth: false},
		{url: "https://ghe.example.com:8443/api/v3/repos/acme/widgets", wantAuth: false},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			var via string
			answer := func(name string) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) {
					via = name
					return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
				})
			}
			rt := &originAuth{auth: answer("auth"), plain: answer("plain"), scheme: "https", host: "ghe.example.com"}
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			if _, err := rt.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if got := via == "auth"; got != tc.wantAuth {
				t.Errorf("sent via %s, want auth %v", via, tc.wantAuth)
			}
		})
	}
}
