"""mapviz ls, mapviz dot (rendered by Graphviz), parameters, completion, auto-loading."""
import re
import subprocess

import reference
from gdbtest import ROOT, fixture_path, gdb_env


def test_ls_lists_types_and_map_variables(maps_run):
    out = maps_run(["mapviz ls"])
    lines = out[0].splitlines()
    binary = fixture_path("maps")
    assert lines[0] == "map types (4):"
    assert sorted(lines[1:5]) == sorted([
        f"  u64s_map: uint64_t -> uint64_t, key 8 bytes, elem 8 bytes, bucket 144 bytes  [{binary}]",
        f"  names_map: const char * -> int, key 8 bytes, elem 4 bytes, bucket 112 bytes  [{binary}]",
        f"  points_map: struct point -> uint32_t, key 8 bytes, elem 4 bytes, bucket 112 bytes  [{binary}]",
        f"  bigs_map: struct big -> struct big, key 136 bytes, elem 136 bytes, bucket 144 bytes  [{binary}]"])
    assert lines[5] == "map variables (8):"
    t = maps_run.truth
    assert "  u64s: u64s_map *  count 85, B 4" in lines
    assert f"  growing: u64s_map *  count {t['growing'].count}, B 5" in lines
    assert "  nomap: u64s_map *  the map is NULL (u64s_map * 0x0)" in lines


# The fill of a cell's tophash box, by state.
DOT_FILL = {"live": "palegreen", "emptyOne": "khaki", "emptyRest": "gray90", "evacuatedX": "lightblue",
            "evacuatedY": "plum", "evacuatedEmpty": "lightsteelblue"}
DOT_NODE = re.compile(r'^  (\w+) \[label=<<table [^>]*><tr><td colspan="4" bgcolor="gray80">([^<]*)</td></tr>(.*)</table>>\];$')
DOT_ROW = re.compile(r'<tr><td>(\d)</td><td bgcolor="([\w]+)">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>')
DOT_EDGE = re.compile(r"^  (\w+) -> (\w+) \[(.*)\];$")


def parse_dot(text):
    """({node: (title, [(slot, fill, tophash text, key, elem)])}, [(from, to, attributes)])"""
    nodes, edges = {}, []
    for line in text.splitlines():
        m = DOT_NODE.match(line)
        if m:
            nodes[m.group(1)] = (m.group(2), DOT_ROW.findall(m.group(3)))
        m = DOT_EDGE.match(line)
        if m:
            edges.append(m.groups())
    return nodes, edges


def expected_dot(a):
    """The nodes and edges dot must draw for every bucket of the map, from the program's cells."""
    nodes, edges, column = {}, [], []
    for chain in reference.show_order(a):
        prefix = "old" if chain.old else "b"
        for b in chain.buckets:
            node = f"{prefix}{chain.index}_{b.depth}"
            title = f"{'old ' if chain.old else ''}bucket {chain.index}" + (f" overflow {b.depth}" if b.depth else "")
            rows = []
            for c in b.cells:
                name = reference.state(c.tophash)
                key = str(c.key) if name in (None, "evacuatedX", "evacuatedY") else ""
                rows.append((str(c.slot), DOT_FILL[name or "live"], f"{c.tophash:#04x} {name or ''}", key,
                             str(c.elem) if name is None else ""))
            nodes[node] = (f"{title} {b.addr:#x}", rows)
            if b.depth:
                edges.append((f"{prefix}{chain.index}_{b.depth - 1}", node, 'label="overflow"'))
        column.append(f"{prefix}{chain.index}_0")
    edges.append(("header", "b0_0", 'label="buckets"'))
    if a.growing():
        edges.append(("header", "old0_0", 'label="oldbuckets" style="dashed"'))
    edges += [(x, y, "style=invis") for x, y in zip(column, column[1:])]
    return nodes, edges


def test_dot_draws_every_bucket_cell_and_chain(maps_run, tmp_path):
    # growing: old buckets beside new ones, old overflow chains; u64s: overflow chains.
    names = ["growing", "u64s", "samesize"]
    out = maps_run([f"mapviz dot {name} {tmp_path / name}.dot --limit 32" for name in names])
    for name, said in zip(names, out):
        assert said == f"wrote {tmp_path / name}.dot"
        nodes, edges = parse_dot((tmp_path / f"{name}.dot").read_text())
        want_nodes, want_edges = expected_dot(maps_run.cells[name])
        assert nodes == want_nodes, name
        assert sorted(edges) == sorted(want_edges), name
        assert any(attrs == 'label="overflow"' for _, _, attrs in edges), name


def test_dot_renders_with_graphviz(maps_run, tmp_path):
    dot = tmp_path / "growing.dot"
    out = maps_run([f"mapviz dot growing {dot} --limit 4"])
    assert out[0] == f"wrote {dot}"
    text = dot.read_text()
    assert text.startswith("digraph u64s_map {")
    nodes, edges = parse_dot(text)
    assert sorted(nodes) == ["b0_0", "b1_0", "b2_0", "b3_0", "old0_0", "old1_0", "old2_0", "old3_0"]
    assert ("b3_0", "more", "style=invis") in edges and '  more [shape=box, label="... 28 more buckets"];' in text
    svg = subprocess.run(["dot", "-Tsvg", str(dot)], capture_output=True, check=True).stdout.decode()
    assert "<svg" in svg and "old bucket 0" in svg and "bucket 3" in svg and "28 more buckets" in svg


def test_parameters(maps_run):
    out = maps_run(["show mapviz max-buckets", "set mapviz max-buckets 1", "mapviz show u64s",
                    "set mapviz color on", "mapviz show u64s", "show mapviz color", "set mapviz color off",
                    "mapviz show u64s", "set mapviz max-buckets unlimited", "mapviz show u64s"])
    assert out[0] == "mapviz draws at most 64 buckets"
    assert "\x1b[" not in out[2] and re.search(r"^\.\.\. 15 more buckets", out[2], re.M)
    assert "\x1b[32m" in out[4] and "\x1b[0m" in out[4]
    assert out[5] == "mapviz colors: on (now on)"
    assert out[7] == out[2]
    assert "more buckets" not in out[9]


def test_completion(maps_run):
    out = maps_run(["complete mapviz show u64", "complete mapviz show u64s --su", "complete mapviz sl"])
    assert "mapviz show u64s" in out[0].splitlines()
    assert out[1] == "mapviz show u64s --summary"
    assert out[2] == "mapviz slot"


def test_auto_loaded_from_the_binary():
    # The library's .debug_gdb_scripts entry names gdb/mapviz.py of this tree.
    proc = subprocess.run(["gdb", "-nx", "-batch", "-iex", f"add-auto-load-safe-path {ROOT}",
                           "-ex", "info auto-load python-scripts", "-ex", "mapviz ls", str(fixture_path("maps"))],
                          capture_output=True, env=gdb_env(), timeout=60)
    out = proc.stdout.decode()
    assert re.search(r"Yes\s+\S*gdb/mapviz.py", out), out
    assert "map types (4):" in out


def test_sourcing_again_reloads_and_keeps_settings(maps_run):
    out = maps_run(["set mapviz max-buckets 2", f"source {ROOT / 'gdb' / 'mapviz.py'}", "show mapviz max-buckets",
                    "print u64s->h.count", "mapviz show u64s --summary"])
    assert out[2] == "mapviz draws at most 2 buckets"
    assert out[3] == "$1 = 85"
    assert "count 85 agrees with the 85 live entries" in out[4]


def test_color_auto_is_off_when_not_a_terminal_and_printer_is_listed(maps_run):
    out = maps_run(["set mapviz color auto", "show mapviz color", "mapviz show u64s --limit 1",
                    "info pretty-printer"])
    assert out[1] == "mapviz colors: auto (now off)"
    assert "\x1b[" not in out[2]
    assert "  mapviz" in out[3].splitlines()
