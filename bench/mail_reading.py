"""`python -m bench.mail_reading`: reading a mail costs time linear in its size, whatever the
stranger who wrote it put in it.

For each hostile shape (an unclosed ``<script``, ``<!--``, ``<`` and entities in HTML, a long
line of spaces or stars in the template, long headers), a mail of n and of 10n characters is
read the way the sorter reads it (``read_letter`` then ``read_fields``), best of three CPU
times; the target is 10x the input at most 15x the time (quadratic code gives ~100x). Ratios
are taken in one run, so a loaded machine slows both sides alike. Writes
bench/mail_reading.json; ``BENCH_MAIL_SIZE`` sets n (default 200,000).
"""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from mailroom.letter import read_letter
from mailroom.template import read_fields

TARGET = 15.0
_HEAD = "From: <a@example.org>\r\nTo: <sro-inquiries@icr.example>\r\nMessage-ID: <x@y>\r\n"


def _mail(
    body: str, content_type: str = "text/plain", headers: str = "", charset: str = "utf-8"
) -> bytes:
    return (
        f"{_HEAD}{headers}Subject: hello\r\nContent-Type: {content_type}; charset={charset}\r\n"
        f"\r\n{body}\r\n"
    ).encode()


def _fill(unit: str, n: int) -> str:
    return unit * max(n // len(unit), 1)


SHAPES: dict[str, Callable[[int], bytes]] = {
    "html unclosed <script": lambda n: _mail(_fill("<script", n), "text/html"),
    "html unclosed <!--": lambda n: _mail(_fill("<!--", n), "text/html"),
    "html lone <": lambda n: _mail(_fill("<", n), "text/html"),
    "html entities": lambda n: _mail(_fill("&#1", n), "text/html"),
    "html tags": lambda n: _mail(_fill("<p a='b'>x</p>", n), "text/html"),
    "template line of spaces": lambda n: _mail(_fill(" ", n)),
    "template line of stars": lambda n: _mail(_fill("*", n) + ":"),
    "template labels": lambda n: _mail(_fill("A-Number: A123456789\r\n", n)),
    "long subject": lambda n: _mail("x", headers=f"X-Long: {_fill('=?utf-8?q?a?= ', n)}\r\n"),
    "references of <": lambda n: _mail("x", headers=f"References: {_fill('<', n)}\r\n"),
    # Python's punycode (and idna, which uses it) decode in worse than linear time
    "charset=punycode": lambda n: _mail("-" + _fill("b", n), charset="punycode"),
    "charset=idna": lambda n: _mail("xn--" + _fill("b", n), charset="idna"),
    "punycode words": lambda n: _mail("x", headers=f"Subject: =?punycode?q?-{_fill('b', n)}?=\r\n"),
}


def read_once(raw: bytes) -> float:
    """CPU seconds to read ``raw`` as the sorter does."""
    start = time.process_time()
    letter = read_letter(raw)
    read_fields(letter.text)
    return time.process_time() - start


def ratio(shape: Callable[[int], bytes], n: int, repeats: int = 3) -> tuple[float, float, float]:
    """(seconds at n, seconds at 10n, their ratio), best of ``repeats`` each."""
    small, large = shape(n), shape(10 * n)
    a = min(read_once(small) for _ in range(repeats))
    b = min(read_once(large) for _ in range(repeats))
    return a, b, b / max(a, 1e-6)


def main() -> None:
    n = int(os.environ.get("BENCH_MAIL_SIZE", "200000"))
    rows = {}
    for name, shape in SHAPES.items():
        a, b, r = ratio(shape, n)
        rows[name] = {"seconds_n": round(a, 5), "seconds_10n": round(b, 5), "ratio": round(r, 2)}
        mark = "ok" if r <= TARGET else "OVER"
        print(f"{name:28} n={n:>8} {a:8.4f}s  10n {b:8.4f}s  x{r:6.2f}  {mark}")
    worst = max(row["ratio"] for row in rows.values())
    print(f"worst ratio x{worst:.2f} (target <= x{TARGET:g})")
    out = Path(__file__).with_name("mail_reading.json")
    out.write_text(json.dumps({"n": n, "target": TARGET, "shapes": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
