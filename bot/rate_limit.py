"""Per-conversation and per-client rate limits for the REST channel, never in the way of a crisis.

Token buckets in this process's memory: a bucket holds up to `per_minute` messages and refills at
`per_minute` a minute. With several Rasa servers each keeps its own buckets (see README
"Deployment"). The channel asks `RateLimiter.check` before a message reaches Rasa, so it runs
before the NLU's crisis detection; two exemptions keep a limit from ever hiding crisis resources:

- a conversation's first `always_allow_first` messages always pass (a person in crisis often says
  so at once, and the classifier that catches what the rules miss only runs inside Rasa);
- a message the project's crisis rules match passes at any time (`is_crisis`, run only for a
  message that would otherwise be refused, so it costs nothing in normal use).

Exempt messages still take a token, so they count against the next ones.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional

# Buckets idle this long are full again and are dropped; the dict also never exceeds MAX_TRACKED.
IDLE_FORGET_S = 3600.0
MAX_TRACKED = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float
    messages: int = 0


@dataclass(frozen=True)
class Decision:
    """Whether a message may pass; when not, how many seconds until it would."""

    allowed: bool
    retry_after_s: int = 0
    limit: str = ""  # "conversation" or "client" when refused


class _Buckets:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: "OrderedDict[str, _Bucket]" = OrderedDict()

    def refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.per_minute), updated=now)
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            refill = (now - bucket.updated) * self.per_minute / 60.0
            bucket.tokens = min(float(self.per_minute), bucket.tokens + refill)
            bucket.updated = now
        return bucket

    def seconds_until_token(self, bucket: _Bucket) -> int:
        missing = 1.0 - bucket.tokens
        return max(1, math.ceil(missing * 60.0 / self.per_minute))

    def forget_idle(self, now: float) -> None:
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if now - oldest.updated < IDLE_FORGET_S:
                return
            del self._buckets[key]


class RateLimiter:
    """Decides, per message, whether a conversation and a client are within their limits."""

    def __init__(
        self,
        conversation_per_minute: int,
        client_per_minute: int,
        always_allow_first: int,
        is_crisis: Callable[[str], bool] = lambda text: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conversations = _Buckets(conversation_per_minute)
        self._clients = _Buckets(client_per_minute)
        self._always_allow_first = always_allow_first
        self._is_crisis = is_crisis
        self._clock = clock

    def check(self, conversation: str, client: str, text: Optional[str]) -> Decision:
        now = self._clock()
        self._conversations.forget_idle(now)
        self._clients.forget_idle(now)
        limits = [
            ("conversation", self._conversations, conversation),
            ("client", self._clients, client),
        ]
        active = [
            (name, buckets, buckets.refilled(key, now))
            for name, buckets, key in limits
            if buckets.per_minute > 0
        ]
        conversation_bucket = self._conversations.refilled(conversation, now)
        conversation_bucket.messages += 1
        refused = next(((n, b, k) for n, b, k in active if k.tokens < 1.0), None)
        exempt = conversation_bucket.messages <= self._always_allow_first
        if refused is not None and not exempt and not self._is_crisis(text or ""):
            conversation_bucket.messages -= 1  # a refused message was not part of the conversation
            name, buckets, bucket = refused
            return Decision(False, buckets.seconds_until_token(bucket), name)
        for _, _, bucket in active:
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
        return Decision(True)
