"""Seeded random streams: one independent stream per named part, so output never depends on
the order parts are generated in (and nothing depends on time or set iteration order)."""

from __future__ import annotations

import random
import zlib

import numpy as np


def _key(parts: tuple[object, ...]) -> list[int]:
    return [zlib.crc32(str(part).encode("utf-8")) for part in parts]


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF, *_key(parts)])


def random_for(seed: int, *parts: object) -> random.Random:
    return random.Random(int(rng_for(seed, *parts).integers(0, 2**62)))
