"""Header parameters split in linear time, exactly as the standard library splits them."""

import email.message
import random
import time

from mailroom import letter  # noqa: F401 (installs the linear splitter)
from mailroom.params import linear_parseparam

STDLIB = email.message.Message.get_params.__globals__["_parseparam"]


def _stdlib_original(value: str) -> list[str]:
    """The standard library's own splitter (its source, before ``install`` replaced it)."""
    s = ";" + str(value)
    plist = []
    while s[:1] == ";":
        s = s[1:]
        end = s.find(";")
        while end > 0 and (s.count('"', 0, end) - s.count('\\"', 0, end)) % 2:
            end = s.find(";", end + 1)
        if end < 0:
            end = len(s)
        f = s[:end]
        if "=" in f:
            i = f.index("=")
            f = f[:i].strip().lower() + "=" + f[i + 1 :].strip()
        plist.append(f.strip())
        s = s[end:]
    return plist


def test_it_splits_exactly_as_the_standard_library() -> None:
    rng = random.Random(20261203)
    for _ in range(30_000):
        value = "".join(rng.choice(';"\\= aB\t') for _ in range(rng.randint(0, 30)))
        assert linear_parseparam(value) == _stdlib_original(value), repr(value)


def test_it_is_what_every_message_now_uses() -> None:
    assert STDLIB is linear_parseparam
    message = email.message_from_string('Content-Type: text/plain; charset="utf-8"; a=b\n\nx')
    assert message.get_content_charset() == "utf-8" and message.get_param("a") == "b"


def test_ten_times_the_header_costs_about_ten_times_the_work() -> None:
    """An open quote and many ``;``: quadratic before (x100 for x10), linear now."""

    def cost(n: int) -> float:
        value = 'text/plain; a="' + ";" * n
        began = time.process_time()
        for _ in range(5):
            linear_parseparam(value)
        return time.process_time() - began

    small, large = cost(20_000), cost(200_000)
    assert large < small * 30, (small, large)
