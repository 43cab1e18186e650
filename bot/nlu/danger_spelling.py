"""Danger words that survive misspelling, for the crisis rules.

People in danger write fast, at night, on a phone: "sucidal", "kil myslef", "overdsoe", "cuting",
"dieing". The crisis matcher reads lemmas, so a misspelled danger word matched no rule. This maps
a token to the danger word it misspells, and the crisis matcher reads that word's lemma instead
(`CrisisMatcher`: for the rules only; the classifiers read the words as written, and learn
misspellings from the training data).

A token is read as a danger word when it is not a word in its own right and is close enough:

- the same first letter (people rarely get it wrong, and it keeps "bye" from "dye" from "die");
- a word of 8 letters or more: at most two edits (a letter dropped, added, changed, or two
  neighbours swapped: optimal string alignment distance); 5 to 7 letters: one edit;
- a short word (4 letters or fewer, "kill", "die", "cut"): only a doubled letter written once
  ("kil"), a letter written twice ("cutt") or two neighbours swapped after the first ("hnag"),
  since one changed letter makes too many other words of it ("bill", "kilt", "cot");
- never a word in its own right: every English word spaCy's lemma tables know ("dye", "cute",
  "kiln", "dyeing") and its "-in" form ("sittin"), the domain's terms, and the words the rules
  list under `never` (slang, brands, names);
- never a misspelling another word explains better: "sittin" is one letter from "sitting" and
  two from "slitting", so it is "sitting"; "shool" is one letter from "school" and from "shoot",
  but "school" needs no letter changed, so it is "school". A letter dropped, doubled or swapped,
  or a vowel or c/s/k/z confused, is how people misspell; another letter changed is a slip that
  another word may explain better (`likeness`). A tie goes to the danger word.

Which English words are close to a danger word is worked out once, when the pipeline is built;
the pipeline keeps only those, so reading a message costs a cached look-up per token, and a few
edit distances for a token seen for the first time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple

from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

# Word lengths at which a misspelling may be one or two edits away.
ONE_EDIT_FROM = 5
TWO_EDITS_FROM = 8
# Tokens outside these lengths are never read as a danger word.
MIN_TOKEN = 3
MAX_TOKEN = 16
CACHE_SIZE = 50_000
# Letters people confuse when they spell by sound: a substitution between two of one group is a
# misspelling rather than a slip.
SOUND_ALIKE = ("aeiouy", "cksz")


def max_edits(word: str) -> int:
    """How many edits away a misspelling of `word` may be (0: short words, see `short_variants`)."""
    if len(word) >= TWO_EDITS_FROM:
        return 2
    if len(word) >= ONE_EDIT_FROM:
        return 1
    return 0


def short_variants(word: str) -> Iterator[str]:
    """The misspellings a short word may have: a doubled letter once ("kil"), a letter twice
    ("cutt"), two neighbours after the first letter swapped ("hnag", "slef")."""
    for i in range(1, len(word)):
        if word[i] == word[i - 1]:
            yield word[:i] + word[i + 1 :]
        yield word[: i + 1] + word[i] + word[i + 1 :]
        if i + 1 < len(word) and word[i] != word[i + 1]:
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _sound_alike(a: str, b: str) -> bool:
    return any(a in group and b in group for group in SOUND_ALIKE)


def likeness(token: str, word: str) -> Tuple[int, int]:
    """How far `token` is from `word`: the edits (letters dropped, added, changed, neighbours
    swapped), then how many of them changed a letter into one that does not sound alike. Smaller
    is closer. Pure Python; called only for a token first seen near a danger word."""
    rows, cols = len(token) + 1, len(word) + 1
    table = [[(0, 0)] * cols for _ in range(rows)]
    for i in range(rows):
        table[i][0] = (i, 0)
    for j in range(cols):
        table[0][j] = (j, 0)
    for i in range(1, rows):
        for j in range(1, cols):
            a, b = token[i - 1], word[j - 1]
            edits, slips = table[i - 1][j - 1]
            if a == b:
                best = (edits, slips)
            else:
                best = (edits + 1, slips + (not _sound_alike(a, b)))
            up, left = table[i - 1][j], table[i][j - 1]
            best = min(best, (up[0] + 1, up[1]), (left[0] + 1, left[1]))
            if i > 1 and j > 1 and a == word[j - 2] and token[i - 2] == b:
                swap = table[i - 2][j - 2]
                best = min(best, (swap[0] + 1, swap[1]))
            table[i][j] = best
    return table[-1][-1]


class DangerSpelling:
    """Maps misspelled danger words to the danger word (`correct`)."""

    def __init__(
        self,
        lemmas: Dict[str, str],
        protected: Iterable[str] = (),
        variants: Optional[Dict[str, str]] = None,
        neighbours: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        # danger word form -> its lemma ("killing" -> "kill")
        self.lemmas = dict(lemmas)
        # words in their own right that a danger word's misspelling could be taken for
        self.protected: FrozenSet[str] = frozenset(protected)
        # misspellings listed by hand (too far for the edit distance) -> the danger word form
        self.variants = dict(variants or {})
        # danger word -> the words a misspelling of it may be as close to (see `build`)
        self.neighbours = {word: list(near) for word, near in (neighbours or {}).items()}
        self._short: Dict[str, str] = {}
        self._long: Dict[str, List[str]] = {}
        for word in self.lemmas:
            if max_edits(word) == 0:
                for variant in short_variants(word):
                    self._short.setdefault(variant, word)
            else:
                self._long.setdefault(word[0], []).append(word)
        self.correct = lru_cache(maxsize=CACHE_SIZE)(self._correct)

    @classmethod
    def build(
        cls,
        lemmas: Dict[str, str],
        english: Iterable[str],
        never: Iterable[str] = (),
        variants: Optional[Dict[str, str]] = None,
    ) -> DangerSpelling:
        """The mapping, with the words in their own right that a danger word's misspelling could
        be taken for (every English word, its "-in" form, every `never` word): those within reach
        of a danger word are protected, those up to twice as far are its neighbours, the words
        another misspelling may be as close to. Only those are kept."""
        unprotected = cls(lemmas, variants=variants)
        known = {w.lower() for w in english if w.isalpha()} - set(lemmas)
        # "sittin" for "sitting": people drop the g of any -ing word, not only of danger words.
        known |= {w[:-1] for w in known if w.endswith("ing") and len(w) > 5} - set(lemmas)
        words = sorted(known | ({w.lower() for w in never} - set(lemmas)))
        near = {w for w in words if w in unprotected._short}
        neighbours: Dict[str, List[str]] = {}
        for first, danger in unprotected._long.items():
            farthest = 2 * max(map(max_edits, danger))
            shortest = min(map(len, danger)) - farthest
            longest = max(map(len, danger)) + farthest
            candidates = [w for w in words if w[0] == first and shortest <= len(w) <= longest]
            if not candidates:
                continue
            distances = cdist(
                candidates,
                danger,
                scorer=OSA.distance,
                score_cutoff=farthest,
                dtype="int32",
                workers=1,
            )
            reach = [max_edits(word) for word in danger]
            for candidate, row in zip(candidates, distances.tolist(), strict=True):
                for word, distance, edits in zip(danger, row, reach, strict=True):
                    if distance <= edits:
                        near.add(candidate)
                    # A misspelling within `edits` of `word` that is as close to `candidate` is
                    # at most twice `edits` from `word`.
                    if distance <= 2 * edits:
                        neighbours.setdefault(word, []).append(candidate)
        return cls(lemmas, protected=near, variants=variants, neighbours=neighbours)

    def _correct(self, token: str) -> Optional[str]:
        """The danger word `token` misspells, or None (for the danger words themselves too)."""
        if token in self.variants:
            return self.variants[token]
        if (
            token in self.lemmas
            or token in self.protected
            or not MIN_TOKEN <= len(token) <= MAX_TOKEN
            or not token.isalpha()
        ):
            return None
        short = self._short.get(token)
        if short is not None:
            return short
        best: Optional[Tuple[Tuple[int, int], str]] = None
        for word in self._long.get(token[0], ()):
            reach = max_edits(word)
            if abs(len(word) - len(token)) > reach:
                continue
            if OSA.distance(token, word, score_cutoff=reach) > reach:
                continue
            score = likeness(token, word)
            if best is None or score < best[0]:
                best = (score, word)
        if best is None:
            return None
        score, word = best
        # Another word that explains the misspelling better wins: it is what was meant. A tie
        # goes to the danger word: reading "wirst" as "wrist" asks, reading it as "worst" may not.
        for other in self.neighbours.get(word, ()):
            if OSA.distance(token, other, score_cutoff=score[0]) <= score[0]:
                if likeness(token, other) < score:
                    return None
        return word

    def lemma(self, token: str) -> Optional[str]:
        """The lemma of the danger word `token` misspells, or None."""
        word = self.correct(token)
        return self.lemmas.get(word, word) if word is not None else None

    def to_dict(self) -> Dict[str, Any]:
        return {
            "lemmas": self.lemmas,
            "protected": sorted(self.protected),
            "variants": self.variants,
            "neighbours": self.neighbours,
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> DangerSpelling:
        return cls(
            data["lemmas"],
            protected=data["protected"],
            variants=data.get("variants"),
            neighbours=data.get("neighbours"),
        )
