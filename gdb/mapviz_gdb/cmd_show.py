"""mapviz show: the header, then each chain of the map, cell by cell (from the model's views)."""
import collections

from . import model
from .cli import MapvizCommand, Parser, integer
from .params import bucket_limit
from .style import Style


class Stats:
    """What --summary reports, gathered while walking."""

    def __init__(self):
        self.states = collections.Counter()    # state name or "live" -> cells
        self.chain_lengths = collections.Counter()
        self.groups = 0                        # chains walked (their first groups)
        self.later_groups = 0                  # groups after the first of a chain
        self.markers = 0
        self.live_entries = 0                  # live cells that are map entries now


class ChainRenderer:
    """Renders the Chains of a view: groups, then cells (runs of one empty state in one line)."""

    def __init__(self, view, style, stats, render=True):
        self.view = view
        self.design = view.design
        self.style = style
        self.stats = stats
        self.render = render

    def chain(self, chain):
        """Lines for one Chain."""
        lines = []
        if not chain.groups:
            self.stats.markers += 1
            return [f"{chain.label} " + self.style("marker", chain.end)] if self.render else []
        self.stats.groups += 1
        self.stats.later_groups += len(chain.groups) - 1
        self.stats.chain_lengths[len(chain.groups)] += 1
        for g in chain.groups:
            if self.render:
                lines.append(self.style("title", g.title) + " " + self.style("addr", f"{g.addr:#x}") + g.note)
            self._cells(g.cells, lines)
        if chain.end:
            self.stats.markers += 1
            if self.render:
                lines.append("  " + self.style("marker", chain.end))
        return lines

    def _cells(self, cells, lines):
        st = self.stats
        run = None  # [first cell, last cell] of a run of one empty state
        for cell in cells:
            st.states[cell.state_name or "live"] += 1
            if cell.kind == "empty":
                if self.render:
                    if run and run[1].state == cell.state and run[1].place.slot == cell.place.slot - 1:
                        run[1] = cell
                        continue
                    self._flush(run, lines)
                    run = [cell, cell]
                continue
            self._flush(run, lines)
            run = None
            if cell.kind == "entry" and cell.counts:
                st.live_entries += 1
            if not self.render and not (cell.kind == "entry" and cell.unreachable):
                continue
            markers = []
            if cell.kind == "entry":
                markers = self.design.cell_markers(self.view, cell)
                st.markers += len(markers)
            if self.render:
                lines.append(self._cell_line(cell, markers))
        self._flush(run, lines)

    def _cell_line(self, cell, markers):
        v = self.view
        if cell.kind == "entry":
            text = (f"  [{cell.place.slot}] " + self._state(cell) +
                    f"  key {v.key_codec.text(cell.key_cell)}"
                    f"  elem {v.elem_codec.text(cell.elem_cell)}")
        else:  # moved: the key's stale bytes stay behind
            text = (f"  [{cell.place.slot}] " + self._state(cell) +
                    f"  stale key {v.key_codec.text(cell.key_cell)} -> {cell.moved_to}")
        return text + "".join("  " + self.style("marker", m) for m in markers)

    def _state(self, cell):
        return self.style(cell.state_name or "live", self.design.state_text(self.view, cell.state),
                          self.design.STATE_STYLES)

    def _flush(self, run, lines):
        if not run or not self.render:
            return
        first, last = run
        slots = f"[{first.place.slot}]" if first is last else f"[{first.place.slot}-{last.place.slot}]"
        lines.append(f"  {slots} " + self._state(last))


def count_check(view, stats):
    """Whether the header's count agrees with the live entries found (after a full walk)."""
    if stats.live_entries == view.count:
        return f"count {view.count} agrees with the {stats.live_entries} live entries"
    return f"<count {view.count} but {stats.live_entries} live entries>"


def summary_lines(view, stats, complete):
    out = view.design.summary_lines(view, stats)
    if complete:
        out.append(count_check(view, stats))
    if stats.markers:
        out.append(f"<{stats.markers} problems marked>")
    return out


def render_show(view, group=None, limit=None, summary=False, style=None):
    style = style or Style()
    design = view.design
    lines = design.header_lines(view)
    lines.append(design.layout_line(view, view.source.hashed_as(view)))
    lines += [style("marker", p) for p in view.problems]
    problems = design.header_problems(view)
    if problems:
        return lines + [style("marker", p) for p in problems]
    n = design.group_count(view)
    if n is None:
        return lines + [f"no {design.GROUP}s (an empty map allocates them on the first insert)"]
    if group is not None and group >= n:
        raise design.no_group_error(view, group)
    stats = Stats()
    r = ChainRenderer(view, style, stats, render=not summary)
    indices = [group] if group is not None else range(n)
    if not summary and limit is not None and len(indices) > limit:
        indices = indices[:limit]
    for chain in design.chains(view, indices):
        lines += r.chain(chain)
    shown = len(indices)
    if shown < n and group is None:
        lines.append(f"... {n - shown} more {design.GROUP}s (mapviz show --limit N, or set mapviz max-buckets unlimited)")
    complete = group is None and shown == n
    if summary:
        lines += summary_lines(view, stats, complete)
    elif complete:
        check = count_check(view, stats)
        lines.append(style("marker", check) if check.startswith("<") else check)
    return lines


class ShowCommand(MapvizCommand):
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
        view = model.map_view_of_expr(args.expr)
        limit = bucket_limit(args.limit)
        return "\n".join(render_show(view, args.bucket, limit, args.summary))
