package pipelinerun

import (
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// defaultPipelineTimeout sets timeouts.pipeline to d when the job sets none (d <= 0: leave
// it to Tekton's own default). The default never makes the job's own timeouts invalid:
// Tekton wants timeouts.tasks and timeouts.finally, and their sum, within the pipeline's,
// so when they exceed d the pipeline gets their sum, and when one of them is 0 (no
// timeout) the pipeline gets no timeout either.
func defaultPipelineTimeout(spec *pipelinev1.PipelineRunSpec, d time.Duration) {
	if d <= 0 || (spec.Timeouts != nil && spec.Timeouts.Pipeline != nil) {
		return
	}
	if spec.Timeouts == nil {
		spec.Timeouts = &pipelinev1.TimeoutFields{}
	}
	var parts time.Duration
	for _, part := range []*metav1.Duration{spec.Timeouts.Tasks, spec.Timeouts.Finally} {
		switch {
		case part == nil:
		case part.Duration == 0:
			spec.Timeouts.Pipeline = &metav1.Duration{}
			return
		default:
			parts += part.Duration
		}
	}
	spec.Timeouts.Pipeline = &metav1.Duration{Duration: max(d, parts)}
}
