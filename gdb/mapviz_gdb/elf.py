"""The one ELF reading mapviz needs: a named section's bytes from a file."""
import struct


def section_bytes(path, name):
    """The contents of section `name` of the ELF64 little-endian file at path, or None."""
    try:
        with open(path, "rb") as f:
            ident = f.read(64)
            if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
                return None
            shoff, = struct.unpack_from("<Q", ident, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", ident, 0x3a)
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            headers = [struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize) for i in range(shnum)]
            strtab = headers[shstrndx]
            f.seek(strtab[4])
            names = f.read(strtab[5])
            for h in headers:
                end = names.find(b"\0", h[0])
                if names[h[0]:end].decode() == name:
                    if h[1] == 8:  # SHT_NOBITS
                        return b""
                    f.seek(h[4])
                    return f.read(h[5])
    except (OSError, struct.error, IndexError, UnicodeDecodeError):
        return None
    return None
