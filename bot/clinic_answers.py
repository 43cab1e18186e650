"""The clinic's own answers to intake questions: the topics, the deployment's words, their checks.

The intake topics (cost, insurance, hours...) and the words around an answer are content, in
`bot/intake.yml`. The answers are the deployment's: it writes them in `clinic.yml` under
`answers:`, or in a file that `answers.file` (or `CLINIC_ANSWERS_FILE`) names. `bot.settings`
reads them with the other settings, through `answers_from`, the one place that checks them: plain
text with Markdown links, links only to `https:`, `tel:` and `mailto:`, no HTML, at most
`MAX_ANSWER_CHARS`. A mistake stops the process with its place in the file ("clinic.yml, line
97, answers.cost: ...") instead of being skipped, so a clinic never believes an answer is shown
that is not.

A page cannot send or change answers: they come only from the deployment. They belong to one
clinic (`answers.clinic_name`, else `clinic.name`), and a conversation gets them when its clinic
is that one (`ClinicAnswers.apply_to`): a page that names another clinic gets that clinic's
"hasn't written one here yet" turn, never this clinic's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import yaml

INTAKE_PATH = Path(__file__).with_name("intake.yml")
# The retrieval intent of the intake topics: `clinic/<topic>`, answered by `utter_clinic/<topic>`.
CLINIC_INTENT = "clinic"
CLINIC_ANSWER_PREFIX = f"utter_{CLINIC_INTENT}/"
# The `answers` section's keys besides the topics.
FILE_KEY = "file"
OWNER_KEY = "clinic_name"
MAX_ANSWER_CHARS = 1200

# [label](target): the one way to write a link.
_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]*)\)")
_TEL = re.compile(r"^tel:\+?[0-9]{3,15}$")
_MAILTO = re.compile(r"^mailto:[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")
# Outside a link's target: another scheme than https:// would be a link to somewhere unsafe.
_OTHER_SCHEME = re.compile(
    r"\b(?!https://)[a-z][a-z0-9+.-]*://|\b(javascript|data|vbscript):", re.I
)
_HTML = re.compile(r"[<>`]")


@dataclass(frozen=True)
class IntakeTopic:
    """One question people ask a clinic first, answered in the clinic's own words."""

    id: str
    title: str
    about: str

    @property
    def response(self) -> str:
        return CLINIC_ANSWER_PREFIX + self.id


@dataclass(frozen=True)
class IntakeContent:
    """`bot/intake.yml`: the topics, the words around an answer, the follow-ups' subjects."""

    topics: Dict[str, IntakeTopic]
    words: Dict[str, str]
    subjects: Dict[str, str]

    def subject(self, topic: Optional[str]) -> str:
        """What a follow-up the article cannot answer names, by the latest answer's topic."""
        return self.subjects.get(topic or "", self.subjects["default"])


@lru_cache(maxsize=1)
def intake() -> IntakeContent:
    data = yaml.safe_load(INTAKE_PATH.read_text(encoding="utf-8"))
    return IntakeContent(
        topics={
            topic_id: IntakeTopic(topic_id, entry["title"], entry["about"])
            for topic_id, entry in data["topics"].items()
        },
        words={key: str(value) for key, value in data["words"].items()},
        subjects={key: str(value) for key, value in data["subjects"].items()},
    )


def intake_topics() -> Dict[str, IntakeTopic]:
    return intake().topics


def intake_topic_of_response(response_name: str) -> Optional[str]:
    """The intake topic an `utter_clinic/<topic>` response answers, else None."""
    if response_name.startswith(CLINIC_ANSWER_PREFIX):
        return response_name[len(CLINIC_ANSWER_PREFIX) :]
    return None


class ClinicAnswersError(ValueError):
    """A clinic's answers cannot be used as written; the message names the place in the file."""


def _same_clinic(first: Optional[str], second: Optional[str]) -> bool:
    return " ".join((first or "").split()).casefold() == " ".join((second or "").split()).casefold()


@dataclass(frozen=True)
class ClinicAnswers:
    """A clinic's answers by intake topic; a topic it left empty is absent."""

    clinic_name: Optional[str] = None
    answers: Mapping[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.answers

    def answer(self, topic: str) -> Optional[str]:
        return self.answers.get(topic)

    def apply_to(self, clinic: Optional[str]) -> bool:
        """Whether a conversation with this clinic (the page's, else the deployment's) gets
        these answers: only the clinic they belong to does."""
        return bool(self.answers) and bool(clinic) and _same_clinic(clinic, self.clinic_name)


# --- where a key is in a YAML file -------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """A YAML file's name, as an error shows it, and its text, to find a key's line in."""

    name: str
    text: str = ""

    def place(self, path: Tuple[str, ...], line_in_value: Optional[int] = None) -> str:
        """ "clinic.yml, line 97, answers.cost": the line of the key, or of the value's line
        `line_in_value` when the value is a literal block (`|`)."""
        dotted = ".".join(path)
        line = _line_of(self.text, path, line_in_value) if self.text else None
        return f"{self.name}, line {line}, {dotted}" if line else f"{self.name}, {dotted}"


def _line_of(text: str, path: Tuple[str, ...], line_in_value: Optional[int]) -> Optional[int]:
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    key_node = None
    for name in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                key_node, node = key, value
                break
        else:
            return None
    if key_node is None:
        return None
    if line_in_value is not None and isinstance(node, yaml.ScalarNode) and node.style == "|":
        # A literal block's text starts on the line after its `|`.
        return int(node.start_mark.line) + 2 + line_in_value
    return int(key_node.start_mark.line) + 1


# --- the checks ----------------------------------------------------------------------------------


def _problem(text: str) -> Optional[Tuple[str, int]]:
    """Why an answer's text cannot be shown, and at which of its lines (from 0); None if it can."""
    if len(text) > MAX_ANSWER_CHARS:
        return f"at most {MAX_ANSWER_CHARS} characters (this one has {len(text)})", 0
    for number, line in enumerate(text.split("\n")):
        html = _HTML.search(line)
        if html:
            return f"plain text only: no HTML or code ({html.group(0)!r})", number
        for link in _LINK.finditer(line):
            target = link.group(2)
            if not (_https(target) or _TEL.match(target) or _MAILTO.match(target)):
                return (
                    f"a link may go only to https:, tel: or mailto: ({target!r}); write a phone "
                    "number as tel:+15550100199 and an address as mailto:name@example.org",
                    number,
                )
        outside = _LINK.sub(" ", line)
        if "](" in outside or re.search(r"\]\s+\(", outside):
            return "a link is written [words](https://...), on one line", number
        scheme = _OTHER_SCHEME.search(outside)
        if scheme:
            return (
                f"links only to https:, tel: or mailto: ({scheme.group(0)!r}); write a link as "
                "[words](https://...)",
                number,
            )
    return None


def _https(target: str) -> bool:
    from bot.settings import clean_https_url

    return clean_https_url(target)[0] is not None


def _text_of(value: Any, where: Tuple[str, ...], source: SourceFile) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ClinicAnswersError(f"{source.place(where)}: must be text, or empty")
    lines = [line.rstrip() for line in value.strip().split("\n")]
    text = "\n".join(lines)
    if not text:
        return None
    problem = _problem(text)
    if problem:
        reason, line = problem
        # The file's own lines: count the blank ones the strip took from the start.
        leading = value[: len(value) - len(value.lstrip())].count("\n")
        raise ClinicAnswersError(f"{source.place(where, line + leading)}: {reason}")
    return text


def _owner(value: Any, where: Tuple[str, ...], source: SourceFile) -> Optional[str]:
    from bot.settings import clean_name

    if value is None or value == "":
        return None
    name, reason = clean_name(value)
    if name is None:
        raise ClinicAnswersError(f"{source.place(where)}: {reason}")
    return name


def _answers_in(
    data: Mapping[str, Any], prefix: Tuple[str, ...], source: SourceFile, allowed: Tuple[str, ...]
) -> Tuple[Optional[str], Dict[str, str]]:
    topics = intake_topics()
    unknown = [str(key) for key in data if key not in topics and key not in allowed]
    if unknown:
        raise ClinicAnswersError(
            f"{source.place(prefix + (unknown[0],))}: not an intake topic; the topics are "
            + ", ".join(topics)
        )
    answers = {}
    for topic in topics:
        text = _text_of(data.get(topic), prefix + (topic,), source)
        if text:
            answers[topic] = text
    return _owner(data.get(OWNER_KEY), prefix + (OWNER_KEY,), source), answers


def answers_from(
    section: Any,
    source: SourceFile,
    deployment_clinic: Optional[str],
    file_override: Optional[str] = None,
    base: Optional[Path] = None,
) -> ClinicAnswers:
    """The clinic's answers from clinic.yml's `answers` section, or from the file it (or
    `file_override`, the environment's `CLINIC_ANSWERS_FILE`) names, relative to `base`.
    Raises `ClinicAnswersError`, naming the place, for anything that cannot be shown."""
    where = ("answers",)
    if section is None or section == "":
        section = {}
    if not isinstance(section, Mapping):
        raise ClinicAnswersError(f"{source.place(where)}: must be a mapping of intake topics")
    owner, answers = _answers_in(section, where, source, (FILE_KEY, OWNER_KEY))
    file_name = file_override or section.get(FILE_KEY) or None
    if file_name:
        if answers:
            raise ClinicAnswersError(
                f"{source.place(where + (FILE_KEY,))}: write the answers here or in the file it "
                "names, not both"
            )
        if not isinstance(file_name, str):
            raise ClinicAnswersError(f"{source.place(where + (FILE_KEY,))}: must be a file path")
        path = Path(file_name)
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ClinicAnswersError(
                f"{source.place(where + (FILE_KEY,))}: no such file {str(path)!r}"
            )
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f", line {mark.line + 1}" if mark is not None else ""
            raise ClinicAnswersError(f"{path.name}{line}: not valid YAML") from None
        file_source = SourceFile(path.name, text)
        if not isinstance(data, Mapping):
            raise ClinicAnswersError(f"{path.name}: must be a mapping of intake topics")
        file_owner, answers = _answers_in(data, (), file_source, (OWNER_KEY,))
        owner = file_owner or owner
    owner = owner or deployment_clinic
    if answers and not owner:
        raise ClinicAnswersError(
            f"{source.place(where)}: whose answers are these? Set clinic.name (or "
            "answers.clinic_name)"
        )
    return ClinicAnswers(clinic_name=owner, answers=answers)
