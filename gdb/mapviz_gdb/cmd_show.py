"""mapviz show: the header, then each bucket and its overflow chain, slot by slot."""
import collections

from . import layout as layouts
from .cells import codecs
from .cli import MapvizCommand, Parser, integer
from .describe import growth_line, header_line, layout_line
from .errors import MapvizError
from .hashing import bucket_mask, tophash
from .params import bucket_limit
from .style import Style
from .walk import arrays, chains, header_problems, key_hash


class Stats:
    """What --summary reports, gathered while walking."""

    def __init__(self):
        self.states = collections.Counter()    # state name or "live" -> cells
        self.chain_lengths = collections.Counter()
        self.buckets = 0
        self.overflows = 0
        self.markers = 0
        self.live_entries = 0                  # live cells that are map entries now


class ChainRenderer:
    """Renders one chain (an array bucket and its overflows) of the new or old array."""

    def __init__(self, ref, style, stats, render=True):
        self.ref = ref
        self.lay = ref.layout
        self.c = ref.layout.consts
        self.style = style
        self.stats = stats
        self.render = render
        self.key_codec, self.elem_codec = codecs(ref.layout)
        h = ref.header
        self.new_mask = bucket_mask(h.B)
        self.old_mask = bucket_mask(h.old_B()) if h.growing() else 0
        self.newbit = 1 << h.old_B() if h.growing() and not h.same_size_grow() else 0

    def chain(self, view):
        """Lines for one ChainView."""
        lines = []
        label = "old bucket" if view.old else "bucket"
        if not view.buckets:
            self.stats.markers += 1
            return [f"{label} {view.index} " + self.style("marker", view.end)] if self.render else []
        first = view.buckets[0]
        evacuated = self.c.is_evacuated_bucket(first.tophash(self.lay)[0])
        entries_here = not (view.old and evacuated)
        self.stats.buckets += 1
        self.stats.overflows += len(view.buckets) - 1
        self.stats.chain_lengths[len(view.buckets)] += 1
        seen_empty_rest = False
        for b in view.buckets:
            if self.render:
                where = f" overflow {b.depth}" if b.depth else ""
                note = (" (evacuated)" if evacuated else " (not evacuated)") if view.old and b.depth == 0 else ""
                lines.append(self.style("title", f"{label} {view.index}{where}") + " " +
                             self.style("addr", f"{b.addr:#x}") + note)
            seen_empty_rest = self._slots(b, view.index, view.old, entries_here, seen_empty_rest, lines)
        if view.end:
            self.stats.markers += 1
            if self.render:
                lines.append("  " + self.style("marker", view.end))
        return lines

    def _slots(self, b, index, old, entries_here, seen_empty_rest, lines):
        c, lay, st = self.c, self.lay, self.stats
        th = b.tophash(lay)
        run = None  # [first slot, last slot, tophash] of a run of one empty state
        for s in range(c.bucket_cnt):
            top = th[s]
            name = c.state_name.get(top)
            st.states[name or "live"] += 1
            if name is not None:
                if name == "emptyRest":
                    seen_empty_rest = True
                if self.render and name not in ("evacuatedX", "evacuatedY"):
                    if run and run[2] == top and run[1] == s - 1:
                        run[1] = s
                        continue
                    self._flush(run, lines)
                    run = [s, s, top]
                    continue
            self._flush(run, lines)
            run = None
            if name is None and entries_here:
                st.live_entries += 1
            if not self.render and not (name is None and seen_empty_rest):
                continue
            markers = []
            if name is None:
                markers = self._check_live(b, s, top, index, old, seen_empty_rest)
            if self.render:
                lines.append(self._slot_line(b, s, top, name, index, markers))
        self._flush(run, lines)
        return seen_empty_rest

    def _check_live(self, b, s, top, index, old, seen_empty_rest):
        """Markers for a live cell that lookups could not find where it is."""
        out = []
        if seen_empty_rest:
            out.append("<live after emptyRest: lookups stop before it>")
        hv = key_hash(self.ref, self.key_codec, b.key_cell(self.lay, s))
        if hv is not None:
            if tophash(hv, self.c) != top:
                out.append(f"<tophash mismatch: key hashes to {tophash(hv, self.c):#04x}>")
            mask = self.old_mask if old else self.new_mask
            if hv & mask != index:
                out.append(f"<wrong bucket: key belongs in {hv & mask}>")
        self.stats.markers += len(out)
        return out

    def _slot_line(self, b, s, top, name, index, markers):
        lay = self.lay
        if name is None:
            text = (f"  [{s}] " + self.style("live", f"{top:#04x}") +
                    f"  key {self.key_codec.text(b.key_cell(lay, s))}"
                    f"  elem {self.elem_codec.text(b.elem_cell(lay, s))}")
        else:  # evacuatedX/Y: the entry moved; its bytes stay behind for old iterators
            dest = index + (self.newbit if name == "evacuatedY" else 0)
            text = (f"  [{s}] " + self.style(name, self.c.tophash_text(top)) +
                    f"  stale key {self.key_codec.text(b.key_cell(lay, s))} -> bucket {dest}")
        return text + "".join("  " + self.style("marker", m) for m in markers)

    def _flush(self, run, lines):
        if not run or not self.render:
            return
        first, last, top = run
        slots = f"[{first}]" if first == last else f"[{first}-{last}]"
        name = self.c.state_name[top]
        lines.append(f"  {slots} " + self.style(name, self.c.tophash_text(top)))


def count_check(h, stats):
    """Whether the header's count agrees with the live entries found (after a full walk)."""
    if stats.live_entries == h.count:
        return f"count {h.count} agrees with the {stats.live_entries} live entries"
    return f"<count {h.count} but {stats.live_entries} live entries>"


def summary_lines(ref, stats, complete):
    c = ref.layout.consts
    h = ref.header
    st = stats.states
    cells = sum(st.values())
    occupancy = 100.0 * st["live"] / cells if cells else 0.0
    num, den = c.load_factor
    out = [f"cells: {st['live']} live, {st['emptyOne']} emptyOne (tombstones), {st['emptyRest']} emptyRest, "
           f"{st['evacuatedX'] + st['evacuatedY']} evacuatedX/Y, {st['evacuatedEmpty']} evacuatedEmpty "
           f"in {stats.buckets} buckets + {stats.overflows} overflow",
           f"occupancy {occupancy:.1f}% of {cells} cells; load {h.count / (1 << h.B):.2f} per bucket "
           f"(growth above {num / den:.2f})",
           "chain lengths: " + ", ".join(f"{n} bucket{'s' if n > 1 else ''}: {k}"
                                         for n, k in sorted(stats.chain_lengths.items()))]
    if complete:
        out.append(count_check(h, stats))
    if stats.markers:
        out.append(f"<{stats.markers} problems marked>")
    return out


def render_show(ref, bucket=None, limit=None, summary=False, style=None):
    style = style or Style()
    h = ref.header
    lines = [header_line(ref)]
    g = growth_line(ref)
    if g:
        lines.append(g)
    lines.append(layout_line(ref.layout))
    lines += [style("marker", p) for p in ref.layout.problems]
    problems = header_problems(ref)
    if problems:
        return lines + [style("marker", p) for p in problems]
    new, old = arrays(ref)
    if new is None:
        return lines + ["no buckets (an empty map allocates them on the first insert)"]
    if bucket is not None and bucket >= new.n:
        raise MapvizError(f"no bucket {bucket}: the map has {new.n} buckets (B {h.B})")
    stats = Stats()
    r = ChainRenderer(ref, style, stats, render=not summary)
    indices = [bucket] if bucket is not None else range(new.n)
    if not summary and limit is not None and len(indices) > limit:
        indices = indices[:limit]
    for view in chains(ref, indices):
        lines += r.chain(view)
    shown = len(indices)
    if shown < new.n and bucket is None:
        lines.append(f"... {new.n - shown} more buckets (mapviz show --limit N, or set mapviz max-buckets unlimited)")
    complete = bucket is None and shown == new.n
    if summary:
        lines += summary_lines(ref, stats, complete)
    elif complete:
        check = count_check(h, stats)
        lines.append(style("marker", check) if check.startswith("<") else check)
    return lines


class ShowCommand(MapvizCommand):
    NAME = "show"
    SUMMARY = "Show the header and every bucket of a map, slot by slot."
    PARSER = Parser("show", "Show a map's header, then each bucket and overflow bucket slot by slot:\n"
                    "tophash in hex and state name, key and elem. While the map grows, each old\n"
                    "bucket is shown before the new bucket of the same index.",
                    "example: mapviz show counts --bucket 5")
    PARSER.add_map_argument()
    PARSER.add_argument("--bucket", type=integer, metavar="N", help="only bucket N (and its old bucket)")
    PARSER.add_limit_option()
    PARSER.add_argument("--summary", action="store_true",
                        help="occupancy, chain-length histogram, tombstones, load instead of slots")

    def run(self, args):
        ref = layouts.map_ref_of_expr(args.expr)
        limit = bucket_limit(args.limit)
        return "\n".join(render_show(ref, args.bucket, limit, args.summary))
