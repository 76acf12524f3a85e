"""Text shared by show, slot and ls: a map's header and layout in a line or two."""


def header_line(ref):
    c = ref.layout.consts
    h = ref.header
    n = 1 << h.B if h.B < 64 else 0
    load = h.count / n if n else 0.0
    return (f"{ref.type_name} {h.addr:#x}: count {h.count}, B {h.B} ({n} buckets), load {load:.2f}, "
            f"hash0 {h.hash0:#x}, flags {c.flags_text(h.flags)}, noverflow {h.noverflow}")


def growth_line(ref):
    h = ref.header
    if not h.growing():
        return None
    kind = "same size" if h.same_size_grow() else "doubling"
    nold = 1 << h.old_B() if 0 <= h.old_B() < 64 else 0
    return (f"growing ({kind}): oldbuckets {h.oldbuckets:#x}, {nold} old buckets, "
            f"nevacuate {h.nevacuate} ({h.nevacuate}/{nold} evacuated in order)")


def layout_line(lay):
    k = f"key {lay.key_type} ({lay.key_type.sizeof} bytes{', indirect' if lay.indirect_key else ''}" \
        f"{', hashed as a string' if lay.hash_kind == 'string' else ''})"
    e = f"elem {lay.elem_type} ({lay.elem_type.sizeof} bytes{', indirect' if lay.indirect_elem else ''})"
    return (f"layout: {k}, {e}; bucket {lay.bucket_size} bytes: tophash +{lay.tophash_offset}, "
            f"keys +{lay.keys_offset}, elems +{lay.elems_offset}, overflow +{lay.overflow_offset}")
