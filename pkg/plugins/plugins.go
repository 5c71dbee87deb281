// Package plugins is the contract between the hook and the ChatOps plugins: the registry
// plugins add themselves to at init, the Agent a handler receives for one event, and the
// plugins.yaml configuration that enables plugins per org or repository.
package plugins

import (
	"context"
	"fmt"
	"sort"
	"sync"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

// ProwJobClient is what plugins may do with the ProwJobs of the hook's namespace: create
// them, find a pull request's jobs, and abort them. The generated typed client satisfies it.
type ProwJobClient interface {
	Create(ctx context.Context, pj *prowjobsv1.ProwJob, opts metav1.CreateOptions) (*prowjobsv1.ProwJob, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*prowjobsv1.ProwJob, error)
	List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error)
	UpdateStatus(ctx context.Context, pj *prowjobsv1.ProwJob, opts metav1.UpdateOptions) (*prowjobsv1.ProwJob, error)
}

// ConfigMapClient is what plugins may do with the ConfigMaps of one namespace: read, create
// and replace them (config-updater). The typed core/v1 client satisfies it.
type ConfigMapClient interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*corev1.ConfigMap, error)
	Create(ctx context.Context, cm *corev1.ConfigMap, opts metav1.CreateOptions) (*corev1.ConfigMap, error)
	Update(ctx context.Context, cm *corev1.ConfigMap, opts metav1.UpdateOptions) (*corev1.ConfigMap, error)
}

// GitHubClient is the GitHub access plugins get: everything bosun's client does. Plugin
// cores declare the few methods they use as their own narrow interfaces.
type GitHubClient = github.Interface

// Agent is what a handler gets for one event: clients, the config in force when the event
// arrived, and a logger carrying the event's delivery id and repository.
type Agent struct {
	GitHub       GitHubClient
	ProwJobs     ProwJobClient
	Config       *config.Config
	PluginConfig *Configuration
	Logger       *zap.SugaredLogger
	// EventGUID is the X-GitHub-Delivery id of the event being handled.
	EventGUID string
	// Registry holds the plugins linked into the hook, for plugins that describe the
	// others (help).
	Registry *Registry
	// Trigger is the job-triggering core the hook builds once per process and shares with
	// its resync of open pull requests (the trigger plugin's caches live there).
	Trigger *trigger.Trigger
	// ConfigMaps returns the ConfigMaps client of a namespace of the hook's cluster; nil
	// when the hook has none, and then config-updater does nothing.
	ConfigMaps func(namespace string) ConfigMapClient
}

// Handlers a plugin can provide; nil ones are skipped. A handler returns an error only
// for a failure of a backend (GitHub, the apiserver) that made it lose work: the hook then
// answers 503 so the delivery shows as failed and can be redelivered. Bad input is logged
// and ignored.
type (
	PullRequestHandler  func(ctx context.Context, a Agent, e *gogithub.PullRequestEvent) error
	IssueCommentHandler func(ctx context.Context, a Agent, e *gogithub.IssueCommentEvent) error
	PushHandler         func(ctx context.Context, a Agent, e *gogithub.PushEvent) error
)

// Command documents one comment command for /help and the plugin's help page.
type Command struct {
	Usage       string
	Description string
	WhoCanUse   string
	Examples    []string
}

// Help describes a plugin.
type Help struct {
	Description string
	Commands    []Command
}

// Plugin is one registered plugin.
type Plugin struct {
	Name         string
	Help         Help
	PullRequest  PullRequestHandler
	IssueComment IssueCommentHandler
	Push         PushHandler
}

// Registry holds the plugins linked into a binary. It only grows, at init.
type Registry struct {
	mu      sync.RWMutex
	plugins map[string]Plugin
}

// Default is the registry plugin packages add themselves to from init.
var Default = &Registry{}

// Register adds p to the Default registry.
func Register(p Plugin) { Default.Register(p) }

// Register adds a plugin; registering a name twice is a programming error.
func (r *Registry) Register(p Plugin) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.plugins == nil {
		r.plugins = map[string]Plugin{}
	}
	if _, dup := r.plugins[p.Name]; dup {
		panic(fmt.Sprintf("plugin %q registered twice", p.Name))
	}
	r.plugins[p.Name] = p
}

// Get returns the named plugin.
func (r *Registry) Get(name string) (Plugin, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.plugins[name]
	return p, ok
}

// Names lists the registered plugins, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.plugins))
	for n := range r.plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
