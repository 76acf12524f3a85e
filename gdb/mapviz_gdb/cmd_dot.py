"""mapviz dot: a Graphviz picture of a map (header, its chains of groups, old ones while growing)."""
import html

from . import model
from .cli import MapvizCommand, Parser
from .errors import MapvizError
from .params import bucket_limit


def _e(text):
    return html.escape(str(text), quote=True)


# The color of a group's title row and of its column headers (not a state's: those are the
# design's DOT_FILL).
TITLE_FILL = "gray80"
HEADER_FILL = "gray95"


def _columns(view):
    """The column headers of a group's table: slot, the state byte's name, key, elem."""
    return ("slot", view.design.STATE_FIELD, "key", "elem")


def _group_node(view, group, node_id):
    """One group as an HTML-like table: a title row, the column headers, then
    slot | state | key | elem per cell."""
    fill = view.design.DOT_FILL
    heads = "".join(f'<td bgcolor="{HEADER_FILL}"><i>{_e(c)}</i></td>' for c in _columns(view))
    rows = [f'<tr><td colspan="4" bgcolor="{TITLE_FILL}">{_e(group.title)} {group.addr:#x}</td></tr>',
            f"<tr>{heads}</tr>"]
    for cell in group.cells:
        name = cell.state_name
        key = view.key_codec.text(cell.key_cell) if cell.kind != "empty" else ""
        elem = view.elem_codec.text(cell.elem_cell) if cell.kind == "entry" else ""
        rows.append(f'<tr><td>{cell.place.slot}</td><td bgcolor="{fill[name or "live"]}">{cell.state:#04x} '
                    f'{_e(name or "")}</td><td>{_e(key)}</td><td>{_e(elem)}</td></tr>')
    table = '<table border="0" cellborder="1" cellspacing="0">' + "".join(rows) + "</table>"
    return f'  {node_id} [label=<{table}>];'


def _legend_node(view):
    """The legend: every state the design names, in its fill, with what marks it."""
    fill = view.design.DOT_FILL
    rows = [f'<tr><td colspan="2" bgcolor="{TITLE_FILL}">{_e(view.design.STATE_FIELD)} states</td></tr>']
    rows += [f'<tr><td bgcolor="{fill[name]}">{_e(name)}</td><td>{_e(what)}</td></tr>'
             for name, what in view.design.state_legend(view)]
    table = '<table border="0" cellborder="1" cellspacing="0">' + "".join(rows) + "</table>"
    return f"  legend [label=<{table}>];"


def render_dot(view, limit):
    design = view.design
    lines = [f"digraph {_graph_name(view)} {{", "  rankdir=LR;",
             '  node [shape=plaintext, fontname="monospace", fontsize=10];']
    head = design.header_lines(view) + view.problems
    problems = design.header_problems(view)
    head += problems
    lines.append("  header [shape=box, label=\"" + "\\l".join(_e(x).replace('"', '\\"') for x in head) + "\\l\"];")
    lines.append(_legend_node(view))
    lines.append("  { rank=same; header; legend; }")
    n = None if problems else design.group_count(view)
    if n is not None:
        indices = range(n) if limit is None else range(min(n, limit))
        array_column = []   # the first group of each chain, in array order
        for chain in design.chains(view, indices):
            prefix = "old" if chain.old else "b"
            previous = "header"
            for depth, g in enumerate(chain.groups):
                node_id = f"{prefix}{chain.index}_{depth}"
                lines.append(_group_node(view, g, node_id))
                if depth == 0:
                    array_column.append(node_id)
                label = design.LINKS["next" if depth else ("old" if chain.old else "array")]
                style = ' style="dashed"' if chain.old and not depth else ""
                if depth == 0 and chain.index > 0:
                    previous = None   # only group 0 is linked from the header: the array starts there
                if previous:
                    lines.append(f'  {previous} -> {node_id} [label="{label}"{style}];')
                previous = node_id
            if chain.end:
                marker_id = f"{prefix}{chain.index}_end"
                lines.append(f'  {marker_id} [shape=box, color=red, fontcolor=red, label="{_e(chain.end)}"];')
                if previous:
                    lines.append(f"  {previous} -> {marker_id};")
        if limit is not None and n > limit:
            lines.append(f'  more [shape=box, label="... {n - limit} more {design.GROUP}s"];')
            array_column.append("more")
        # Arrays read top-down in one column, as they lie in memory; chains go right.
        if array_column:
            lines.append("  { rank=same; " + "; ".join(array_column) + "; }")
            lines.extend(f"  {a} -> {b} [style=invis];" for a, b in zip(array_column, array_column[1:]))
    lines.append("}")
    return lines


def _graph_name(view):
    """A Graphviz ID: the type's name when it is one (counts_map), else quoted (map[int]int)."""
    name = view.layout.name
    if name.replace("_", "a").isalnum() and not name[0].isdigit():
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DotCommand(MapvizCommand):
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
        view = model.map_view_of_expr(args.expr)
        limit = bucket_limit(args.limit)
        text = "\n".join(render_dot(view, limit)) + "\n"
        if not args.file:
            return text
        try:
            with open(args.file, "w") as f:
                f.write(text)
        except OSError as e:
            raise MapvizError(f"cannot write {args.file}: {e.strerror}")
        return f"wrote {args.file}"
