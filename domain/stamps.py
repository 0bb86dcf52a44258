"""The stamps a case has already accepted, so a signed decision counts once.

A stamp's nonce is remembered for as long as the stamp stays fresh; older entries are dropped.
The memory is bounded: past ``LIMIT`` entries the oldest go (down to ``KEEP``), and ``floor``
rises to the newest signing time dropped, so a stamp at or before it is refused as too old
rather than replayable.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel

LIMIT = 1000
KEEP = LIMIT * 3 // 4


class SeenStamps(BaseModel):
    nonces: dict[str, datetime] = {}
    floor: datetime | None = None

    def refusal(self, nonce: str, signed_at: datetime) -> str | None:
        if nonce in self.nonces:
            return "this signed decision was already received (its stamp is used); send it anew"
        if self.floor is not None and signed_at <= self.floor:
            return "the decision's signature is older than this case accepts; send it anew"
        return None

    def remember(self, nonce: str, signed_at: datetime, now: datetime, fresh: timedelta) -> None:
        """Amortized: the memory is pruned only once it passes ``LIMIT``."""
        self.nonces[nonce] = signed_at
        if len(self.nonces) <= LIMIT:
            return
        self.nonces = {n: at for n, at in self.nonces.items() if now - at <= fresh}
        if len(self.nonces) <= KEEP:
            return
        ordered = sorted(self.nonces.items(), key=lambda item: item[1])
        cut = len(ordered) - KEEP
        newest_dropped = ordered[cut - 1][1]
        self.floor = max(newest_dropped, self.floor) if self.floor else newest_dropped
        self.nonces = dict(ordered[cut:])
