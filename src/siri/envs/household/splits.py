"""Train / eval / unseen splits of the household generator (docs/environments.md, "Common contract").

Seeds: a user seed `s` of split `k` (0 train, 1 eval, 2 unseen) becomes the internal generator seed
`3·s + k`, so the three splits draw from disjoint seed sets for every `s ≥ 0`.

Unseen rule: the goal of a task pairs an object type with a target type (the receptacle type it must
end in, or the lamp type for the light task). A pair is *unseen-only* when
`crc32("{object}/{target}") % 5 == 0`; train and eval never make a task with such a pair, and the
unseen split makes only such pairs (in layouts from its own seed set), like ALFWorld's
`valid_unseen`. crc32 is fixed across machines and Python versions, unlike `hash()`.
"""

from __future__ import annotations

import zlib

from siri.envs.base import SPLITS, EnvError, check_split

UNSEEN_MODULUS = 5


def internal_seed(seed: int, split: str) -> int:
    """The generator's seed for user `seed` in `split`: disjoint integer sets per split."""
    check_split(split)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise EnvError(f"seed must be a non-negative integer, got {seed!r}")
    return len(SPLITS) * seed + SPLITS.index(split)


def is_unseen_pair(obj_type: str, target_type: str) -> bool:
    """True for (object type, target type) goal pairs reserved for the unseen split."""
    return zlib.crc32(f"{obj_type}/{target_type}".encode()) % UNSEEN_MODULUS == 0


def pair_allowed(obj_type: str, target_type: str, split: str) -> bool:
    return is_unseen_pair(obj_type, target_type) == (split == "unseen")
