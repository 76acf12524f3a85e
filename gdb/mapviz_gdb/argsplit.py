"""How a mapviz command line is cut into options, an expression and its last argument.

GDB hands a command its line as one string. An expression takes the rest of the
line, spaces and all, as `print` does; options come before it (`--` ends them).
Options of the long form (`--limit 3`) are also accepted at the very end of the
line, since a C expression cannot end in a word that starts with `--`.

The line is first cut into top-level words: whitespace separates words except
inside (), [], {} or a quoted string ('...' or "...", with backslash escapes),
so `(counts_map *) 0x55` is two words and `{x = 1, y = -1}` one.
"""

_OPEN = {"(": ")", "[": "]", "{": "}"}


def top_level_spans(text, separators=str.isspace):
    """(start, end) of each top-level word of text; separators(ch) says what cuts."""
    spans, start, stack, quote, escaped = [], None, [], None, False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if not stack and separators(ch):
            if start is not None:
                spans.append((start, i))
                start = None
            continue
        if start is None:
            start = i
        if ch in "\"'":
            quote = ch
        elif ch in _OPEN:
            stack.append(_OPEN[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
    if start is not None:
        spans.append((start, len(text)))
    return spans


def split_top_level(text, separators=str.isspace):
    """The top-level words of text (see top_level_spans)."""
    return [text[s:e] for s, e in top_level_spans(text, separators)]


def _is_option_word(word):
    """-h or --name (not -1, not a lone - or --)."""
    if word.startswith("--"):
        return len(word) > 2 and word[2].isalpha()
    return len(word) > 1 and word[0] == "-" and word[1].isalpha()


class CommandLine:
    """A command line cut into option words (for argparse) and the positional text.

    option_takes_value(word) -> bool|None: whether an option word needs the next word
    as its value (None: not an option of the command, argparse reports it).
    """

    def __init__(self, text, option_takes_value):
        self.text = text
        spans = top_level_spans(text)
        words = [text[s:e] for s, e in spans]
        self.options = []
        i = 0
        explicit_end = False
        while i < len(words):
            w = words[i]
            if w == "--":
                explicit_end = True
                i += 1
                break
            if not _is_option_word(w):
                break
            i = self._take_option(words, i, option_takes_value)
        end = len(words)
        if not explicit_end:
            end = self._trailing_options(words, i, option_takes_value)
        self.positional_spans = spans[i:end]

    def _take_option(self, words, i, option_takes_value):
        w = words[i]
        self.options.append(w)
        if "=" not in w and option_takes_value(w) and i + 1 < len(words):
            self.options.append(words[i + 1])
            return i + 2
        return i + 1

    def _trailing_options(self, words, first, option_takes_value):
        """Where trailing `--name [VALUE]` options start (after at least one positional word)."""
        for j in range(first + 1, len(words)):
            if not words[j].startswith("--") or not _is_option_word(words[j]):
                continue
            k, taken = j, []
            while k < len(words) and words[k].startswith("--") and _is_option_word(words[k]):
                taken.append(words[k])
                if "=" not in words[k] and option_takes_value(words[k]):
                    if k + 1 >= len(words):
                        break
                    taken.append(words[k + 1])
                    k += 1
                k += 1
            if k == len(words):
                self.options += taken
                return j
        return len(words)

    @property
    def positional_text(self):
        """The positional part of the line, as typed (spaces inside kept)."""
        if not self.positional_spans:
            return ""
        return self.text[self.positional_spans[0][0]:self.positional_spans[-1][1]]
