"""How one window's per-profile budget is split over shard documents.

The window's ``tokens`` are divided exactly among ``shards`` documents: shard ``i`` may
hand out ``cap(i)``, and the caps add up to the limit. A shard's ``count`` is what
instances have taken from it, less what they gave back. Instances take blocks from
shards, never single tokens, so the write rate on a shard depends on how many
instances lease from it, not on how many tokens they mint.

The number of shards grows with the instances the profile may run
(``deploy.max_instances``): one shard per two instances, so that at one lease per
instance per ``LEASE_SECONDS`` (10 s) a shard takes about a fifth of a write per
second, and the first blocks of a flood spread over several documents. A
small limit gets fewer shards (at least ``MIN_SHARD_TOKENS`` each): its whole window
costs few writes anyway. The document names carry the number of shards, so instances
that disagree on it (a redeploy that changed ``max_instances`` mid-window) never share a
document they would split differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokenvend.quotas.store import counter_id

INSTANCES_PER_SHARD = 2
MIN_SHARD_TOKENS = 16


@dataclass(frozen=True)
class Shards:
    """The shard documents of one profile's per-profile limit."""

    profile: str
    tokens: int
    per_seconds: int
    count: int

    @classmethod
    def of(cls, profile: str, tokens: int, per_seconds: int, max_instances: int) -> Shards:
        wanted = math.ceil(max_instances / INSTANCES_PER_SHARD)
        return cls(profile, tokens, per_seconds, max(1, min(wanted, tokens // MIN_SHARD_TOKENS)))

    def cap(self, shard: int) -> int:
        """How many tokens shard ``shard`` may hand out in a window."""
        share, extra = divmod(self.tokens, self.count)
        return share + (1 if shard < extra else 0)

    def counter(self, window_start: int, shard: int) -> str:
        return counter_id(
            self.profile, "profile", self.per_seconds, window_start, f"{shard}of{self.count}"
        )

    def counters(self, window_start: int) -> list[str]:
        return [self.counter(window_start, shard) for shard in range(self.count)]
