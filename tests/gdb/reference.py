"""A reference of Go's classic map design, written for the tests apart from gdb/mapviz_gdb.

It works on the cells a fixture reads through its own bucket struct (fixtures/cells.h) and
the hashes the program computes (hmap_hash), and says what mapviz should print: every line
of `show`, the summary figures, where `slot` finds a key or would put it. The constants are
Go's (runtime/map.go), written here again on purpose.
"""
import collections

BUCKET_CNT = 8
MIN_TOP_HASH = 5
STATES = {0: "emptyRest", 1: "emptyOne", 2: "evacuatedX", 3: "evacuatedY", 4: "evacuatedEmpty"}
EVACUATED_STALE = ("evacuatedX", "evacuatedY")

Cell = collections.namedtuple("Cell", "slot tophash key elem")
Bucket = collections.namedtuple("Bucket", "depth addr cells")
Chain = collections.namedtuple("Chain", "old index buckets")


class Arrays:
    """The new and old bucket arrays of one map, as chains of buckets of cells."""

    def __init__(self, line):
        f = line.split()
        self.new_addr, self.n_new = int(f[2], 16), int(f[3])
        self.old_addr = 0 if f[4] == "(nil)" else int(f[4], 16)
        self.n_old, self.nevacuate = int(f[5]), int(f[6])
        self.chains = {"new": {}, "old": {}}

    def add_cell(self, f):
        which, index, depth, addr = f[2], int(f[3]), int(f[4]), int(f[5], 16)
        buckets = self.chains[which].setdefault(index, [])
        if len(buckets) == depth:
            buckets.append(Bucket(depth, addr, []))
        buckets[depth].cells.append(Cell(int(f[6]), int(f[7]), int(f[8]), int(f[9])))

    def chain(self, which, index):
        return Chain(which == "old", index, self.chains[which][index])

    def growing(self):
        return self.n_old > 0


def read_arrays(path):
    """{map name: Arrays} from a fixture's truth file."""
    out = {}
    for line in open(path).read().splitlines():
        f = line.split()
        if f[0] == "arrays":
            out[f[1]] = Arrays(line)
        elif f[0] == "cell":
            out[f[1]].add_cell(f)
    return out


def tophash(h):
    top = h >> 56
    return top + MIN_TOP_HASH if top < MIN_TOP_HASH else top


def state(top):
    """A tophash byte's state name, or None for a live cell."""
    return STATES.get(top)


def evacuated(chain):
    """Go's evacuated(b): the first cell of the chain's head says so."""
    return state(chain.buckets[0].cells[0].tophash) in ("evacuatedX", "evacuatedY", "evacuatedEmpty")


def show_order(a):
    """The chains in show's order: old bucket i just before new bucket i, each old one once."""
    out = []
    for i in range(a.n_new):
        if i < a.n_old:
            out.append(a.chain("old", i))
        out.append(a.chain("new", i))
    return out


def bucket_lines(a, chain, bucket):
    """show's lines for one bucket: its title, then its cells, runs of one empty state merged."""
    title = f"{'old ' if chain.old else ''}bucket {chain.index}"
    if bucket.depth:
        title += f" overflow {bucket.depth}"
    title += f" {bucket.addr:#x}"
    if chain.old and bucket.depth == 0:
        title += " (evacuated)" if evacuated(chain) else " (not evacuated)"
    lines, run = [title], None
    for c in bucket.cells:
        name = state(c.tophash)
        if name is not None and name not in EVACUATED_STALE:
            if run and run[2] == c.tophash:
                run[1] = c.slot
                continue
            lines += run_line(run)
            run = [c.slot, c.slot, c.tophash]
            continue
        lines += run_line(run)
        run = None
        if name is None:
            lines.append(f"  [{c.slot}] {c.tophash:#04x}  key {c.key}  elem {c.elem}")
        else:
            dest = chain.index + (a.n_old if name == "evacuatedY" else 0)
            lines.append(f"  [{c.slot}] {c.tophash:#04x} {name}  stale key {c.key} -> bucket {dest}")
    return lines + run_line(run)


def run_line(run):
    if not run:
        return []
    first, last, top = run
    slots = f"[{first}]" if first == last else f"[{first}-{last}]"
    return [f"  {slots} {top:#04x} {STATES[top]}"]


def show_body(a):
    """Every line show prints for the buckets of the map, in order (no header, no summary)."""
    return [line for chain in show_order(a) for b in chain.buckets for line in bucket_lines(a, chain, b)]


def summary(a, count, B):
    """The figure lines of `show --summary` (after the header lines)."""
    states = collections.Counter()
    chains = collections.Counter()
    for chain in show_order(a):
        chains[len(chain.buckets)] += 1
        for b in chain.buckets:
            for c in b.cells:
                states[state(c.tophash) or "live"] += 1
    cells = sum(states.values())
    overflows = sum(n - 1 for n in chains.elements())
    return [f"cells: {states['live']} live, {states['emptyOne']} emptyOne (tombstones), "
            f"{states['emptyRest']} emptyRest, {states['evacuatedX'] + states['evacuatedY']} evacuatedX/Y, "
            f"{states['evacuatedEmpty']} evacuatedEmpty in {a.n_new + a.n_old} buckets + {overflows} overflow",
            f"occupancy {100.0 * states['live'] / cells:.1f}% of {cells} cells; load {count / (1 << B):.2f} "
            f"per bucket (growth above 6.50)",
            "chain lengths: " + ", ".join(f"{n} bucket{'s' if n > 1 else ''}: {k}" for n, k in sorted(chains.items())),
            f"count {count} agrees with the {count} live entries"]


def key_chain(a, h):
    """The chain a lookup of hash h reads: the old one while its old bucket is not evacuated."""
    new = a.chain("new", h & (a.n_new - 1))
    if a.growing():
        old = a.chain("old", h & (a.n_old - 1))
        if not evacuated(old):
            return old
    return new


def found_line(a, key, h):
    """slot's `found:` line for a present key."""
    chain = key_chain(a, h)
    for b in chain.buckets:
        for c in b.cells:
            if c.tophash == tophash(h) and c.key == key:
                return (f"found: {'old ' if chain.old else ''}bucket {chain.index} overflow {b.depth} "
                        f"slot {c.slot}, elem {c.elem}")
    raise AssertionError(f"key {key} is not in its chain")


def first_empty(a, h):
    """(bucket index, Bucket, Cell) of the first empty cell (emptyOne or emptyRest) of hash h's
    new chain, Cell None when the chain is full."""
    index = h & (a.n_new - 1)
    chain = a.chain("new", index)
    for b in chain.buckets:
        for c in b.cells:
            if c.tophash in (0, 1):
                return index, b, c
    return index, chain.buckets[-1], None


def would_go_line(a, h):
    """slot's `would go:` line for an absent key: the first empty cell of its chain, after
    the evacuation of its old bucket when that is still to come."""
    if a.growing() and not evacuated(a.chain("old", h & (a.n_old - 1))):
        return (f"would go: an insert first evacuates old bucket {h & (a.n_old - 1)}, "
                f"then takes the first empty cell of bucket {h & (a.n_new - 1)}")
    index, b, c = first_empty(a, h)
    if c is None:
        return f"would go: bucket {index}, a new overflow bucket after overflow {b.depth} (chain full)"
    return (f"would go: bucket {index} overflow {b.depth} slot {c.slot} (first empty cell, "
            f"{STATES[c.tophash]}), tophash byte {b.addr + c.slot:#x}")
