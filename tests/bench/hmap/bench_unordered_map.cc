// bench_unordered_map N SEED REPEATS: std::unordered_map<uint64_t, uint64_t> on
// the same keys and operations as bench_hmap.c, printing the same JSON line.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "bench_keys.h"

static double now_ns()
{
	return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Counts the bytes the map holds from its allocator (nodes and bucket array).
static size_t live_bytes;
template <class T> struct counting_allocator {
	using value_type = T;
	counting_allocator() = default;
	template <class U> counting_allocator(const counting_allocator<U> &) {}
	T *allocate(size_t n)
	{
		live_bytes += n * sizeof(T);
		return std::allocator<T>().allocate(n);
	}
	void deallocate(T *p, size_t n)
	{
		live_bytes -= n * sizeof(T);
		std::allocator<T>().deallocate(p, n);
	}
	template <class U> bool operator==(const counting_allocator<U> &) const { return true; }
	template <class U> bool operator!=(const counting_allocator<U> &) const { return false; }
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		std::fprintf(stderr, "usage: bench_unordered_map N SEED REPEATS\n");
		return 2;
	}
	uint64_t n = std::strtoull(argv[1], nullptr, 0), seed = std::strtoull(argv[2], nullptr, 0);
	int repeats = std::atoi(argv[3]);
	std::vector<uint64_t> keys(n), misses(n), hits(n), deletes(n);
	bench_make_keys(keys.data(), misses.data(), n, seed);
	bench_make_order(hits.data(), keys.data(), n, seed, bench_hit_shuffle);
	bench_make_order(deletes.data(), keys.data(), n, seed, bench_delete_shuffle);

	double best[4] = {1e300, 1e300, 1e300, 1e300};
	uint64_t checksum = 0, found_misses = 0;
	for (int r = 0; r < repeats; r++) {
		double t[5];
		t[0] = now_ns();
		auto *m = new std::unordered_map<uint64_t, uint64_t>();
		for (uint64_t i = 0; i < n; i++)
			(*m)[keys[i]] = bench_elem(keys[i]);
		t[1] = now_ns();
		uint64_t sum = 0;
		for (uint64_t i = 0; i < n; i++) {
			auto it = m->find(hits[i]);
			sum += it != m->end() ? it->second : 0;
		}
		t[2] = now_ns();
		uint64_t missed = 0;
		for (uint64_t i = 0; i < n; i++)
			missed += m->find(misses[i]) != m->end();
		t[3] = now_ns();
		for (uint64_t i = 0; i < n; i++)
			m->erase(deletes[i]);
		t[4] = now_ns();
		if (!m->empty()) {
			std::fprintf(stderr, "bench_unordered_map: keys left after deleting all\n");
			return 1;
		}
		delete m;
		for (int op = 0; op < 4; op++)
			if ((t[op + 1] - t[op]) / n < best[op])
				best[op] = (t[op + 1] - t[op]) / n;
		checksum = sum;
		found_misses = missed;
	}

	std::unordered_map<uint64_t, uint64_t, std::hash<uint64_t>, std::equal_to<uint64_t>,
			   counting_allocator<std::pair<const uint64_t, uint64_t>>>
		counted;
	for (uint64_t i = 0; i < n; i++)
		counted[keys[i]] = bench_elem(keys[i]);
	double bytes_per_entry = (double)live_bytes / n;

	std::printf("{\"impl\": \"unordered_map\", \"insert\": %.2f, \"hit\": %.2f, \"miss\": %.2f, "
		    "\"delete\": %.2f, \"bytes_per_entry\": %.2f, \"checksum\": %" PRIu64
		    ", \"found_misses\": %" PRIu64 "}\n",
		    best[0], best[1], best[2], best[3], bytes_per_entry, checksum, found_misses);
	return 0;
}
