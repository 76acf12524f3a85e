// bigmap-go N: a map[int64]int64 `main.big` of N entries (keys 0..N-1, elems k * 3),
// and `main.floor` whose n is N, for the benchmark's floor printer.
package main

import (
	"os"
	"strconv"
)

type floor_pairs struct{ n int }

var (
	big   map[int64]int64
	floor floor_pairs
)

//go:noinline
func breakHere() {}

func main() {
	n := 30000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	big = make(map[int64]int64)
	for k := int64(0); k < int64(n); k++ {
		big[k] = k * 3
	}
	floor.n = n
	breakHere()
	println(len(big), floor.n)
}
