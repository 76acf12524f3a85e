"""mapviz slot: where a key lives in a map, or where it would go."""
from . import layout as layouts
from .cells import codecs
from .cli import KEY_RULES, MapvizCommand, Parser
from .hashing import bucket_mask, tophash
from .keys import parse_key
from .walk import arrays, find_key, header_problems, insert_position


def locate(ref, key):
    """(hash, Location or None, marker or None) of key in the map."""
    hash_ = key.hash(ref)
    loc, marker = find_key(ref, hash_, key.matcher(ref))
    return hash_, loc, marker


def cell_addresses(lay, loc):
    b, s = loc.bucket, loc.slot
    return b.tophash_addr(lay, s), b.key_addr(lay, s), b.elem_addr(lay, s)


def render_slot(ref, key):
    c = ref.layout.consts
    h, lay = ref.header, ref.layout
    problems = header_problems(ref)
    if problems:
        return [f"key {key.text}: " + " ".join(problems)]
    hash_, loc, marker = locate(ref, key)
    index = hash_ & bucket_mask(h.B)
    head = f"key {key.text}: hash {hash_:#018x}, tophash {tophash(hash_, c):#04x}, bucket {index} of {1 << h.B}"
    new, old = arrays(ref)
    old_evacuated = True
    if old is not None:
        oi = hash_ & bucket_mask(h.old_B())
        try:
            old_evacuated = c.is_evacuated_bucket(old.bucket(oi).tophash(lay)[0])
            state = "evacuated" if old_evacuated else "not evacuated: the key is looked up there"
        except Exception:
            state = "<unreadable>"
        head += f"; old bucket {oi} of {old.n} ({state})"
    lines = [head]
    if loc is not None:
        t, k, e = cell_addresses(lay, loc)
        where = "old bucket" if loc.in_old else "bucket"
        elem = codecs(lay)[1].text(loc.bucket.elem_cell(lay, loc.slot))
        lines.append(f"found: {where} {loc.bucket_index} overflow {loc.bucket.depth} slot {loc.slot}, elem {elem}")
        lines.append(f"  tophash byte {t:#x}, key cell {k:#x}, elem cell {e:#x}")
        return lines
    lines.append("absent" + (f" {marker}" if marker else ""))
    if new is None:
        lines.append("would go: bucket 0 slot 0 (the first insert allocates the buckets)")
        return lines
    num, den = c.load_factor
    if not h.growing() and h.count + 1 > 8 and h.count + 1 > num * ((1 << h.B) // den):
        lines.append(f"would go: an insert first starts a growth (count {h.count + 1} > "
                     f"{num / den:g} x {1 << h.B} buckets), then lands in bucket {hash_ & bucket_mask(h.B + 1)}")
        return lines
    if not old_evacuated:
        lines.append(f"would go: an insert first evacuates old bucket {hash_ & bucket_mask(h.old_B())}, "
                     f"then takes the first empty cell of bucket {index}")
        return lines
    pos, marker = insert_position(ref, hash_)
    if pos is None:
        lines.append("would go: " + (marker or "unknown"))
        return lines
    index, b, s = pos
    if s is None:
        lines.append(f"would go: bucket {index}, a new overflow bucket after overflow {b.depth} (chain full)"
                     + (f" {marker}" if marker else ""))
    else:
        state = c.state_name.get(b.tophash(lay)[s], "?")
        lines.append(f"would go: bucket {index} overflow {b.depth} slot {s} (first empty cell, {state}), "
                     f"tophash byte {b.tophash_addr(lay, s):#x}")
    return lines


class SlotCommand(MapvizCommand):
    NAME = "slot"
    SUMMARY = "Show where a key lives in a map, or where it would go."
    PARSER = Parser("slot", "Where KEY lives in the map: its hash (XXH3-64 with the map's hash0, computed\n"
                    "here, not in the program), tophash, bucket (and old bucket while growing),\n"
                    "then its bucket, overflow depth, slot and the addresses of its tophash byte,\n"
                    "key cell and elem cell; or, when absent, where an insert would put it.",
                    KEY_RULES + "\n"
                    "examples: mapviz slot counts 40 + 2\n"
                    "          mapviz slot (counts_map *) 0x555555559ea0 42\n"
                    "          mapviz slot points {x = 1, y = -1}\n"
                    '          mapviz slot names "alice"')
    PARSER.add_map_argument()
    SHAPE = "expr rest"
    PARSER.add_argument("key", metavar="KEY", help="the key")

    def run(self, args):
        ref = layouts.map_ref_of_expr(args.expr)
        return "\n".join(render_slot(ref, parse_key(ref, args.key)))
