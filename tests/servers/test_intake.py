"""Conversations over HTTP: the clinic's intake topics, answered and left empty, and follow-ups
read against the last turn, through the real Rasa server and action server.

The test servers run with the demo clinic's answers (bot/widget/demo_clinic.yml, as `make run`
does), which belong to Bright Path Clinic: a page that names it gets them; a page that names
another clinic (Harbour Clinic, which wrote none) gets "it hasn't written one here yet".
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from bot.clinic_answers import intake_topics
from bot.turns import NOTICE

from conftest import Assistant, marker_of, text_of

pytestmark = pytest.mark.servers

DEMO_PAGE = {
    "clinic_name": "Bright Path Clinic",
    "clinic_phone": "+1 555 010 0199",
    "booking_url": "https://bright-path.example/book",
    "region": "US",
}
OTHER_PAGE = {
    "clinic_name": "Harbour Clinic",
    "clinic_phone": "+1 555 010 0100",
    "booking_url": "https://harbour.example/book",
    "region": "US",
}

# One question per intake topic, as a new visitor asks it (the first four are the issue's own),
# and words of the demo clinic's answer to it. None of the questions is a training example.
INTAKE = [
    ("cost", "how much does ketamine therapy cost?", "A ketamine infusion is $450"),
    ("insurance", "do you take insurance?", "not in network with any insurer"),
    ("hours", "what are your hours?", "Monday to Friday, 8:00 to 18:00"),
    ("booking", "can I book an appointment?", "book a free 15-minute call"),
    ("location", "where are you located?", "120 Harbour Street"),
    ("first_visit", "what happens at the first visit?", "60-minute consultation"),
    ("eligibility", "who can have ketamine treatment here?", "adults aged 18 and over"),
    ("session", "what is a session like here?", "about 40 minutes in a private room"),
    ("integration_support", "do you offer integration support?", "three integration sessions"),
    ("contact", "how can I contact you?", "hello@bright-path.example"),
]


def test_every_intake_topic_has_a_question_here() -> None:
    assert sorted(topic for topic, _, _ in INTAKE) == sorted(intake_topics())


@pytest.mark.parametrize("topic, question, words", INTAKE)
def test_the_clinic_answers_in_its_own_words(
    assistant: Assistant, new_sender: Callable[[], str], topic: str, question: str, words: str
) -> None:
    reply = assistant.send(new_sender(), question, DEMO_PAGE)
    marker, text = marker_of(reply), text_of(reply)
    assert marker == {
        "kind": "clinic_answer",
        "notice": NOTICE,
        "topic": topic,
        "clinic_words": True,
    }, (question, marker)
    assert "Here is what **Bright Path Clinic** says about" in text and words in text
    assert "(tel:+15550100199)" in text and "(https://bright-path.example/book)" in text
    assert text.rstrip().endswith(f"_{NOTICE}_")
    assert "988" not in text  # no crisis lines where nothing called for them


@pytest.mark.parametrize("topic, question, words", INTAKE)
def test_a_clinic_that_wrote_no_answer_says_so_with_its_phone_and_booking_link(
    assistant: Assistant, new_sender: Callable[[], str], topic: str, question: str, words: str
) -> None:
    reply = assistant.send(new_sender(), question, OTHER_PAGE)
    marker, text = marker_of(reply), text_of(reply)
    assert marker == {"kind": "clinic_answer", "notice": NOTICE, "topic": topic}, question
    assert "I don't have Harbour Clinic's own answer about" in text
    assert "it hasn't written one here yet" in text and words not in text
    assert "(tel:+15550100100)" in text and "(https://harbour.example/book)" in text
    assert text.rstrip().endswith(f"_{NOTICE}_")


def test_the_clinic_answers_need_no_page_to_stay_the_deployments(
    assistant: Assistant, new_sender: Callable[[], str]
) -> None:
    # A page that names no clinic is not the demo clinic's: its words stay with its own page.
    reply = assistant.send(new_sender(), "what are your hours?", {"region": "US"})
    assert marker_of(reply)["kind"] == "clinic_answer"
    assert "I don't have the clinic's own answer" in text_of(reply)
    assert "Please ask the clinic directly." in text_of(reply)


# Follow-ups in context: what came before, the follow-up, then the turn it must get: its kind,
# its topic (or None), and words it must say. None of the follow-ups is a training example.
Expected = Tuple[str, Optional[str], str]
FOLLOW_UPS: List[Tuple[List[str], str, Expected]] = [
    (
        ["how do I choose a ketamine provider"],
        "what should I ask them",
        ("answer", "integration_provider_questions", "_Source: the article"),
    ),
    (
        ["what is integration after ketamine?"],
        "how long does that take?",
        ("not_covered", None, "how long things take or last when it comes to integration"),
    ),
    (
        ["should I stop my sertraline before trying ketamine?"],
        "why can't you tell me?",
        ("advice", None, "Because I can't know you"),
    ),
    (
        ["what is ketamine therapy?"],
        "is it safe?",
        ("not_covered", None, "side effects when it comes to ketamine therapy"),
    ),
    (
        ["what is ketamine therapy?"],
        "and for teenagers?",
        ("not_covered", None, "such as teenagers, older adults"),
    ),
    (
        ["is ketamine right for me?"],
        "what does that mean?",
        ("advice", None, "I don't know your history"),
    ),
    (
        ["what are the side effects of esketamine?"],
        "why not?",
        ("not_covered", None, "I only share what one article says"),
    ),
    (
        ["when do SSRIs help?"],
        "is that safe?",
        ("not_covered", None, "when it comes to SSRIs"),
    ),
    (
        ["what is a session like here?"],
        "how long does that take?",
        ("clinic_answer", "session", "That's all Bright Path Clinic has written here about"),
    ),
    (
        ["who can have ketamine treatment here?"],
        "and for teenagers?",
        ("clinic_answer", "eligibility", "That's all Bright Path Clinic has written here"),
    ),
    (
        ["how much does it cost?"],
        "what does that mean?",
        ("clinic_answer", "cost", "That's all Bright Path Clinic has written here about cost"),
    ),
    (
        ["how does ketamine work?"],
        "what does that mean?",
        ("answer", "ketamine_nmda", "_Source: the article"),
    ),
    (
        ["what is neuroplasticity?"],
        "how long does that take?",
        ("not_covered", None, "when it comes to neuroplasticity"),
    ),
    (
        ["how does trauma affect depression?"],
        "and for children?",
        ("not_covered", None, "when it comes to trauma and depression"),
    ),
    (
        ["what is integration?"],
        "is that safe?",
        ("not_covered", None, "risks or side effects when it comes to integration"),
    ),
    (
        ["how fast does ketamine work?"],
        "how long does it last?",
        ("not_covered", None, "when it comes to ketamine therapy"),
    ),
    (
        ["what is depression?"],
        "and for teenagers?",
        ("not_covered", None, "when it comes to depression"),
    ),
    (
        ["does psilocybin therapy work for depression?"],
        "why can't you tell me",
        ("not_covered", None, "Guessing about health or treatment could mislead you"),
    ),
    (
        ["can I take ibuprofen with my lexapro?"],
        "why won't you answer?",
        ("advice", None, "your pharmacist for questions about medication"),
    ),
    (
        ["what happens at the first visit?"],
        "is it safe?",
        ("clinic_answer", "first_visit", "That's all Bright Path Clinic has written here"),
    ),
    (
        ["why don't antidepressants always work?"],
        "how long does that take?",
        ("not_covered", None, "when it comes to antidepressants"),
    ),
    (
        # "Tell me more" moves the slot on: the follow-up is read against the deeper topic.
        ["what is BDNF?", "tell me more"],
        "is it safe?",
        ("not_covered", None, "when it comes to ketamine therapy"),
    ),
    (
        # After the clinic's answer, only the clinic can say more.
        ["do you take insurance?"],
        "what does that mean?",
        ("clinic_answer", "insurance", "That's all Bright Path Clinic has written here about"),
    ),
    (
        [],
        "how long does that take?",
        ("not_covered", None, "when it comes to the topics it covers"),
    ),
]


def test_there_are_at_least_20_follow_ups_in_context() -> None:
    assert sum(1 for before, _, _ in FOLLOW_UPS if before) >= 20


@pytest.mark.parametrize(
    "before, follow_up, expected", FOLLOW_UPS, ids=[f[1] + str(i) for i, f in enumerate(FOLLOW_UPS)]
)
def test_a_follow_up_is_read_against_the_last_turn(
    assistant: Assistant,
    new_sender: Callable[[], str],
    before: List[str],
    follow_up: str,
    expected: Expected,
) -> None:
    sender = new_sender()
    for message in before:
        earlier = marker_of(assistant.send(sender, message, DEMO_PAGE))
        assert earlier["kind"] not in ("fallback", "out_of_scope", "crisis"), (message, earlier)
    reply = assistant.send(sender, follow_up, DEMO_PAGE)
    kind, topic, words = expected
    marker: Dict[str, Any] = marker_of(reply)
    assert (marker["kind"], marker.get("topic")) == (kind, topic), (before, follow_up, marker)
    assert words in text_of(reply), (before, follow_up, text_of(reply))
    assert text_of(reply).rstrip().endswith(f"_{NOTICE}_")
