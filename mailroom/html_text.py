"""An HTML mail body as plain text, in one pass over the input.

Neither a backtracking pattern nor the standard library's ``html.parser`` (quadratic on an
unclosed ``<script`` or ``<!--`` in Python 3.11): every search starts where the last one ended,
and a search that finds nothing ends the scan, so no character is looked at more than a fixed
number of times whatever a stranger wrote.
"""

import html

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: tags whose contents are never text
_SKIPPED = ("script", "style")
#: tags that end a line
_BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"})


def _tag_name(tag: str) -> tuple[str, bool]:
    """The name of ``<...>``'s inside (lowercase) and whether it is an end tag."""
    closing = tag.startswith("/")
    body = tag[1:] if closing else tag
    end = 0
    while end < len(body) and end < 20 and (body[end].isascii() and body[end].isalnum()):
        end += 1
    return body[:end].translate(_LOWER), closing


def html_to_text(source: str) -> str:
    """The text of ``source``: tags dropped, script and style dropped with their contents,
    line-ending tags as newlines, entities decoded; an unclosed construct ends the text."""
    low = source.translate(_LOWER)  # same length as ``source`` (ASCII letters only)
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        lt = source.find("<", i)
        if lt < 0:
            out.append(source[i:])
            break
        out.append(source[i:lt])
        if source.startswith("<!--", lt):
            end = source.find("-->", lt + 4)
            if end < 0:
                break
            i = end + 3
            continue
        gt = source.find(">", lt + 1)
        if gt < 0:  # no tag closes any more: the rest is not text
            break
        name, closing = _tag_name(source[lt + 1 : gt])
        i = gt + 1
        if name in _BREAKS:
            out.append("\n")
        elif name in _SKIPPED and not closing:
            end = low.find("</" + name, i)
            if end < 0:
                break
            close = source.find(">", end)
            if close < 0:
                break
            i = close + 1
    text = "".join(out)
    try:
        return html.unescape(text)
    except ValueError:  # a character reference of thousands of digits: left as written
        return text
