package resync

import "sync"

// decidedHeads remembers, for recent pull request heads, the inputs a decision about them
// was made with (decisionInputs). A head commit's files never change, so the decision holds
// for as long as those inputs do. It is bounded: the oldest entry goes first.
type decidedHeads struct {
	mu     sync.Mutex
	inputs map[string]string
	order  []string // ring of keys in insertion order
	next   int
}

func newDecidedHeads(size int) *decidedHeads {
	return &decidedHeads{inputs: make(map[string]string, size), order: make([]string, size)}
}

// has reports whether key was decided with these inputs.
func (d *decidedHeads) has(key, inputs string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	got, ok := d.inputs[key]
	return ok && got == inputs
}

// put remembers that key was decided with inputs.
func (d *decidedHeads) put(key, inputs string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.inputs[key]; ok {
		d.inputs[key] = inputs
		return
	}
	if old := d.order[d.next]; old != "" {
		delete(d.inputs, old)
	}
	d.order[d.next] = key
	d.next = (d.next + 1) % len(d.order)
	d.inputs[key] = inputs
}
