"""mapviz slot: where a key lives in a map, or where it would go."""
from . import model
from .cli import KEY_RULES, MapvizCommand, Parser


def render_slot(view, key):
    pos = view.design.locate(view, key)
    lines = [f"key {key.text}: {pos.hash_text}"]
    if pos.found:
        t, k, e = pos.cells
        lines.append(f"found: {pos.place_text}, elem {pos.elem_text}")
        lines.append(f"  {view.design.STATE_FIELD} byte {t:#x}, key cell {k:#x}, elem cell {e:#x}")
        return lines
    if pos.would_go is None:   # the header is unusable: hash_text says why
        return lines
    lines.append("absent" + (f" {pos.marker}" if pos.marker else ""))
    lines.append("would go: " + pos.would_go)
    return lines


class SlotCommand(MapvizCommand):
    SUMMARY = "Show where a key lives in a map, or where it would go."
    PARSER = Parser("slot", "Where KEY lives in the map: its hash (computed here, not in the program:\n"
                    "XXH3-64 with hash0 for hmap maps, the Go runtime's own for Go maps), tophash,\n"
                    "bucket (and old bucket while growing), then its bucket, overflow depth, slot\n"
                    "and the addresses of its tophash byte, key cell and elem cell; or, when\n"
                    "absent, where an insert would put it. A Go key whose hash cannot be\n"
                    "recomputed (one holding an interface) is found by scanning.",
                    KEY_RULES + "\n"
                    "examples: mapviz slot counts 40 + 2\n"
                    "          mapviz slot (counts_map *) 0x555555559ea0 42\n"
                    "          mapviz slot points {x = 1, y = -1}\n"
                    '          mapviz slot names "alice"\n'
                    "          mapviz slot main.tags {ID = 3, Name = \"t3\"}")
    PARSER.add_map_argument()
    SHAPE = "expr rest"
    PARSER.add_argument("key", metavar="KEY", help="the key")

    def run(self, args):
        view = model.map_view_of_expr(args.expr)
        return "\n".join(render_slot(view, view.key_codec.parse_key(view, args.key)))
