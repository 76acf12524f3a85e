"""An x86-64 instruction's memory operand, decoded with capstone (Debian's python3-capstone),
as mapviz-trace's tracer/disasm.c decodes it: the bytes an instruction names as memory it
writes, so that a write of an unchanged value is still a write.

written_range(frame) -> (lo, hi) or None: the bytes the instruction at the frame's pc
writes, computed from its registers before it runs. Only the address and size of the
operand are decoded; whether memory changed is for the caller to see.
"""
from .errors import MapvizError

# Instructions that only compare: capstone 4 marks some of their memory operands written.
COMPARES_ONLY = ("test", "cmp", "ucomis", "comis", "ptest", "vptest", "vucomis", "vcomis")
MAX_INSN = 15

_decoder = []


def _capstone():
    if not _decoder:
        try:
            import capstone
            from capstone import x86
        except ImportError:
            raise MapvizError("python3-capstone is needed to decode instructions (apt-get install "
                              "python3-capstone)") from None
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        md.syntax = capstone.CS_OPT_SYNTAX_ATT
        md.detail = True
        _decoder.append((md, capstone, x86))
    return _decoder[0]


def _compares_only(mnemonic):
    if mnemonic.startswith(COMPARES_ONLY):
        return True
    return mnemonic.startswith("bt") and mnemonic[2:] in ("", "w", "l", "q")


def decode(code, pc):
    """(instruction text, written range as (base reg, index reg, scale, disp, size) or None,
    length) of the instruction in code (its bytes) at pc; None when it does not decode."""
    md, capstone, x86 = _capstone()
    insn = next(md.disasm(code, pc, 1), None)
    if insn is None:
        return None
    text = f"{insn.mnemonic} {insn.op_str}".strip()
    operand, writes = None, False
    for op in insn.operands:
        if op.type != x86.X86_OP_MEM:
            continue
        # The last memory operand is the one that counts (movs: the destination), as in disasm.c.
        masked = "{%k" in insn.op_str   # a masked store writes only some of its bytes
        operand = (op.mem.base, op.mem.index, op.mem.scale, op.mem.disp, 0 if masked else op.size)
        if op.access & capstone.CS_AC_WRITE and not _compares_only(insn.mnemonic):
            writes = True
    return text, (operand if writes else None), insn.size, md


def written_range(frame, read_code):
    """(instruction text, (lo, hi) or None) for the instruction at frame.pc(); read_code(addr,
    n) -> bytes. Registers are the frame's (the newest frame: before the instruction runs)."""
    pc = frame.pc()
    got = decode(read_code(pc, MAX_INSN), pc)
    if got is None:
        return None, None
    text, operand, length, md = got
    if operand is None or not operand[4]:
        return text, None
    base, index, scale, disp, size = operand
    _, _, x86 = _capstone()

    def value(reg):
        if reg == 0:
            return 0
        if reg == x86.X86_REG_RIP:
            return pc + length   # rip-relative: from the end of the instruction
        return int(frame.read_register(md.reg_name(reg))) & ((1 << 64) - 1)

    try:
        lo = (value(base) + value(index) * (scale or 1) + disp) & ((1 << 64) - 1)
    except (ValueError, RuntimeError):   # a register GDB does not name as capstone does
        return text, None
    return text, (lo, lo + size)
