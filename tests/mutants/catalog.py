"""The mutants `make mutants` applies (scripts/mutants): each a wrong answer mapviz could give,
and the tests that must catch it.

A mutant is one or more edits, each replacing text that must occur exactly once in its file.
Its tests are a few files or test ids (pytest node ids), not the whole suite: the ones that
name the feature broken, so the check runs in minutes. When code moves and a snippet no longer
occurs once, the runner says which mutant, file and snippet: copy the new text here.
"""
import collections

Edit = collections.namedtuple("Edit", "file original replacement")
Mutant = collections.namedtuple("Mutant", "name what edits tests")


def mutant(name, what, edits, tests):
    return Mutant(name, what, [Edit(*e) for e in edits], tests)


GDB_SLOT = "tests/gdb/test_gdb_slot.py"
GDB_SHOW = "tests/gdb/test_gdb_show.py"
GDB_PRINT = "tests/gdb/test_gdb_print.py"
GDB_GO = "tests/gdbgo/test_gdb_go_maps.py"
SUMMARY = GDB_SHOW + "::test_bucket_limit_and_summary_options"
TRACER_DELETE = "tests/tracer/test_delete.py"
TRACER_SLOT = "tests/tracer/test_slot.py"

# design_classic.insert_position answering with the last empty cell of the chain, not the first.
LAST_EMPTY_CELL = ("gdb/mapviz_gdb/model/design_classic.py", """\
            if c.is_empty(th[s]):
                return (index, b, s), None
""", """\
            later = [t for x in buckets[buckets.index(b) + 1:] for t in x.tophash(lay)] + list(th[s + 1:])
            if c.is_empty(th[s]) and not any(c.is_empty(t) for t in later):
                return (index, b, s), None
""")

MUTANTS = [
    # --- the GDB extension ---
    mutant("slot-last-empty-cell", "slot says an absent key goes to the last empty cell",
           [LAST_EMPTY_CELL], [GDB_SLOT + "::test_absent_keys_say_where_they_would_go"]),
    mutant("watch-last-empty-cell", "watch of an absent key arms the last empty cell",
           [LAST_EMPTY_CELL], ["tests/gdb/test_gdb_watch.py::test_watch_of_an_absent_key_watches_where_it_would_go"]),
    mutant("show-emptyrest-as-emptyone", "show prints emptyRest cells as 0x01 emptyOne",
           [("gdb/mapviz_gdb/model/design_classic.py", """\
    def state_text(self, view, state):
        return view.layout.consts.tophash_text(state)""", """\
    def state_text(self, view, state):
        return view.layout.consts.tophash_text(1 if state == 0 else state)""")],
           [GDB_SHOW + "::test_header_and_every_slot_of_a_map_with_tombstones"]),
    mutant("show-state-names-swapped", "evacuatedX is named evacuatedY",
           [("gdb/mapviz_gdb/model/design_classic.py",
             'self.state_name = {v: k for k, v in self.states.items() if k != "minTopHash"}',
             'self.state_name = {v: k.replace("evacuatedX", "evacuatedY") for k, v in self.states.items() '
             'if k != "minTopHash"}')],
           [GDB_SHOW + "::test_old_buckets_beside_new_ones_mid_growth"]),
    mutant("show-stale-key-wrong-bucket", "a stale evacuatedX key is said to have gone to bucket i + 2^oldB",
           [("gdb/mapviz_gdb/model/design_classic.py",
             'dest = cv.index + (newbit if name == "evacuatedY" else 0)',
             'dest = cv.index + (newbit if name == "evacuatedX" else 0)')],
           [GDB_SHOW + "::test_old_buckets_beside_new_ones_mid_growth"]),
    mutant("summary-empty-counts-swapped", "--summary swaps the emptyOne and emptyRest counts",
           [("gdb/mapviz_gdb/model/design_classic.py",
             "{st['emptyOne']} emptyOne (tombstones), {st['emptyRest']} emptyRest",
             "{st['emptyRest']} emptyOne (tombstones), {st['emptyOne']} emptyRest")],
           [GDB_PRINT + "::test_deleted_entries_are_not_printed_though_their_keys_stay_in_memory", SUMMARY]),
    mutant("summary-occupancy-halved", "--summary halves the occupancy",
           [("gdb/mapviz_gdb/model/design_classic.py", 'occupancy = 100.0 * st["live"] / cells if cells else 0.0',
             'occupancy = 50.0 * st["live"] / cells if cells else 0.0')], [SUMMARY]),
    mutant("summary-chains-one-bucket", "--summary says every chain is 1 bucket long",
           [("gdb/mapviz_gdb/model/design_classic.py", '''f"{n} bucket{'s' if n > 1 else ''}: {k}"''', 'f"1 bucket: {k}"')],
           [SUMMARY]),
    mutant("show-old-after-new", "show prints old bucket i after new bucket i for every i > 0",
           [("gdb/mapviz_gdb/model/design_classic.py", """\
            yield old_view
        view = _chain_view(new, i, False)
""", """\
            if i > 0:
                yield _chain_view(new, i, False)
                yield old_view
                k += 1
                continue
            yield old_view
        view = _chain_view(new, i, False)
""")], [GDB_SHOW + "::test_old_buckets_beside_new_ones_mid_growth"]),
    mutant("dot-no-edges-all-white", "dot draws no edge and every slot white",
           [("gdb/mapviz_gdb/cmd_dot.py", """lines.append(f'  {previous} -> {node_id} [label="{label}"{style}];')""",
             "pass"),
            ("gdb/mapviz_gdb/cmd_dot.py", 'bgcolor="{fill[name or "live"]}"', 'bgcolor="white"')],
           ["tests/gdb/test_gdb_tools.py::test_dot_draws_every_bucket_cell_and_chain"]),
    mutant("cycle-not-marked", "an overflow chain that loops back ends without a <cycle> marker",
           [("gdb/mapviz_gdb/model/design_classic.py", 'return out, f"<cycle: overflow {ovf:#x} already in chain>"',
             "return out, None")], ["tests/gdb/test_gdb_fuzz.py"]),

    # --- the GDB extension on Go maps ---
    mutant("go-hash-without-aes", "Go keys hashed with the fallback hash though the runtime uses aeshash",
           [("gdb/mapviz_gdb/model/source_go.py", 'use_aes = _symbol_bytes("runtime.useAeshash", 1)[0] != 0',
             "use_aes = False")],
           [GDB_GO + "::test_slot_finds_every_key_where_the_program_says"]),
    mutant("go-indirect-elem-read-as-direct", "a Go elem over 128 bytes is decoded from its cell, not its pointee",
           [("gdb/mapviz_gdb/model/source_go.py", "    return st.target().strip_typedefs().sizeof > max_size",
             "    return False")],
           [GDB_GO + "::test_show_of_string_struct_pointer_and_indirect_maps"]),
    mutant("go-printer-after-runtime-gdb", "with runtime-gdb.py loaded, `print m` is Go's printer's",
           [("gdb/mapviz_gdb/printer.py", "objfile.pretty_printers[:] = [_printer] + [",
             "objfile.pretty_printers[:] = [")],
           ["tests/gdbgo/test_gdb_go_runtime_gdb.py"]),

    # --- mapviz-trace ---
    mutant("tracer-lines-plus-7", "every source line the tracer reports is 7 lines late",
           [("tracer/base/dbg.c", "e->info.line = lineno;", "e->info.line = lineno + 7;")],
           [TRACER_DELETE + "::test_emptyrest_walk_across_overflow_buckets_matches_step"]),
    mutant("tracer-state-name-off-by-one", "the tracer names each tophash state by the next state's name",
           [("tracer/model/design_classic.c", "if (l->states[i].value == (int64_t)v && ",
             "if (l->states[i].value == (int64_t)v + 1 && ")],
           [TRACER_DELETE + "::test_delete_demo_trajectory_text"]),
    mutant("tracer-bucket-off-by-one", "the tracer reports every cell in the next bucket",
           [("tracer/model/design.c", "p->bucket = l->bucket;", "p->bucket = l->bucket + 1;")],
           [TRACER_SLOT + "::test_key_followed_through_doublings_and_same_size_growth"]),
    mutant("tracer-drops-same-value-write", "a store of the value already there is not reported",
           [("tracer/modes/report.c", "bool writes = !have || insn.writes_mem || memcmp(now, r->shadow, len) != 0;",
             "bool writes = memcmp(now, r->shadow, len) != 0;")],
           [TRACER_DELETE + "::test_last_entry_reseeds_hash0_same_value_write_reported"]),
    mutant("tracer-misses-new-thread", "a thread created after setup is never armed",
           [("tracer/target/target.c", """\
			if (T->ready) {
				target_arm_thread(T, t, T->watches);""", """\
			if (!T->ready) {
				target_arm_thread(T, t, T->watches);""")],
           [TRACER_SLOT + "::test_four_threads_every_write_seen"]),
    mutant("tracer-sigterm-not-handled", "SIGTERM kills the tracer without detaching",
           [("tracer/session/main.c", "SIGALRM, SIGTERM,   SIGSTKFLT,", "SIGALRM, SIGSTKFLT,")],
           ["tests/tracer/test_attach.py::test_signal_detaches_and_the_process_finishes[delete-15]"]),
    mutant("tracer-sighup-not-handled", "SIGHUP kills the tracer without detaching",
           [("tracer/session/main.c", "{SIGHUP,  SIGINT, ", "{SIGINT, ")],
           ["tests/tracer/test_attach.py::test_signal_detaches_and_the_process_finishes[slot-1]"]),
    mutant("tracer-events-on-stdout", "events go to standard output when -o is not given",
           [("tracer/session/main.c", "\tT->out = stderr;\n", "\tT->out = stdout;\n")],
           ["tests/tracer/test_options.py::test_events_go_to_standard_error_by_default"]),
    mutant("tracer-long-stack-means-reads", "--stack is taken for --reads",
           [("tracer/session/main.c", """{"stack", no_argument, 0, 's'}""", """{"stack", no_argument, 0, 'r'}""")],
           ["tests/tracer/test_options.py::test_long_options_mean_the_short_ones"]),
    mutant("tracer-long-max-events-dropped", "--max-events is not a known option",
           [("tracer/session/main.c", """{"max-events", required_argument, 0, 'n'}, """, "")],
           ["tests/tracer/test_options.py::test_long_options_mean_the_short_ones"]),
    mutant("tracer-attach-wrong-executable", "-p reads the process's working directory as its executable",
           [("tracer/session/session.c", 'snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);',
             'snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);')],
           ["tests/tracer/test_attach.py::test_setup_error_leaves_attached_process_untouched"]),

    # --- the race witness and the pictures ---
    mutant("race-other-op-is-the-readers", "a race's other thread is named by the accessing thread's op",
           [("tracer/modes/race.c", "e->other_op = who == T->race.holder ? T->race.holder_op : op;",
             "e->other_op = e->op;")],
           ["tests/tracer/test_race.py::test_a_reader_stopped_by_the_maps_check_has_its_race_reported_first"]),
    mutant("svg-one-color-for-every-thread", "the picture gives every thread the first thread's color",
           [("tracer/events/svg.c", "\tint known = thread_known(tid);\n\tif (known >= 0)\n\t\treturn known;",
             "\tint known = thread_known(tid);\n\tif (known >= 0 || pic.nthreads)\n\t\treturn known >= 0 ? known : 0;")],
           ["tests/tracer/test_svg.py"]),
    mutant("print-text-children-off-by-one-cell", "print's bulk decode shows each live slot's neighbour",
           [("gdb/mapviz_gdb/model/codec_base.py",
             "return map(repr, itertools.compress(memoryview(cells).cast(self._digits.format[-1]), live))",
             "return map(repr, itertools.compress(memoryview(cells).cast(self._digits.format[-1]), live[1:] + live[:1]))")],
           ["tests/gdb/test_gdb_print_big.py", GDB_GO]),

    # --- hmap and its unit tests ---
    mutant("hmap-never-same-size-growth", "overflow buckets never start a same-size growth",
           [("hmap/hmap.c", "return noverflow >= (uint16_t)1 << (B & 15);", "return false;")],
           ["tests/hmap/test_hmap_unit.py::test_case[plain-1-evacuation_snapshots]"]),
    mutant("hmap-unit-case-dropped", "a unit case is dropped from hmap_test's table",
           [("tests/hmap/hmap_test.c", '\t{"same_size_grow", test_same_size_grow},\n', "")],
           ["tests/hmap/test_hmap_unit.py::test_every_case_is_collected"]),
]
