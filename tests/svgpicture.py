"""Reading back a picture drawn by mapviz-trace --format svg or mapviz-render (XML parsed by
xml.etree), and holding it against the JSON Lines events it was drawn from."""
import re
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
RACE_INK = "#d62728"


def _classes(el):
    return set(el.get("class", "").split())


def _texts(el):
    return [t.text or "" for t in el.iter(NS + "text")]


class Picture:
    """The parts of a picture: lanes (by id), events (by seq), the legend's threads."""

    def __init__(self, path):
        self.root = ET.parse(path).getroot()
        assert self.root.tag == NS + "svg", self.root.tag
        self.width, self.height = int(self.root.get("width")), int(self.root.get("height"))
        self.lanes = {}
        for g in self.root.iter(NS + "g"):
            if "lane" in _classes(g) and g.get("data-lane") not in self.lanes:
                self.lanes[g.get("data-lane")] = {"field": g.get("data-field"), "addr": g.get("data-addr"),
                                                  "label": _texts(g)}
        self.events = {}
        for g in self.root.iter(NS + "g"):
            if "event" not in _classes(g):
                continue
            seq = int(g.get("data-seq"))
            assert seq not in self.events, f"event #{seq} drawn twice"
            rects = {r.get("class"): r for r in g.iter(NS + "rect")}
            title = g.find(NS + "title")
            self.events[seq] = {
                "type": g.get("data-type"), "tid": int(g.get("data-tid")), "lane": g.get("data-lane"),
                "race": "race" in _classes(g), "other_tid": g.get("data-other-tid"),
                "other_op": g.get("data-other-op"), "access": g.get("data-access"),
                "texts": _texts(g), "title": title.text if title is not None else "",
                "head": rects["head"], "cell": rects["cell"], "other": rects.get("other"),
            }
        self.threads = {}
        for g in self.root.iter(NS + "g"):
            if "thread" in _classes(g):
                r = g.find(NS + "rect")
                self.threads[int(g.get("data-tid"))] = {"tint": r.get("fill"), "ink": r.get("stroke"),
                                                        "texts": _texts(g)}
        self.legend = [t for g in self.root.iter(NS + "g") if "legend" in _classes(g) for t in _texts(g)]
        self.title = [t.text for t in self.root.iter(NS + "text") if t.get("class") in ("t1", "t2")]

    def canonical(self):
        """What the picture shows, with threads as their order of appearance and pids and tids
        left out (two runs of the same program differ only there, and in their times)."""
        order = {tid: i for i, tid in enumerate(self.threads)}
        tid_words = re.compile(r"\b(?:" + "|".join(str(t) for t in self.threads) + r")\b") if self.threads else None

        def plain(s):
            return tid_words.sub("T", s) if tid_words else s
        events = [(seq, e["type"], order[e["tid"]], e["lane"], e["race"], [plain(t) for t in e["texts"]],
                   e["head"].get("fill"), e["cell"].get("stroke"))
                  for seq, e in sorted(self.events.items())]
        return {"size": (self.width, self.height), "lanes": self.lanes, "events": events,
                "title": [re.sub(r"pid \d+", "pid P", t) for t in self.title],
                "legend": [plain(t) for t in self.legend]}


def shown(text, full):
    """Whether a cell's text is full, or full shortened to the cell (ending in an ellipsis)."""
    return text == full or (text.endswith("\u2026") and len(text) > 1 and full.startswith(text[:-1]))


def value(ev, which):
    """A value as the picture shows it: decoded, else raw hex (as the text writer)."""
    return ev.get(f"{which}_decoded") or ev[which]


def race_other(ev):
    """A race's other thread, {tid, op}: "other" (op null when not known), or in a recording
    made before it, other_tid alone."""
    return ev.get("other") or {"tid": ev["other_tid"], "op": None}


def check_picture(pic, events):
    """Every event of the JSON stream is in the picture: its column (seq, type, thread color),
    its cell in the lane of its field and address, the value (and old value; or for a race
    the access, read or write, and the other thread with the write operation it is inside,
    in the cell and its tooltip); moves and the exit in the stream's lane."""
    meta, stream = events[0], events[1:]
    assert meta["type"] == "meta"
    assert set(pic.events) == {e["seq"] for e in stream}, "events missing from or added to the picture"
    assert set(pic.threads) >= {e["tid"] for e in stream}, pic.threads
    for tid, color in pic.threads.items():  # each thread's events, and the races it was the writer in
        n = sum(e["tid"] == tid for e in stream)
        writer_in = sum(e["type"] == "race" and race_other(e)["tid"] == tid for e in stream)
        said = f"tid {tid}{' (main)' if tid == meta['pid'] else ''}: {n} event{'' if n == 1 else 's'}"
        if writer_in:
            said += f", the writer in {writer_in} race{'' if writer_in == 1 else 's'}"
        assert color["texts"] == [said], (color["texts"], said)
    states = meta["layout"]["states"]
    for name, v in states.items():
        assert f"{name} = {v}" in pic.legend, (name, pic.legend)
    for ev in stream:
        drawn = pic.events[ev["seq"]]
        where = f"#{ev['seq']} {ev['type']}"
        assert drawn["type"] == ev["type"] and drawn["tid"] == ev["tid"], (where, drawn)
        assert drawn["title"].startswith(f"#{ev['seq']} "), (where, drawn["title"])
        color = pic.threads[ev["tid"]]
        assert drawn["head"].get("fill") == color["tint"], where
        texts = drawn["texts"]
        assert texts[0] == f"#{ev['seq']}", (where, texts)
        if ev["type"] in ("write", "read", "race"):
            lane = pic.lanes[drawn["lane"]]
            assert lane["field"] == ev["field"] and lane["addr"] == ev["addr"], (where, lane)
            assert drawn["cell"].get("fill") in (color["tint"], "#ffffff"), where
            assert shown(texts[2], value(ev, "new")), (where, texts, value(ev, "new"))
            assert f"{ev['field']} of " in drawn["title"] and f"tid {ev['tid']}" in drawn["title"], where
            if ev["type"] == "race":
                other, access = race_other(ev), ev.get("access")
                inside = other["op"] or "a write"
                assert drawn["race"] and texts[1] == (f"RACE {access}" if access else "RACE"), (where, texts)
                assert drawn["access"] == access, (where, drawn["access"])
                assert drawn["cell"].get("stroke") == drawn["head"].get("stroke") == RACE_INK, where
                assert drawn["other_tid"] == str(other["tid"]) and drawn["other_op"] == (other["op"] or ""), where
                assert shown(texts[3], f"while tid {other['tid']}"), (where, texts)
                assert shown(texts[4], f"inside {inside}"), (where, texts)
                assert drawn["other"].get("fill") == pic.threads[other["tid"]]["ink"], where
                assert drawn["title"].startswith(f"#{ev['seq']} tid {ev['tid']} RACE " +
                                                 (f"{access} " if access else "") + f"{ev['op']}: "), where
                if access == "write":
                    assert f"{value(ev, 'old')} -> {value(ev, 'new')}" in drawn["title"], where
                assert f"while tid {other['tid']} is inside {inside}, a write to the map" in drawn["title"], where
            else:
                assert not drawn["race"] and texts[1] == ev["op"], (where, texts)
                assert drawn["cell"].get("stroke") == color["ink"], where
                want = f"was {value(ev, 'old')}" if ev["type"] == "write" else "read"
                assert shown(texts[3], want), (where, texts, want)
        elif ev["type"] == "move":
            assert texts[1] == "move" and texts[2] == ev["reason"], (where, texts)
            for k, line in (("from", texts[3]), ("to", texts[4])):
                end = ev[k]
                spot = "nowhere" if end is None else "map" if end["bucket"] is None else f"b{end['bucket']}"
                assert line.startswith(f"{k} ") and spot in line, (where, texts)
        elif ev["type"] == "note":
            assert texts[1] == "note" and shown(texts[2], ev["message"]), (where, texts)
            assert drawn["title"] == f"#{ev['seq']} note: {ev['message']}", (where, drawn["title"])
        elif ev["type"] == "exit":
            assert texts[1] == "exit" and texts[2] == ev["reason"], (where, texts)
            if ev["status"] is not None:
                assert texts[3] == f"status {ev['status']}", (where, texts)
