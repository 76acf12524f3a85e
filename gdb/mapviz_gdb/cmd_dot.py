"""mapviz dot: a Graphviz picture of a map (header, buckets, overflow chains, old buckets)."""
import html

from . import layout as layouts
from .cells import codecs
from .cli import MapvizCommand, Parser
from .describe import growth_line, header_line
from .errors import MapvizError
from .params import bucket_limit
from .walk import arrays, chains, header_problems

FILL = {"live": "palegreen", "emptyOne": "khaki", "emptyRest": "gray90", "evacuatedX": "lightblue",
        "evacuatedY": "plum", "evacuatedEmpty": "lightsteelblue"}


def _e(text):
    return html.escape(str(text), quote=True)


def _bucket_node(ref, view, b, node_id):
    """One bucket as an HTML-like table: a title row, then slot | tophash | key | elem."""
    c = ref.layout.consts
    lay = ref.layout
    kc, ec = codecs(lay)
    title = f"{'old ' if view.old else ''}bucket {view.index}" + (f" overflow {b.depth}" if b.depth else "")
    rows = [f'<tr><td colspan="4" bgcolor="gray80">{_e(title)} {b.addr:#x}</td></tr>']
    th = b.tophash(lay)
    for s in range(c.bucket_cnt):
        name = c.state_name.get(th[s])
        state = name or "live"
        key = kc.text(b.key_cell(lay, s)) if name is None or name.startswith("evacuated") and name != "evacuatedEmpty" else ""
        elem = ec.text(b.elem_cell(lay, s)) if name is None else ""
        rows.append(f'<tr><td>{s}</td><td bgcolor="{FILL[state]}">{th[s]:#04x} {_e(name or "")}</td>'
                    f'<td>{_e(key)}</td><td>{_e(elem)}</td></tr>')
    table = '<table border="0" cellborder="1" cellspacing="0">' + "".join(rows) + "</table>"
    return f'  {node_id} [label=<{table}>];'


def render_dot(ref, limit):
    h = ref.header
    lines = [f"digraph {ref.layout.name} {{", "  rankdir=LR;",
             '  node [shape=plaintext, fontname="monospace", fontsize=10];']
    head = [header_line(ref)] + ([growth_line(ref)] if h.growing() else []) + ref.layout.problems
    problems = header_problems(ref)
    head += problems
    lines.append("  header [shape=box, label=\"" + "\\l".join(_e(x).replace('"', '\\"') for x in head) + "\\l\"];")
    new = None if problems else arrays(ref)[0]
    if new is not None:
        indices = range(new.n) if limit is None else range(min(new.n, limit))
        array_column = []   # the first bucket of each chain, in array order
        for view in chains(ref, indices):
            prefix = "old" if view.old else "b"
            previous = "header"
            for b in view.buckets:
                node_id = f"{prefix}{view.index}_{b.depth}"
                lines.append(_bucket_node(ref, view, b, node_id))
                if b.depth == 0:
                    array_column.append(node_id)
                label = "overflow" if b.depth else ("oldbuckets" if view.old else "buckets")
                style = ' style="dashed"' if view.old and not b.depth else ""
                if b.depth == 0 and view.index > 0:
                    previous = None   # only bucket 0 is linked from the header: the array starts there
                if previous:
                    lines.append(f'  {previous} -> {node_id} [label="{label}"{style}];')
                previous = node_id
            if view.end:
                marker_id = f"{prefix}{view.index}_end"
                lines.append(f'  {marker_id} [shape=box, color=red, fontcolor=red, label="{_e(view.end)}"];')
                if previous:
                    lines.append(f"  {previous} -> {marker_id};")
        if limit is not None and new.n > limit:
            lines.append(f'  more [shape=box, label="... {new.n - limit} more buckets"];')
            array_column.append("more")
        # Bucket arrays read top-down in one column, as they lie in memory; chains go right.
        if array_column:
            lines.append("  { rank=same; " + "; ".join(array_column) + "; }")
            lines.extend(f"  {a} -> {b} [style=invis];" for a, b in zip(array_column, array_column[1:]))
    lines.append("}")
    return lines


class DotCommand(MapvizCommand):
    NAME = "dot"
    SUMMARY = "Write a Graphviz picture of a map."
    PARSER = Parser("dot", "Write a Graphviz picture of the map: header, buckets with their slots colored\n"
                    "by state, overflow chains, old buckets while growing. Render it with\n"
                    "dot -Tsvg FILE > map.svg. Draws at most `mapviz max-buckets` buckets.",
                    "EXPR is the shortest run of leading words that is a map, FILE the word after\n"
                    "it (quote a name with spaces); EXPR -- FILE says where EXPR ends.\n"
                    "example: mapviz dot counts /tmp/counts.dot")
    SHAPE = "expr [file]"
    PARSER.add_map_argument()
    PARSER.add_argument("file", metavar="FILE", nargs="?", help="where to write (default: print it)")
    PARSER.add_limit_option()

    def run(self, args):
        ref = layouts.map_ref_of_expr(args.expr)
        limit = bucket_limit(args.limit)
        text = "\n".join(render_dot(ref, limit)) + "\n"
        if not args.file:
            return text
        try:
            with open(args.file, "w") as f:
                f.write(text)
        except OSError as e:
            raise MapvizError(f"cannot write {args.file}: {e.strerror}")
        return f"wrote {args.file}"
