"""The little ELF reading mapviz needs: a section's bytes, the data symbols' names."""
import struct

SHT_NOBITS = 8
SHT_SYMTAB = 2
STT_OBJECT = 1


def _sections(f):
    """[(name, type, offset, size, link, entsize)] of an ELF64 little-endian file, or []."""
    ident = f.read(64)
    if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
        return []
    shoff, = struct.unpack_from("<Q", ident, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", ident, 0x3a)
    f.seek(shoff)
    table = f.read(shentsize * shnum)
    headers = [struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx]
    f.seek(strtab[4])
    names = f.read(strtab[5])
    out = []
    for h in headers:
        end = names.find(b"\0", h[0])
        out.append((names[h[0]:end].decode("utf-8", "replace"), h[1], h[4], h[5], h[6], h[9]))
    return out


def section_bytes(path, name):
    """The contents of section `name` of the ELF file at path, or None."""
    try:
        with open(path, "rb") as f:
            for sname, stype, off, size, _, _ in _sections(f):
                if sname == name:
                    if stype == SHT_NOBITS:
                        return b""
                    f.seek(off)
                    return f.read(size)
    except (OSError, struct.error, IndexError):
        return None
    return None


def data_symbols(path):
    """Names of the data objects (STT_OBJECT) in the file's .symtab: its variables."""
    try:
        with open(path, "rb") as f:
            sections = _sections(f)
            for sname, stype, off, size, link, entsize in sections:
                if stype != SHT_SYMTAB or not entsize:
                    continue
                f.seek(off)
                table = f.read(size)
                f.seek(sections[link][2])
                strings = f.read(sections[link][3])
                names = []
                for i in range(0, len(table) - entsize + 1, entsize):
                    st_name, st_info = struct.unpack_from("<IB", table, i)
                    if st_info & 0xf == STT_OBJECT and st_name:
                        names.append(strings[st_name:strings.find(b"\0", st_name)].decode("utf-8", "replace"))
                return names
    except (OSError, struct.error, IndexError):
        return []
    return []
