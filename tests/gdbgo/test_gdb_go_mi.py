"""GDB/MI front ends see a Go map's live entries as children: -var-create / -var-list-children."""
import re
import subprocess

from gotest import MAPVIZ, ROOT, go_binary, gdb_env, read_truth


def test_mi_children_of_a_go_map(tmp_path):
    truth = tmp_path / "truth"
    lines = ["-enable-pretty-printing", f'-interpreter-exec console "source {MAPVIZ}"',
             "-break-insert main.breakHere", "-exec-run", "-var-create m * main.dels",
             "-var-list-children --all-values m 0 40", "-gdb-exit"]
    proc = subprocess.run(["gdb", "-nx", "-q", "--interpreter=mi", "--args", str(go_binary("1.19", "gdbmaps")),
                           str(truth)], input="\n".join(lines) + "\n", stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120, env=gdb_env(), cwd=ROOT)
    assert "Traceback" not in proc.stdout and "Python Exception" not in proc.stdout, proc.stdout
    done = [l for l in proc.stdout.splitlines() if l.startswith("^done,")]
    assert 'type="map[int64]int64",displayhint="map"' in done[-2]
    kids = re.findall(r'child=\{name="m\.(\[\d+\])",exp="[^"]*",numchild="0",value="(-?\d+)"', done[-1])
    assert [name for name, _ in kids] == [f"[{i}]" for i in range(40)]
    values = [v for _, v in kids]
    pairs = dict(zip(values[0::2], values[1::2]))
    entries = read_truth(truth)["dels"].entries
    assert len(pairs) == 20 and all(entries[k] == v for k, v in pairs.items())
