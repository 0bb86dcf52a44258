"""A header's parameters split in one pass: the standard library's splitter is quadratic.

``email.message._parseparam`` (Python 3.11) recounts the quotes from the parameter's start at
every ``;`` and copies the rest of the string per parameter, so a ``Content-Type`` of many
``;`` inside an open quote took seconds for tens of kilobytes, and it runs whenever the mail is
parsed (a multipart boundary) or a charset or filename is read. ``linear_parseparam`` returns
exactly what it returns (``tests/unit/test_mail_params.py`` holds them equal on random
headers), in time linear in the header; ``install`` puts it in the standard library's place
for every message this process reads.
"""

import email.message


def _parameter(text: str) -> str:
    if "=" in text:
        i = text.index("=")
        text = text[:i].strip().lower() + "=" + text[i + 1 :].strip()
    return text.strip()


def linear_parseparam(value: object) -> list[str]:
    s = ";" + str(value)
    out: list[str] = []
    start, n = 1, len(s)
    while start <= n and s[start - 1] == ";":
        quotes = escaped = 0
        end = start
        while end < n:
            char = s[end]
            if char == ";" and (end == start or (quotes - escaped) % 2 == 0):
                break
            if char == '"':
                quotes += 1
                if end > start and s[end - 1] == "\\":
                    escaped += 1
            end += 1
        out.append(_parameter(s[start:end]))
        if end >= n:
            break
        start = end + 1
    return out


def install() -> None:
    email.message._parseparam = linear_parseparam  # type: ignore[attr-defined]
