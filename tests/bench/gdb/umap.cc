// umap N: a std::unordered_map<uint64_t, uint64_t> `m` of N entries, for libstdc++'s printer.
#include <cstdint>
#include <cstdlib>
#include <unordered_map>

std::unordered_map<uint64_t, uint64_t> *m;

extern "C" __attribute__((noinline)) void break_here(void) { __asm__ volatile(""); }

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], nullptr, 0) : 30000;
	m = new std::unordered_map<uint64_t, uint64_t>;
	for (uint64_t k = 0; k < n; k++)
		(*m)[k] = k * 3;
	break_here();
	return 0;
}
