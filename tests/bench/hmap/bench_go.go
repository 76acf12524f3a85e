// bench_go N SEED REPEATS: Go's runtime map[uint64]uint64 on the same keys and
// operations as bench_hmap.c (see bench_keys.h), printing the same JSON line.
// Bytes per entry: the live heap the map adds (runtime.MemStats.HeapAlloc
// after a GC), with the key arrays allocated before the first reading.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

const hitShuffle, deleteShuffle = 1, 2

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func elem(key uint64) uint64 { return key ^ 0x5555555555555555 }

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// mapBytesPerEntry: the heap a map of all keys holds, per key (measured
// before anything else is allocated and freed, so that only the map differs).
func mapBytesPerEntry(keys []uint64) float64 {
	before := heapAlloc()
	m := make(map[uint64]uint64)
	for _, k := range keys {
		m[k] = elem(k)
	}
	after := heapAlloc()
	runtime.KeepAlive(m)
	return float64(after-before) / float64(len(keys))
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: bench_go N SEED REPEATS")
		os.Exit(2)
	}
	n, err1 := strconv.ParseUint(os.Args[1], 0, 64)
	seed, err2 := strconv.ParseUint(os.Args[2], 0, 64)
	repeats, err3 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || err3 != nil {
		fmt.Fprintln(os.Stderr, "bench_go: N, SEED and REPEATS must be integers")
		os.Exit(2)
	}
	keys, misses := make([]uint64, n), make([]uint64, n)
	a, b := seed, ^seed
	for i := range keys {
		keys[i] = splitmix(&a)
		misses[i] = splitmix(&b)
	}

	bytesPerEntry := mapBytesPerEntry(keys)

	order := func(salt uint64) []uint64 {
		o := append([]uint64(nil), keys...)
		s := seed + salt
		for i := n - 1; i > 0; i-- {
			j := splitmix(&s) % (i + 1)
			o[i], o[j] = o[j], o[i]
		}
		return o
	}
	hits, deletes := order(hitShuffle), order(deleteShuffle)

	best := []float64{1e300, 1e300, 1e300, 1e300}
	var checksum, foundMisses uint64
	for r := 0; r < repeats; r++ {
		var t [5]time.Time
		t[0] = time.Now()
		m := make(map[uint64]uint64)
		for _, k := range keys {
			m[k] = elem(k)
		}
		t[1] = time.Now()
		var sum uint64
		for _, k := range hits {
			sum += m[k]
		}
		t[2] = time.Now()
		var missed uint64
		for _, k := range misses {
			if _, ok := m[k]; ok {
				missed++
			}
		}
		t[3] = time.Now()
		for _, k := range deletes {
			delete(m, k)
		}
		t[4] = time.Now()
		if len(m) != 0 {
			fmt.Fprintln(os.Stderr, "bench_go: keys left after deleting all")
			os.Exit(1)
		}
		for op := 0; op < 4; op++ {
			if ns := float64(t[op+1].Sub(t[op]).Nanoseconds()) / float64(n); ns < best[op] {
				best[op] = ns
			}
		}
		checksum, foundMisses = sum, missed
	}


	fmt.Printf("{\"impl\": \"go\", \"insert\": %.2f, \"hit\": %.2f, \"miss\": %.2f, \"delete\": %.2f, "+
		"\"bytes_per_entry\": %.2f, \"checksum\": %d, \"found_misses\": %d}\n",
		best[0], best[1], best[2], best[3], bytesPerEntry, checksum, foundMisses)
}
