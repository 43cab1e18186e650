"""Builds the project's own spaCy pipeline that Rasa's SpacyNLP loads by path.

spaCy's pretrained models are not reachable from where this runs, so the pipeline is a blank
English tokenizer, the lookup lemmatizer from `spacy-lookups-data`, an entity ruler for the domain's
terms (`bot/nlu/rules/terms.yml`: medications by generic and brand name, treatments), the
project's rule-based crisis matcher compiled from `bot/nlu/rules/crisis.yml` and its matcher of
personal concerns from `bot/nlu/rules/personal.yml`, written to `build/`.
"""

# No `from __future__ import annotations`: spaCy validates factory signatures at runtime.
import argparse
import itertools
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, cast

import spacy
import yaml
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import EntityRuler, Lemmatizer
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from bot.nlu.danger_spelling import DangerSpelling

PIPELINE_NAME = "en_mindwork"
DEFAULT_OUTPUT = Path("build") / "spacy" / PIPELINE_NAME
RULES_DIR = Path(__file__).with_name("rules")
CRISIS_RULES = RULES_DIR / "crisis.yml"
PERSONAL_RULES = RULES_DIR / "personal.yml"
TERMS = RULES_DIR / "terms.yml"
# Spans of a message about the writer's own situation, labelled by concern (personal.yml).
PERSONAL_SPANS = "personal"
CRISIS_SPANS = "crisis"
# Spans that make a message not about present danger: idioms, safety statements, research
# questions, the long past. Labelled by that reason; see `not_crisis` in crisis.yml.
CONTEXT_SPANS = "crisis_context"
# The crisis spans from firm (`+`) patterns: first-person present danger.
FIRM_SPANS = "crisis_firm"
# Ambiguous phrasings that call for a check-in, not a crisis turn; see `check_in` in crisis.yml.
CHECK_IN_SPANS = "crisis_check_in"
# Words about death, self-harm and its means; see `danger_words` in crisis.yml.
DANGER_SPANS = "crisis_danger"
# Crisis and check-in spans that a context explained (an idiom, the past, a joke...), by
# category: a context may turn a crisis turn into a check-in, never silence the danger.
EXPLAINED_SPANS = "crisis_explained"
# Tokens the crisis rules read as the danger word they misspell ("sucidal"), labelled by that word.
SPELLING_SPANS = "crisis_spelling"
# The one context that can cancel a firm (`+`) crisis pattern over all its words: an explicit
# statement of safety; and one over any of its words: play (a game, a song, a goodbye to a forum).
SAFETY = "safety"
PLAY = "play"
# A goodbye to a forum or an app: it explains every goodbye phrasing of the message.
FORUM = "forum"
FORUM_EXPLAINS = frozenset({"suicidal_coded"})
# Contexts that explain only some categories: symptoms that keep coming back are no emergency
# now, and say nothing about the rest of the message.
EXPLAINS_ONLY = {"chronic": frozenset({"medical_emergency"})}
# The words of a goodbye phrasing a forum goodbye explains ("bye everyone", "my last update"):
# "i won't be here tomorrow" is said in other words and stands.
GOODBYE_WORDS = frozenset({"bye", "goodbye", "farewell", "byee", "cya", "last", "final"})
# A laugh or "jk" anywhere: a message-level sign of play that overlaps no danger words (the guard
# reads it in short messages only); it cancels nothing itself.
JOKING = "joking"
# Said not to be a joke ("not joking", "i mean it"): no laugh makes the message play.
SERIOUS = "serious"
# How near after danger words or a crisis phrasing a laugh must be to make them play.
JOKING_REACH = 8
# Contexts that only keep the classifier alone from calling a crisis; a rule match stands.
# "can i take advil with my sertraline" is a medication question, "can i take all my pills" is not.
CLASSIFIER_ONLY_CONTEXTS = {"question", JOKING, SERIOUS}
# Contexts that only explain the rule match they overlap (someone else's death, someone else's
# words): the rest of a long post may still say the writer is in danger, so they do not keep the
# classifier from calling a crisis.
RULE_ONLY_CONTEXTS = {"grief", "others_said"}
FIRM = "+"
SPELLING_FILE = "spelling.json"
# The matcher key of a part of a rule made of parts anywhere in a message (`together`).
PART = "crisis_part"
# How far apart, in tokens, the parts of a `together` rule may be by default.
TOGETHER_WINDOW = 80
MAX_GAP = 8
# Where spacy-lookups-data's table is wrong for this assistant's words: "dying" is "dye" there,
# which made "dye my hair" a word about death.
LEMMA_FIXES = {"dying": "die"}
# Words that a `^N` gap may not skip: "people who are suicidal" is about others, "people like me
# who are suicidal" is not.
FIRST_PERSON = [
    "i",
    "im",
    "i'm",
    "id",
    "i'd",
    "ive",
    "i've",
    "ill",
    "i'll",
    "me",
    "my",
    "mine",
    "myself",
    "m",
    "'m",
    "we",
    "us",
    "our",
]

# Real posts often run a title into the body or skip the space after a full stop ("leave a
# note?i am 20", "im done.alright"): the punctuation between two words splits them, so the words
# are read as words. After at least two letters, so "e.g." and "i.e." stay whole.
FUSED_SENTENCE_INFIXES = [r"(?<=[a-z]{2})[?!.]+(?=[a-z])"]

# "<many>": a count past a usual dose ("took 2 tablets" is a dose, "took 20" is not).
MANY = sorted(
    {str(n) for n in range(5, 1000)}
    | {
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "hundred",
        "dozen",
        "dozens",
        "hundreds",
    }
)

TokenPattern = List[Dict[str, Any]]


def compile_pattern(
    pattern: str, lemma_of: Any, lexicon: Optional[Dict[str, List[str]]] = None
) -> TokenPattern:
    """Turns one line of the rule syntax (see crisis.yml) into a spaCy Matcher pattern."""
    tokens: TokenPattern = []
    for part in expand_lexicon(pattern.removeprefix(FIRM), lexicon or {}).split():
        if part.startswith(("~", "^")):
            gap = int(part[1:])
            if not 0 < gap <= MAX_GAP:
                raise ValueError(f"gap {part} out of range in {pattern!r}")
            skip: Dict[str, Any] = (
                {"OP": "?"} if part[0] == "~" else {"LOWER": {"NOT_IN": FIRST_PERSON}, "OP": "?"}
            )
            tokens.extend(dict(skip) for _ in range(gap))
        elif part.startswith("!"):
            # one token that is none of these words (by lower-case form)
            tokens.append({"LOWER": {"NOT_IN": sorted(part[1:].split("|"))}})
        elif part == "<num>":
            tokens.append({"LIKE_NUM": True})
        elif part == "<many>":
            tokens.append({"LOWER": {"IN": MANY}})
        elif part == "<year>":
            tokens.append({"SHAPE": "dddd"})
        elif part.startswith("<shape:") and part.endswith(">"):
            tokens.append({"SHAPE": part[len("<shape:") : -1]})
        elif part == "<ordinal>":
            tokens.append({"SHAPE": {"IN": ["dxx", "ddxx"]}})
        else:
            exact = {word[1:] for word in part.split("|") if word.startswith("=")}
            words = {word for word in part.split("|") if not word.startswith("=")}
            if exact and words:
                raise ValueError(f"mixing =exact and lemma forms in {part!r} of {pattern!r}")
            if exact:
                tokens.append({"LOWER": {"IN": sorted(exact)}})
            else:
                forms = words | {lemma_of(word) for word in words}
                tokens.append({"LEMMA": {"IN": sorted(forms)}})
    if not tokens or "OP" in tokens[0] or "OP" in tokens[-1]:
        raise ValueError(f"a pattern must start and end with a word: {pattern!r}")
    return tokens


# Words spaCy's English tokenizer splits in two ("gonna" -> "gon" "na"), so a rule alternative
# written whole would never match; each gets a variant with the two tokens, whose second one
# already says "to" ("gonna ~1 to die" -> "gon na die").
SPLIT_WORDS = {"gonna": ["gon", "na"], "gotta": ["got", "ta"]}


def split_word_variants(pattern: str) -> List[str]:
    """The pattern, plus one variant where alternatives the tokenizer splits are its tokens."""
    firm = FIRM if pattern.startswith(FIRM) else ""
    parts = pattern.removeprefix(FIRM).split()
    variant: List[str] = []
    changed = False
    index = 0
    while index < len(parts):
        part = parts[index]
        split = next((SPLIT_WORDS[w] for w in part.split("|") if w in SPLIT_WORDS), None)
        index += 1
        if split is None:
            variant.append(part)
            continue
        changed = True
        variant.extend(split)
        following = parts[index : index + 2]
        if following[:1] == ["to"]:
            index += 1
        elif len(following) == 2 and following[0].startswith("~") and following[1] == "to":
            index += 2
    return [pattern, firm + " ".join(variant)] if changed else [pattern]


# Words people join to the next with a hyphen ("self-harm"), which the tokenizer splits off as a
# token of its own: a rule written "self harm" also matches "self - harm".
HYPHENATED_FIRST_WORDS = {"self"}


def hyphen_variants(pattern: str) -> List[str]:
    """The pattern, plus one variant with a "-" token after each word people hyphenate."""
    firm = FIRM if pattern.startswith(FIRM) else ""
    parts = pattern.removeprefix(FIRM).split()
    variant: List[str] = []
    changed = False
    for index, part in enumerate(parts):
        variant.append(part)
        following = parts[index + 1] if index + 1 < len(parts) else ""
        if (
            HYPHENATED_FIRST_WORDS.intersection(part.split("|"))
            and following
            and not following.startswith(("~", "^"))
        ):
            variant.append("=-")
            changed = True
    return [pattern, firm + " ".join(variant)] if changed else [pattern]


def rule_variants(pattern: str) -> List[str]:
    """Every form of a rule the tokenizer needs: split words ("gonna") and hyphens."""
    return [
        hyphenated
        for split in split_word_variants(pattern)
        for hyphenated in hyphen_variants(split)
    ]


def expand_lexicon(pattern: str, lexicon: Dict[str, List[str]]) -> str:
    """Replaces each `$name` alternative with the words of that lexicon entry."""
    parts = []
    for part in pattern.split():
        words: List[str] = []
        for word in part.split("|"):
            if word.startswith("$"):
                if word[1:] not in lexicon:
                    raise ValueError(f"unknown lexicon entry {word!r} in {pattern!r}")
                # An entry may name other entries ($pill includes $medication).
                words.extend(expand_lexicon("|".join(lexicon[word[1:]]), lexicon).split("|"))
            else:
                words.append(word)
        parts.append("|".join(dict.fromkeys(words)))
    return " ".join(parts)


def load_terms(path: Path = TERMS) -> Dict[str, Dict[str, List[str]]]:
    """The domain terms by label: canonical name -> other names."""
    terms = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        label: {name: list(other or []) for name, other in entries.items()}
        for label, entries in terms.items()
    }


def term_lexicon(terms: Dict[str, Dict[str, List[str]]]) -> Dict[str, List[str]]:
    """Every single-word name of each label, for `$medication`-style use in the crisis rules."""
    return {
        label: sorted(
            {
                name.lower()
                for canonical, other in entries.items()
                for name in [canonical, *other]
                if " " not in name and "-" not in name
            }
        )
        for label, entries in terms.items()
    }


def entity_patterns(terms: Dict[str, Dict[str, List[str]]]) -> List[Dict[str, Any]]:
    """Entity ruler patterns: every name of a term, labelled, with the canonical name as id."""
    return [
        {
            "label": label,
            "id": canonical,
            "pattern": [{"LOWER": word} for word in name.lower().split()],
        }
        for label, entries in terms.items()
        for canonical, other in entries.items()
        for name in [canonical, *other]
    ]


# Words too common to tell which rules a message could match: a rule is indexed by a word it
# needs that is none of these.
COMMON_WORDS = frozenset(STOP_WORDS) | {
    "'m",
    "m",
    "nt",
    "n't",
    "im",
    "ive",
    "id",
    "ill",
    "ca",
    "wo",
}


def anchor_of(pattern: TokenPattern) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """The attribute and forms of one word every match of the pattern contains, the least common
    such word; None when every word the pattern needs is a common one (or it has none)."""
    best: Optional[Tuple[str, Tuple[str, ...]]] = None
    best_rank: Tuple[int, int] = (2, 0)
    for token in pattern:
        if "OP" in token:
            continue
        for attr in ("LEMMA", "LOWER"):
            forms = token.get(attr, {}).get("IN") if isinstance(token.get(attr), dict) else None
            if not forms:
                continue
            common = sum(1 for form in forms if form in COMMON_WORDS)
            rank = (1 if common else 0, len(forms))
            if rank < best_rank:
                best, best_rank = (attr, tuple(sorted(forms))), rank
    return best if best is not None and best_rank[0] == 0 else None


class AnchoredMatcher:
    """A spaCy Matcher that runs only the rules a message could match.

    With gaps (`~3`) a rule that starts at a common word ("i ~3 want ~2 die") opens states at
    every "i" of a long post, so one Matcher over all rules costs the tokens times the rules.
    Each rule is indexed by the least common word it needs; a message runs the rules whose word
    it contains (one small Matcher each), and the few rules made of common words only.
    Its matches are exactly those of one Matcher over all rules (a test checks it on every
    message of the data)."""

    def __init__(self, vocab: Any) -> None:
        self._vocab = vocab
        self._always = Matcher(vocab)
        self._anchored: Dict[Tuple[str, Tuple[str, ...]], Matcher] = {}
        self._by_lemma: Dict[str, List[Matcher]] = {}
        self._by_lower: Dict[str, List[Matcher]] = {}
        self._added: List[Tuple[str, TokenPattern]] = []

    def patterns(self) -> List[Tuple[str, TokenPattern]]:
        """Every rule added, with its key, in the order added."""
        return list(self._added)

    def add(self, key: str, patterns: List[TokenPattern]) -> None:
        for pattern in patterns:
            self._added.append((key, pattern))
            anchor = anchor_of(pattern)
            if anchor is None:
                self._always.add(key, [pattern])
                continue
            matcher = self._anchored.get(anchor)
            if matcher is None:
                matcher = self._anchored[anchor] = Matcher(self._vocab)
                index = self._by_lemma if anchor[0] == "LEMMA" else self._by_lower
                for form in anchor[1]:
                    index.setdefault(form, []).append(matcher)
            matcher.add(key, [pattern])

    def __call__(self, doc: Doc) -> List[Tuple[int, int, int]]:
        chosen: Dict[int, Matcher] = {}
        for token in doc:
            for matcher in self._by_lemma.get(token.lemma_, ()):
                chosen[id(matcher)] = matcher
            for matcher in self._by_lower.get(token.lower_, ()):
                chosen[id(matcher)] = matcher
        # An empty Matcher warns on every call; a rule file may have no unanchored rule.
        if len(self._always):
            chosen[id(self._always)] = self._always
        matches = {match for matcher in chosen.values() for match in matcher(doc)}
        # Each (key, start, end) once, as one Matcher gives it; in a fixed order (by position),
        # since the matchers run in the order the message's words chose them.
        return sorted(matches, key=lambda match: (match[1], match[2], match[0]))


class CrisisMatcher:
    """Marks spans of crisis language in `doc.spans["crisis"]`, labelled by category."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self._vocab = nlp.vocab
        self._lemmas: Dict[str, str] = {}
        self.rules: Dict[str, Any] = {
            "categories": {},
            "not_crisis": {},
            "check_in": {},
            "danger_words": {},
            "lexicon": {},
        }
        self._matcher = AnchoredMatcher(nlp.vocab)
        self._spelling: Optional[DangerSpelling] = None
        # (category, firm, part names) of each `together` rule, and their window
        self._together: List[Tuple[str, bool, Tuple[str, ...]]] = []
        self._window = TOGETHER_WINDOW

    def set_lemmas(self, table: Dict[str, str]) -> None:
        self._lemmas = table

    def set_spelling(self, spelling: Optional[DangerSpelling]) -> None:
        """Misspelled danger words the rules read as the word (see `danger_spelling`)."""
        self._spelling = spelling

    def _matches(self, doc: Doc) -> Tuple[List[Tuple[int, int, int]], List[Span]]:
        """The rule matches, with each misspelled danger word read as the word, and the
        misspelled tokens. The lemmas are put back afterwards: the classifiers read the words
        as written (they learn misspellings from the training data)."""
        if self._spelling is None:
            return self._matcher(doc), []
        read_as: List[Tuple[Any, str, str]] = []
        for token in doc:
            word = self._spelling.correct(token.lower_)
            if word is not None:
                read_as.append((token, token.lemma_, word))
        if not read_as:
            return self._matcher(doc), []
        lemmas = self._spelling.lemmas
        try:
            for token, _, word in read_as:
                token.lemma_ = lemmas.get(word, word)
            matches = self._matcher(doc)
        finally:
            for token, lemma, _ in read_as:
                token.lemma_ = lemma
        return matches, [Span(doc, t.i, t.i + 1, label=word) for t, _, word in read_as]

    def add_rules(self, rules: Dict[str, Any]) -> None:
        """Compiles the rules; raises on a malformed pattern, so a bad rule file fails the build."""
        matcher = AnchoredMatcher(self._vocab)
        lemma_of = self._lemma_of
        lexicon = rules.get("lexicon") or {}
        for category, patterns in rules["categories"].items():
            for firmness, chosen in (("firm", True), ("soft", False)):
                compiled = [
                    compile_pattern(variant, lemma_of, lexicon)
                    for p in patterns
                    if p.startswith(FIRM) == chosen
                    for variant in rule_variants(p)
                ]
                if compiled:
                    matcher.add(f"{category}|{firmness}", compiled)
        for group, section in (
            (CONTEXT_SPANS, "not_crisis"),
            (CHECK_IN_SPANS, "check_in"),
            (DANGER_SPANS, "danger_words"),
        ):
            for reason, patterns in (rules.get(section) or {}).items():
                matcher.add(
                    f"{group}|{reason}",
                    [
                        compile_pattern(variant, lemma_of, lexicon)
                        for p in patterns
                        for variant in rule_variants(p)
                    ],
                )
        together = rules.get("together") or {}
        parts = together.get("parts") or {}
        for name, patterns in parts.items():
            matcher.add(
                f"{PART}|{name}",
                [
                    compile_pattern(variant, lemma_of, lexicon)
                    for p in patterns
                    for variant in rule_variants(p)
                ],
            )
        combined: List[Tuple[str, bool, Tuple[str, ...]]] = []
        for category, lines in (together.get("categories") or {}).items():
            for line in lines:
                names = tuple(name.strip() for name in line.removeprefix(FIRM).split("&"))
                unknown = [name for name in names if name not in parts]
                if len(names) < 2 or unknown:
                    raise ValueError(f"a together rule needs two known parts: {line!r}")
                combined.append((category, line.startswith(FIRM), names))
        self.rules = rules
        self._matcher = matcher
        self._together = combined
        self._window = int(together.get("window") or TOGETHER_WINDOW)

    def _lemma_of(self, word: str) -> str:
        return self._lemmas.get(word, word)

    def __call__(self, doc: Doc) -> Doc:
        crisis: List[Tuple[Span, bool]] = []
        context: List[Span] = []
        check_in: List[Span] = []
        danger: List[Span] = []
        parts: Dict[str, List[Span]] = {}
        matches, misspelled = self._matches(doc)
        for match_id, start, end in matches:
            label, kind = self._vocab.strings[match_id].split("|")
            if label == PART:
                parts.setdefault(kind, []).append(Span(doc, start, end, label=kind))
            elif label == CONTEXT_SPANS:
                context.append(Span(doc, start, end, label=kind))
            elif label == CHECK_IN_SPANS:
                check_in.append(Span(doc, start, end, label=kind))
            elif label == DANGER_SPANS:
                danger.append(Span(doc, start, end, label=kind))
            else:
                crisis.append((Span(doc, start, end, label=label), kind == "firm"))

        forum_goodbye = any(span.label_ == FORUM for span in context)

        def cancelled(span: Span, firm: bool) -> bool:
            if (
                forum_goodbye
                and not firm
                and span.label_ in FORUM_EXPLAINS
                and any(token.lower_ in GOODBYE_WORDS for token in span)
            ):
                return True
            # A firm (`+`) pattern ("i am suicidal") stands inside a research or past phrase;
            # only an explicit statement of safety that reaches its last word cancels it: in
            # "im not going to hurt anyone, just myself" the denial stops before the danger.
            return any(
                other.start < span.end
                and span.start < other.end
                and other.label_ not in CLASSIFIER_ONLY_CONTEXTS
                and span.label_ in EXPLAINS_ONLY.get(other.label_, (span.label_,))
                and (
                    not firm
                    or (other.label_ == SAFETY and other.end >= span.end)
                    or other.label_ == PLAY
                )
                for other in context
            )

        explained = [span for span, firm in crisis if cancelled(span, firm)]
        # A laugh is near the danger when it is near one of a rule's parts, not anywhere between.
        danger_near = [span for span, _ in crisis] + danger + check_in
        for category, firm, names in self._together:
            found = self._together_span(doc, category, [parts.get(name, []) for name in names])
            if found is None:
                continue
            span, chosen = found
            danger_near.extend(chosen)
            # A context explains a rule of parts when it explains one of its parts.
            if any(cancelled(part, firm) for part in chosen):
                explained.append(span)
            else:
                crisis.append((span, firm))
        # Overlapping matches all stay: each names a category the turn may need (an overdose
        # told about a friend is both someone else in danger and a medical emergency).
        standing = [(span, firm) for span, firm in crisis if not cancelled(span, firm)]
        doc.spans[SPELLING_SPANS] = misspelled
        doc.spans[CRISIS_SPANS] = [span for span, _ in standing]
        doc.spans[FIRM_SPANS] = [span for span, firm in standing if firm]
        # A laugh is play only just after danger words, laughing at them ("my friends think im
        # fine lol but i have a blade" laughs at something else); said to be serious, nothing is.
        serious = any(span.label_ == SERIOUS for span in context)
        context = [
            span
            for span in context
            if span.label_ != JOKING
            or (
                not serious
                and any(
                    # "jk", "kidding" say so either side; a laugh laughs at what came before.
                    (other.start - JOKING_REACH if _says_joking(span) else other.start)
                    <= span.start
                    < other.end + JOKING_REACH
                    for other in danger_near
                )
            )
        ]
        doc.spans[CONTEXT_SPANS] = filter_spans(context)
        doc.spans[CHECK_IN_SPANS] = [span for span in check_in if not cancelled(span, firm=False)]
        doc.spans[EXPLAINED_SPANS] = explained + [
            span for span in check_in if cancelled(span, firm=False)
        ]
        # Someone else's death or words still count as words about death for the classifier.
        doc.spans[DANGER_SPANS] = [
            span
            for span in danger
            if not any(
                other.start < span.end
                and span.start < other.end
                and other.label_ not in CLASSIFIER_ONLY_CONTEXTS | RULE_ONLY_CONTEXTS
                for other in context
            )
        ]
        return doc

    def _together_span(
        self, doc: Doc, category: str, found: List[List[Span]]
    ) -> Optional[Tuple[Span, Tuple[Span, ...]]]:
        """The closest set of one match of each part, as one span labelled `category`, with the
        parts; None when a part is missing or the parts lie more than the window apart."""
        if not all(found):
            return None
        best: Optional[Tuple[int, Tuple[Span, ...]]] = None
        for chosen in itertools.product(*found):
            start = min(part.start for part in chosen)
            end = max(part.end for part in chosen)
            if end - start <= self._window and (best is None or end - start < best[0]):
                best = (end - start, chosen)
        if best is None:
            return None
        chosen = best[1]
        start = min(part.start for part in chosen)
        end = max(part.end for part in chosen)
        return Span(doc, start, end, label=category), chosen

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "rules.json").write_text(json.dumps(self.rules), encoding="utf-8")
        (path / "lemmas.json").write_text(json.dumps(self._lemmas), encoding="utf-8")
        if self._spelling is not None:
            (path / SPELLING_FILE).write_text(
                json.dumps(self._spelling.to_dict()), encoding="utf-8"
            )

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "CrisisMatcher":
        path = Path(path)
        self._lemmas = json.loads((path / "lemmas.json").read_text(encoding="utf-8"))
        spelling = path / SPELLING_FILE
        self._spelling = (
            DangerSpelling.from_dict(json.loads(spelling.read_text(encoding="utf-8")))
            if spelling.exists()
            else None
        )
        self.add_rules(json.loads((path / "rules.json").read_text(encoding="utf-8")))
        return self


def _says_joking(span: Span) -> bool:
    return span.text.lower() in {"jk", "jking", "kidding"} or "joking" in span.text.lower()


@Language.factory("crisis_matcher")
def create_crisis_matcher(nlp: Language, name: str) -> CrisisMatcher:
    return CrisisMatcher(nlp, name)


class PersonalMatcher(CrisisMatcher):
    """Marks what a message says about the writer's own situation in `doc.spans["personal"]`,
    labelled by concern (medication practicalities, a treatment for oneself, a diagnosis,
    feelings, looking for help), with the rule syntax of crisis.yml."""

    def add_rules(self, rules: Dict[str, Any]) -> None:
        matcher = AnchoredMatcher(self._vocab)
        lexicon = rules.get("lexicon") or {}
        for concern, patterns in rules["concerns"].items():
            matcher.add(
                concern,
                [
                    compile_pattern(variant, self._lemma_of, lexicon)
                    for p in patterns
                    for variant in rule_variants(p)
                ],
            )
        self.rules = rules
        self._matcher = matcher

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[PERSONAL_SPANS] = [
            Span(doc, start, end, label=self._vocab.strings[match_id])
            for match_id, start, end in self._matcher(doc)
        ]
        return doc


@Language.factory("personal_matcher")
def create_personal_matcher(nlp: Language, name: str) -> PersonalMatcher:
    return PersonalMatcher(nlp, name)


def danger_spelling(section: Dict[str, Any], lookup: Any, terms: Iterable[str]) -> DangerSpelling:
    """The misspelled danger words of crisis.yml's `spelling` section, with every English word
    (spaCy's lemma tables, `english.yml`) and every name of a domain term protected."""
    from bot.nlu.language import english_lexicon

    words = [word.lower() for word in section["words"]]
    known = [*english_lexicon(), *terms]
    return DangerSpelling.build(
        {word: lookup[word] if word in lookup else word for word in words},
        english=known,
        never=section.get("never") or [],
        variants=section.get("variants") or {},
    )


def build_pipeline(
    rules_path: Path = CRISIS_RULES,
    terms_path: Path = TERMS,
    personal_path: Path = PERSONAL_RULES,
) -> Language:
    """Returns the blank English pipeline: lookup lemmas, domain-term entities, crisis matcher,
    personal-concern matcher."""
    nlp = spacy.blank("en")
    tokenizer = cast(Tokenizer, nlp.tokenizer)
    tokenizer.infix_finditer = spacy.util.compile_infix_regex(
        [*(nlp.Defaults.infixes or []), *FUSED_SENTENCE_INFIXES]
    ).finditer
    # "done.alright" is not a web address here; nothing the rules read is one.
    tokenizer.url_match = None
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler"))
    matcher = cast(CrisisMatcher, nlp.add_pipe("crisis_matcher"))
    personal = cast(PersonalMatcher, nlp.add_pipe("personal_matcher"))
    nlp.initialize()
    terms = load_terms(terms_path)
    ruler.add_patterns(entity_patterns(terms))
    lookup = cast(Lemmatizer, nlp.get_pipe("lemmatizer")).lookups.get_table("lemma_lookup")
    for word, lemma in LEMMA_FIXES.items():
        lookup[word] = lemma
    for rule_matcher, path, sections in (
        (matcher, rules_path, ("categories", "not_crisis", "check_in", "danger_words")),
        (personal, personal_path, ("concerns",)),
    ):
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules["lexicon"] = {**term_lexicon(terms), **(rules.get("lexicon") or {})}
        lexicon = rules["lexicon"]
        groups = [
            patterns for section in sections for patterns in (rules.get(section) or {}).values()
        ]
        groups.extend(((rules.get("together") or {}).get("parts") or {}).values())
        words = {
            word.lstrip("=")
            for patterns in groups
            for pattern in patterns
            for part in expand_lexicon(pattern.removeprefix(FIRM), lexicon).split()
            for word in part.split("|")
        }
        rule_matcher.set_lemmas({word: lookup[word] for word in words if word in lookup})
        rule_matcher.add_rules(rules)
        if "spelling" in rules:
            names = [name for names in term_lexicon(terms).values() for name in names]
            rule_matcher.set_spelling(danger_spelling(rules["spelling"], lookup, names))
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = (
        "Blank English, lookup lemmas, domain-term entities, crisis rules; "
        "built by bot.nlu.spacy_pipeline"
    )
    return nlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    nlp = build_pipeline()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.output)
    print(f"spaCy pipeline written to {args.output}")


if __name__ == "__main__":
    main()
