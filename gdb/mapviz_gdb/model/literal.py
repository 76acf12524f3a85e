"""String literals as mapviz writes string keys and values, for the C and the Go codecs
(and the key parser, which shows a parsed key the same way)."""


def quote(data, complete=True):
    """A C-like string literal for bytes of a string key."""
    body = data.decode("utf-8", "backslashreplace").replace("\\", "\\\\").replace('"', '\\"')
    body = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in body)
    return f'"{body}"' + ("" if complete else "...")
