// Package hook is the webhook server: it authenticates GitHub deliveries, drops duplicates,
// parses them and hands them to the plugins enabled for the repository. It answers 2xx only
// once every plugin has finished, so a 2xx means the event's ProwJobs exist.
package hook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

// Defaults sized for GitHub: it caps payloads at 25 MB and gives up on a delivery after
// 10 seconds, so the work must be done well inside that.
const (
	DefaultMaxBodyBytes  = 25 << 20
	DefaultHandleTimeout = 8 * time.Second
)

// Headers GitHub sets on every delivery.
const (
	headerEvent     = "X-GitHub-Event"
	headerDelivery  = "X-GitHub-Delivery"
	headerSignature = "X-Hub-Signature-256"
)

// Options configure a Server.
type Options struct {
	// Secret returns the current webhook secret; a function so it can be rotated.
	Secret       func() []byte
	Registry     *plugins.Registry
	Config       config.Getter
	PluginConfig func() *plugins.Configuration
	GitHub       plugins.GitHubClient
	ProwJobs     plugins.ProwJobClient
	// ConfigMaps returns the ConfigMaps client of a namespace, for config-updater; nil
	// leaves that plugin without effect.
	ConfigMaps func(namespace string) plugins.ConfigMapClient
	// Trigger is the job-triggering core every event's plugins share (Agent.Trigger);
	// nil builds one over GitHub and ProwJobs. Run gives the same one to the resync.
	Trigger        *trigger.Trigger
	Logger         *zap.SugaredLogger
	Metrics        *Metrics
	MaxBodyBytes   int64
	HandleTimeout  time.Duration
	DeliveryMemory DeliveryMemoryOptions
	// MaxBodyBytesInFlight bounds the bytes of all bodies being read or handled at once
	// (default DefaultMaxBodyBytesInFlight; never less than MaxBodyBytes), and BodyWait how
	// long a delivery waits for room before it is answered 503 (default DefaultBodyWait).
	MaxBodyBytesInFlight int64
	BodyWait             time.Duration
}

// Server handles GitHub webhook deliveries.
type Server struct {
	opts       Options
	deliveries *deliveryMemory
	bodies     *bodyBudget
}

// NewServer builds a Server, filling unset options with defaults.
func NewServer(o Options) *Server {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = DefaultHandleTimeout
	}
	if o.MaxBodyBytesInFlight <= 0 {
		o.MaxBodyBytesInFlight = DefaultMaxBodyBytesInFlight
	}
	if o.BodyWait <= 0 {
		o.BodyWait = DefaultBodyWait
	}
	if o.Registry == nil {
		o.Registry = plugins.Default
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop().Sugar()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Trigger == nil {
		o.Trigger = trigger.New(trigger.Options{Files: o.GitHub, ProwJobs: o.ProwJobs, Trees: o.GitHub, Statuses: o.GitHub})
	}
	return &Server{
		opts:       o,
		deliveries: newDeliveryMemory(o.DeliveryMemory),
		bodies:     newBodyBudget(o.MaxBodyBytesInFlight, o.MaxBodyBytes, o.BodyWait),
	}
}

// response is the small JSON body every answer carries.
type response struct {
	Message string `json:"message"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	eventType := r.Header.Get(headerEvent)
	code, msg := s.serve(w.Header(), r, eventType)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(response{Message: msg})
	s.opts.Metrics.observe(eventType, code, time.Since(start))
}

// serve does the work and returns the HTTP status and message to answer with; header gets
// the answer's extra headers. Everything that can be refused from the headers alone is
// refused before the body is read, and the body is read only within the body budget.
func (s *Server) serve(header http.Header, r *http.Request, eventType string) (int, string) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, "webhooks are POSTed"
	}
	signature := r.Header.Get(headerSignature)
	if signature == "" {
		return http.StatusUnauthorized, "missing " + headerSignature
	}
	digest, err := parseSignature(signature)
	if err != nil {
		return http.StatusForbidden, err.Error()
	}
	guid := r.Header.Get(headerDelivery)
	if eventType == "" || guid == "" {
		return http.StatusBadRequest, "missing " + headerEvent + " or " + headerDelivery
	}
	body, release, err := s.bodies.read(r.Context(), r)
	if err != nil {
		var tooLarge errTooLarge
		switch {
		case errors.As(err, &tooLarge):
			return http.StatusRequestEntityTooLarge, err.Error()
		case errors.Is(err, errBusy):
			header.Set("Retry-After", retryAfterSeconds)
			s.opts.Logger.Warnw("Delivery refused: the payload budget is full", "event-GUID", guid, "event-type", eventType, "content-length", r.ContentLength)
			return http.StatusServiceUnavailable, err.Error() + ", retry later"
		}
		return http.StatusBadRequest, "cannot read payload"
	}
	defer release()
	if !validSignature(digest, body, s.opts.Secret()) {
		return http.StatusForbidden, "invalid signature"
	}
	log := s.opts.Logger.With("event-GUID", guid, "event-type", eventType)
	if s.deliveries.seen(guid) {
		log.Info("Duplicate delivery ignored")
		return http.StatusOK, "duplicate delivery ignored"
	}

	ev, err := parse(eventType, body)
	if err != nil {
		log.Infow("Malformed payload", "error", err)
		return http.StatusBadRequest, err.Error()
	}
	if ev == nil {
		return http.StatusOK, "event " + eventType + " ignored"
	}
	if ev.kind == kindPing {
		return http.StatusOK, "pong"
	}

	// The work must finish even if GitHub hangs up, so that a redelivery finds it done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.HandleTimeout)
	defer cancel()
	log = log.With("org", ev.org, "repo", ev.repo)
	if err := s.dispatch(ctx, log, guid, ev); err != nil {
		log.Errorw("Event not fully handled", "error", err)
		return http.StatusServiceUnavailable, "event not fully handled, redeliver it: " + err.Error()
	}
	s.deliveries.remember(guid)
	return http.StatusOK, "event handled"
}
