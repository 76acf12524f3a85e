// delete_demo, in Go: fill a package-level map, delete some keys, print what
// happened. The map the tools are pointed at is main.counts (Go 1.19 to 1.23).
//
//	build/examples/go/delete_demo
//	mapviz-trace -m main.counts -k 42 -e delete -- build/examples/go/delete_demo
//	gdb build/examples/go/delete_demo   then   mapviz show main.counts
package main

import "fmt"

var counts map[uint64]uint64

// breakHere is a place to stop in a debugger once the deletes are done.
//
//go:noinline
func breakHere() {}

func main() {
	counts = make(map[uint64]uint64)
	for k := uint64(0); k < 100; k++ {
		counts[k] = k * k
	}
	fmt.Printf("inserted 100 keys: len %d\n", len(counts))

	// Delete key 42 and every key divisible by 7, leaving tombstones.
	deleted := 0
	for k := uint64(0); k < 100; k++ {
		if _, ok := counts[k]; ok && (k == 42 || k%7 == 0) {
			delete(counts, k)
			deleted++
		}
	}
	fmt.Printf("deleted %d keys: len %d\n", deleted, len(counts))
	_, present := counts[42]
	fmt.Printf("counts[43] = %d, counts[42] present: %v\n", counts[43], present)
	breakHere()
}
