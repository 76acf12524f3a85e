"""mapviz dot's column headers and legend: every state the design names, in the fill its
cells are drawn with."""
import re
import subprocess

from reference import STATES
from test_gdb_tools import parse_dot

LEGEND = re.compile(r'^  legend \[label=<<table [^>]*><tr><td colspan="2" bgcolor="\w+">(\w+) states</td></tr>'
                    r'(.*)</table>>\];$', re.M)
LEGEND_ROW = re.compile(r'<tr><td bgcolor="(\w+)">(\w+)</td><td>([^<]*)</td></tr>')
HEADERS = re.compile(r'<tr><td colspan="4" bgcolor="\w+">[^<]*</td></tr><tr>((?:<td bgcolor="\w+"><i>\w+</i></td>){4})</tr>')


def legend_and_fills(text):
    """(state field, [(fill, name, what)] of the legend, {state name: fill of its cells})."""
    m = LEGEND.search(text)
    assert m, text
    nodes, _ = parse_dot(text)
    cell_fill = {}
    for _title, rows in nodes.values():
        for _slot, fill, top, _key, _elem in rows:
            name = top.split(" ", 1)[1] if " " in top and top.split(" ", 1)[1] else "live"
            assert cell_fill.setdefault(name, fill) == fill, (name, fill)
    return m.group(1), LEGEND_ROW.findall(m.group(2)), cell_fill


def check_headers(text, nodes, state_field):
    heads = HEADERS.findall(text)
    assert len(heads) == len(nodes), text
    assert all(re.findall(r"<i>(\w+)</i>", h) == ["slot", state_field, "key", "elem"] for h in heads), heads


def test_dot_has_column_headers_and_a_legend_of_every_state(maps_run, tmp_path):
    dot = tmp_path / "growing.dot"
    out = maps_run([f"mapviz dot growing {dot} --limit 8"])
    assert out[0] == f"wrote {dot}"
    text = dot.read_text()
    field, legend, cell_fill = legend_and_fills(text)
    assert field == "tophash"
    names = [name for _, name, _ in legend]
    assert names == ["live"] + [STATES[v] for v in sorted(STATES)], names
    assert legend[0][2] == "tophash &gt;= 0x05 (minTopHash)"
    assert [what for _, _, what in legend[1:]] == [f"tophash {v:#04x}" for v in sorted(STATES)]
    # The legend's fills are those the cells are drawn with (a growing map has most states).
    assert len(cell_fill) >= 4, cell_fill
    fills = {name: fill for fill, name, _ in legend}
    assert all(fills[name] == fill for name, fill in cell_fill.items()), (fills, cell_fill)
    assert len(set(fills.values())) == len(fills), fills   # each state its own color
    nodes, _ = parse_dot(text)
    check_headers(text, nodes, field)
    svg = subprocess.run(["dot", "-Tsvg", str(dot)], capture_output=True, check=True).stdout.decode()
    for name in names + ["slot", "tophash", "key", "elem", "tophash states"]:
        assert f">{name}</text>" in svg, name
