"""mapviz dot on a Go map: the same column headers and a legend of Go's slot states."""
import sys
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "gdb"))
from test_gdb_dot_legend import check_headers, legend_and_fills  # noqa: E402
from test_gdb_tools import parse_dot  # noqa: E402

GO_STATES = ["emptyRest", "emptyOne", "evacuatedX", "evacuatedY", "evacuatedEmpty"]   # runtime/map.go


def test_go_dot_legend_and_headers(go_run):
    out = go_run(["mapviz dot main.same"])
    field, legend, cell_fill = legend_and_fills(out[0])
    assert field == "tophash" and [name for _, name, _ in legend] == ["live"] + GO_STATES, legend
    fills = {name: fill for fill, name, _ in legend}
    assert cell_fill and all(fills[name] == fill for name, fill in cell_fill.items())
    check_headers(out[0], parse_dot(out[0])[0], field)
