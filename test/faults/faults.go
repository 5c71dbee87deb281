// Package faults is bosun's fault suite: the hook and controller binaries run as processes
// on a real kube-apiserver + etcd and the GitHub emulator while the test breaks something
// a deployment meets sooner or later (an apiserver that stalls or crashes, replicas and
// redeliveries racing on the same commands, a flood of large unauthenticated requests) and
// then checks what a user would: every job there exactly once, the right run surviving, the
// hook's memory bounded.
//
// Each case prints one machine-readable line of figures, "FAULT <case> key=value ...", to
// the test log and to stdout (see FaultLine). The cases skip without the control-plane
// binaries unless BOSUN_REQUIRE_CLUSTER is set (make test-faults, make test).
package faults

import (
	"fmt"
	"strings"
)

// FaultLine formats a case's figures as "FAULT <name> k1=v1 k2=v2 ...", keeping the order of
// kv, which alternates keys and values. Floats get one decimal, so that lines compare by eye.
func FaultLine(name string, kv ...any) string {
	var b strings.Builder
	b.WriteString("FAULT ")
	b.WriteString(name)
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case float64:
			fmt.Fprintf(&b, " %v=%.1f", kv[i], v)
		default:
			fmt.Fprintf(&b, " %v=%v", kv[i], v)
		}
	}
	if len(kv)%2 == 1 {
		fmt.Fprintf(&b, " %v=?", kv[len(kv)-1])
	}
	return b.String()
}
