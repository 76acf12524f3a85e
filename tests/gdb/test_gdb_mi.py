"""GDB/MI front ends (IDEs) see a map's live entries: -var-create / -var-list-children and
-stack-list-locals, with pretty printing enabled as front ends enable it."""
import re
import subprocess

from gdbtest import MAPVIZ, ROOT, fixture_path, gdb_env, read_truth

# locals.c: counts holds keys 0..9 but 3, elem = key * 10.
LIVE = {k: k * 10 for k in range(10) if k != 3}


def run_mi(commands, program="locals", args=()):
    """The MI result record (^done... or ^error...) of each command, in order."""
    lines = ["-enable-pretty-printing", f'-interpreter-exec console "source {MAPVIZ}"',
             "-break-insert break_here", "-exec-run"] + commands + ["-gdb-exit"]
    proc = subprocess.run(["gdb", "-nx", "-q", "--interpreter=mi", "--args", str(fixture_path(program)),
                           *map(str, args)],
                          input="\n".join(lines) + "\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120, env=gdb_env(), cwd=ROOT)
    assert "Traceback" not in proc.stdout and "Python Exception" not in proc.stdout, proc.stdout
    results = [l for l in proc.stdout.splitlines() if l.startswith("^")]
    # enable-pretty-printing, source, break-insert, exec-run (^running), then ours, then ^exit
    assert len(results) == len(commands) + 5, proc.stdout
    return results[4:-1]


def children(record, var):
    """[(child name, value)] of a -var-list-children --all-values record."""
    return re.findall(rf'child={{name="{re.escape(var)}\.(\[\d+\])",exp="[^"]*",numchild="\d+",value="([^"]*)"',
                      record)


def as_pairs(kids):
    """{key: elem} of map children: key, elem, key, elem..., named [0], [1], [2]..."""
    assert [name for name, _ in kids] == [f"[{i}]" for i in range(len(kids))]
    values = [int(v) for _, v in kids]
    pairs = list(zip(values[0::2], values[1::2]))
    assert len(pairs) == len(set(k for k, _ in pairs)), "a key shown twice"
    return dict(pairs)


def test_var_objects_list_the_live_entries():
    out = run_mi(["-var-create --thread 1 --frame 1 v * *counts", "-var-list-children --all-values v",
                  "-var-create --thread 1 --frame 1 p * counts", "-var-list-children --all-values p"])
    for created, listed, var in ((out[0], out[1], "v"), (out[2], out[3], "p")):
        assert created.startswith("^done,") and 'displayhint="map"' in created and 'dynamic="1"' in created
        assert 'has_more="1"' in created, created   # children exist before anything printed the value
        assert listed.startswith(f'^done,numchild="{2 * len(LIVE)}",displayhint="map"'), listed
        assert as_pairs(children(listed, var)) == LIVE


def test_var_children_in_ranges_and_after_to_string():
    # A front end asks for a range of children first, or evaluates the value first.
    out = run_mi(["-var-create --thread 1 --frame 1 v * *counts", "-var-list-children --all-values v 0 4",
                  "-var-create --thread 1 --frame 1 w * *counts", "-var-evaluate-expression w",
                  "-var-list-children --all-values w"])
    first = children(out[1], "v")
    assert len(first) == 4 and all(LIVE[int(k)] == int(e) for (_, k), (_, e) in zip(first[0::2], first[1::2]))
    assert as_pairs(children(out[4], "w")) == LIVE


def test_stack_list_locals_prints_the_map():
    out = run_mi(["-stack-list-locals --thread 1 --frame 1 --all-values"])
    m = re.fullmatch(r'\^done,locals=\[\{name="counts",value="counts_map of length 9 = \{(.*)\}"\}\]', out[0])
    assert m, out[0]
    shown = {int(k): int(v) for k, v in re.findall(r"\[(\d+)\] = (\d+)", m.group(1))}
    assert shown == LIVE and m.group(1).count("[") == len(LIVE)


TYPED_CHILD = re.compile(r'child=\{name="[^"]*",exp="[^"]*",numchild="(\d+)",value="((?:[^"\\]|\\.)*)",type="([^"]*)"')


def typed_children(record):
    """[(numchild, value, type)] of a -var-list-children --all-values record."""
    return [(int(n), value, type_) for n, value, type_ in TYPED_CHILD.findall(record)]


def test_var_children_have_the_maps_key_and_elem_types(tmp_path):
    # maps.c: u64s_map (uint64_t -> uint64_t), names_map (const char * -> int),
    # points_map (struct point {int32_t x, y} -> uint32_t, y = x * x, elem = x + 10).
    out = run_mi(["-var-create u * u64s", "-var-list-children --all-values u",
                  "-var-create n * *names", "-var-list-children --all-values n",
                  "-var-create p * *points", "-var-list-children --all-values p 0 2",
                  "-var-list-children --all-values p.[0]"], program="maps", args=[tmp_path / "truth"])
    truth = read_truth(tmp_path / "truth")
    u64s = typed_children(out[1])
    assert {t for _, _, t in u64s} == {"uint64_t"}
    assert {(int(k[1]), int(e[1])) for k, e in zip(u64s[0::2], u64s[1::2])} == \
        {(e.key, e.elem) for e in truth["u64s"].entries}

    names = typed_children(out[3])
    assert {t for _, _, t in names[0::2]} == {"const char *"} and {t for _, _, t in names[1::2]} == {"int"}
    assert any(re.fullmatch(r'0x[0-9a-f]+ \\"banana\\"', v) for _, v, _ in names[0::2]), out[3]

    (n, value, key_type), (_, elem, elem_type) = typed_children(out[5])
    assert (n, value, key_type, elem_type) == (2, "{...}", "struct point", "uint32_t")
    (_, x, x_type), (_, y, y_type) = typed_children(out[6])
    assert x_type == y_type == "int32_t" and int(y) == int(x) ** 2 and int(elem) == int(x) + 10
