package localcluster

import (
	"context"
	"testing"
	"time"

	pipelineclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestZZTime(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx, Options{CRDPaths: []string{mustTektonCRDDir(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	client, _ := pipelineclient.NewForConfig(c.RESTConfig())
	kc, _ := kubernetes.NewForConfig(c.RESTConfig())
	for i := 0; i < 3; i++ {
		b := time.Now()
		_, err = client.TektonV1().TaskRuns("default").List(ctx, metav1.ListOptions{})
		t.Logf("list taskruns %v %s", err, time.Since(b))
		b = time.Now()
		_, err = kc.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
		t.Logf("list configmaps %v %s", err, time.Since(b))
		b = time.Now()
		_, err = client.TektonV1().TaskRuns("default").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		t.Logf("list taskruns rv=0 %v %s", err, time.Since(b))
	}
}
