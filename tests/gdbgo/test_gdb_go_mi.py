"""GDB/MI front ends see a Go map's live entries as children: -var-create / -var-list-children,
typed by the map's own key and elem types (int64, string, main.tagged, *main.item), strings
as strings, structs and pointers expandable."""
import re
import subprocess

from gotest import MAPVIZ, ROOT, go_binary, gdb_env, read_truth


def run_mi(tmp_path, commands):
    """The ^done records of the commands (after the start-up ones), and the fixture's truth."""
    truth = tmp_path / "truth"
    lines = ["-enable-pretty-printing", f'-interpreter-exec console "source {MAPVIZ}"',
             "-break-insert main.breakHere", "-exec-run"] + commands + ["-gdb-exit"]
    proc = subprocess.run(["gdb", "-nx", "-q", "--interpreter=mi", "--args", str(go_binary("1.19", "gdbmaps")),
                           str(truth)], input="\n".join(lines) + "\n", stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120, env=gdb_env(), cwd=ROOT)
    assert "Traceback" not in proc.stdout and "Python Exception" not in proc.stdout, proc.stdout
    results = [l for l in proc.stdout.splitlines() if l.startswith("^")]
    # enable-pretty-printing, source, break-insert, exec-run (^running), then ours, then ^exit
    assert len(results) == len(commands) + 5 and all(r.startswith("^done") for r in results[4:-1]), proc.stdout
    return results[4:-1], read_truth(truth)


CHILD = re.compile(r'child=\{name="([^"]*)",exp="[^"]*",numchild="(\d+)",value="((?:[^"\\]|\\.)*)",type="([^"]*)"')


def children(record):
    """[(name, numchild, value, type)] of a -var-list-children --all-values record, the value
    unquoted from MI's C-string notation."""
    return [(name, int(n), re.sub(r"\\(.)", r"\1", value), type_)
            for name, n, value, type_ in CHILD.findall(record)]


def entries(kids):
    """{key value: elem value} of map children (key, elem, key, elem ...), and the key and
    elem types each child had."""
    keys, elems = kids[0::2], kids[1::2]
    assert len(keys) == len(elems)
    return {k[2]: e[2] for k, e in zip(keys, elems)}, {k[3] for k in keys}, {e[3] for e in elems}


def test_mi_children_of_a_go_map(tmp_path):
    out, truth = run_mi(tmp_path, ["-var-create m * main.dels", "-var-list-children --all-values m 0 40"])
    assert 'type="map[int64]int64",displayhint="map"' in out[0]
    kids = children(out[1])
    assert [name for name, *_ in kids] == [f"m.[{i}]" for i in range(40)]
    pairs, key_types, elem_types = entries(kids)
    assert len(pairs) == 20 and all(truth["dels"].entries[k] == v for k, v in pairs.items())
    assert key_types == elem_types == {"int64"}


def test_mi_children_have_the_maps_own_types_and_strings_are_strings(tmp_path):
    out, truth = run_mi(tmp_path, [
        "-var-create n * main.names", "-var-list-children --all-values n",
        "-var-create t * main.tags", "-var-list-children --all-values t",
        "-var-create p * main.points", "-var-list-children --all-values p 0 2",
        "-var-list-children --all-values p.[0]",
        "-var-create f * main.floats", "-var-list-children --all-values f"])
    names, key_types, elem_types = entries(children(out[1]))
    assert names == truth["names"].entries and (key_types, elem_types) == ({"string"}, {"int"})

    tags = children(out[3])
    assert {t for _, _, _, t in tags[0::2]} == {"main.tagged"} and {t for _, _, _, t in tags[1::2]} == {"int"}
    assert all(n == 2 and v == "{...}" for _, n, v, _ in tags[0::2])   # a struct key: expandable

    point, elem = children(out[5])
    assert point[1:] == (2, "{...}", "main.point") and elem[3] == "uint32"
    x, y = children(out[6])
    assert x[3] == y[3] == "int32" and f"{{X = {x[2]}, Y = {y[2]}}}" in truth["points"].entries
    assert truth["points"].entries[f"{{X = {x[2]}, Y = {y[2]}}}"] == elem[2]

    floats, key_types, elem_types = entries(children(out[8]))
    assert floats == truth["floats"].entries and (key_types, elem_types) == ({"float64"}, {"bool"})


def test_mi_struct_keys_and_pointer_elems_expand_to_typed_fields(tmp_path):
    out, truth = run_mi(tmp_path, [
        "-var-create t * main.tags", "-var-list-children --all-values t 0 2",
        "-var-list-children --all-values t.[0]",
        "-var-create q * main.ptrs", "-var-list-children --all-values q 0 2",
        "-var-list-children --all-values q.[1]"])
    (_, _, _, _), tag_elem = children(out[1])
    id_, name = children(out[2])
    assert (id_[3], name[3], name[1]) == ("int64", "string", 0)
    assert truth["tags"].entries[f"{{ID = {id_[2]}, Name = {name[2]}}}"] == tag_elem[2]
    assert re.fullmatch(r'"t\d+"', name[2])

    key, ptr = children(out[4])
    assert key[3] == "int64" and ptr[3] == "main.item *" and ptr[1] == 2
    assert truth["ptrs"].entries[key[2]] == ptr[2]
    n, item_name = children(out[5])
    assert (n[3], item_name[3]) == ("int", "string")
    assert n[2] == key[2] and item_name[2] == f'"item{key[2]}"'


def test_mi_interface_keys_are_their_dynamic_values(tmp_path):
    # map[interface{}]string{42: "int", "bob": "string", int64(7): "int64"}
    out, _ = run_mi(tmp_path, ["-var-create i * main.ifaces", "-var-list-children --all-values i"])
    kids = children(out[1])
    got = {(k[3], k[2]): e[2] for k, e in zip(kids[0::2], kids[1::2])}
    assert got == {("int", "42"): '"int"', ("string", '"bob"'): '"string"', ("int64", "7"): '"int64"'}
