"""The crisis rule layer in the spaCy pipeline and the guard that lets it win."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
import spacy
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.crisis_guard import CrisisGuard
from bot.nlu.domain_terms import domain_terms
from bot.nlu.spacy_pipeline import (
    CONTEXT_SPANS,
    CRISIS_SPANS,
    build_pipeline,
    compile_pattern,
    expand_lexicon,
    load_terms,
)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def categories(nlp: spacy.language.Language, text: str) -> List[str]:
    doc = nlp(text.lower())
    return sorted({span.label_ for span in doc.spans[CRISIS_SPANS]})


@pytest.mark.parametrize(
    "text, category",
    [
        ("I'm gonna kill myself tonight", "suicidal_direct"),
        ("i just want to sleep forever", "suicidal_passive"),
        ("i dont want to wake up tomorrow", "suicidal_passive"),
        ("kms", "suicidal_direct"),
        ("i dont know why i shouldnt kill myself", "suicidal_direct"),
        ("i have suicidal ideation every night", "suicidal_direct"),
        ("ketamine didnt reduce my suicidal thoughts and i want to die", "suicidal_direct"),
        ("i bought a rope", "plan_means_timing"),
        ("cutting doesnt work anymore", "self_harm"),
        ("i took the whole bottle", "overdose"),
        ("took 30 of my sertraline an hour ago", "overdose"),
        ("he hits me when hes drunk", "abuse_violence"),
        ("i cant breathe and my chest hurts", "medical_emergency"),
        ("my friend texted that shes going to end it", "third_party_danger"),
        ("whats the point of living", "suicidal_passive"),
        ("i dont think i want to be alive anymore", "suicidal_direct"),
        ("i took like 40 of my ibuprofen", "overdose"),
        ("ive been hoarding my seroquel", "plan_means_timing"),
        ("im not safe at home", "abuse_violence"),
        ("my daughter is cutting herself", "third_party_danger"),
        ("i feel suicidal", "suicidal_direct"),
        (
            "ketamine helped at first and my therapist is great. but last night i wrote "
            "goodbye letters to my kids",
            "plan_means_timing",
        ),
    ],
)
def test_rules_catch_crisis_language(nlp: Any, text: str, category: str) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "im dying to know how ketamine works",
        "this traffic is killing me",
        "ketamine kills old signaling loops",
        "what are suicide rates in depression",
        "im not suicidal, just tired",
        "does ketamine reduce suicidal thoughts in studies",
        "i would never hurt myself",
        "this pasta is to die for",
        "my dad is going to shoot me a text",
        "my phone died during the session",
        "my brother beat me at chess again",
        "i overdosed on netflix this weekend",
    ],
)
def test_idioms_and_non_personal_uses_are_not_matched(nlp: Any, text: str) -> None:
    assert categories(nlp, text) == []


def test_the_rules_survive_saving_and_loading(nlp: Any, tmp_path: Any) -> None:
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert categories(loaded, "i want to kill myself") == ["suicidal_direct"]


@pytest.mark.parametrize("bad", ["~2 die", "die ~2", "kill ~99 myself", "=took|take pills"])
def test_malformed_patterns_fail_the_build(bad: str) -> None:
    with pytest.raises(ValueError):
        compile_pattern(bad, lambda word: word)


class FixedCrisisProbability:
    """Stands in for the trained crisis classifier: the guard's decisions, not the model's."""

    def __init__(self, probability: float) -> None:
        self._probability = probability

    def probability(self, message: Message) -> float:
        return self._probability


def guard(message: Message, probability: float) -> Dict[str, Any]:
    config = CrisisGuard.get_default_config()
    classifier = FixedCrisisProbability(probability)
    CrisisGuard(config, None, None, classifier).process([message])  # type: ignore[arg-type]
    return {
        "intent": message.get("intent"),
        "ranking": message.get("intent_ranking"),
        "crisis": message.get("crisis"),
    }


def message_with(nlp: Any, text: str, ranking: List[Dict[str, Any]]) -> Message:
    message = Message(data={"text": text})
    message.set(SPACY_DOCS["text"], nlp(text.lower()))
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    return message


def test_a_rule_match_wins_over_a_confident_classifier(nlp: Any) -> None:
    ranking = [
        {"name": "personal_advice", "confidence": 0.97},
        {"name": "crisis", "confidence": 0.01},
    ]
    result = guard(message_with(nlp, "should i keep cutting myself", ranking), 0.01)
    assert result["intent"] == {"name": "crisis", "confidence": 1.0}
    assert [r["name"] for r in result["ranking"]] == ["crisis", "personal_advice"]
    assert result["crisis"]["rules"] == ["self_harm"]


def test_a_likely_classifier_crisis_wins_without_a_rule(nlp: Any) -> None:
    ranking = [
        {"name": "personal_advice", "confidence": 0.6},
        {"name": "crisis", "confidence": 0.3},
    ]
    result = guard(message_with(nlp, "everything is too much", ranking), 0.6)
    assert result["intent"]["name"] == "crisis" and result["crisis"]["rules"] == []


def test_the_guards_own_classifier_decides_not_the_topic_ranking(nlp: Any) -> None:
    """The topic classifier's crisis guess is overruled by the crisis classifier below its
    threshold: the next guess answers."""
    ranking = [
        {"name": "crisis", "confidence": 0.7},
        {"name": "personal_advice", "confidence": 0.2},
    ]
    result = guard(message_with(nlp, "i had a rough day and need to vent", ranking), 0.1)
    assert result["intent"]["name"] == "personal_advice"
    assert result["crisis"]["classifier"] == 0.1


def test_neither_signal_leaves_the_message_alone(nlp: Any) -> None:
    ranking = [{"name": "faq", "confidence": 0.9}, {"name": "crisis", "confidence": 0.05}]
    result = guard(message_with(nlp, "what is bdnf", ranking), 0.05)
    assert result["intent"] == {"name": "faq", "confidence": 0.9}
    assert result["crisis"] == {
        "decision": "none",
        "reason": "",
        "rules": [],
        "firm": False,
        "contexts": [],
        "check_in_rules": [],
        "classifier": 0.05,
        "danger_words": [],
        "explained": [],
        "long_message": False,
        "check_in": False,
    }


def test_an_unsure_classifier_makes_a_check_in_that_keeps_the_answer(nlp: Any) -> None:
    ranking = [{"name": "personal_advice", "confidence": 0.8}]
    unsure = guard(message_with(nlp, "everything feels pointless lately", ranking), 0.45)
    assert unsure["intent"] == {"name": "check_in", "confidence": 1.0}
    assert [entry["name"] for entry in unsure["ranking"]] == ["check_in", "personal_advice"]
    assert unsure["crisis"]["check_in"] is True
    assert unsure["crisis"]["decision"] == "check_in"
    sure = guard(message_with(nlp, "everything feels pointless lately", ranking), 0.9)
    assert sure["intent"]["name"] == "crisis" and sure["crisis"]["check_in"] is False
    calm = guard(message_with(nlp, "everything feels pointless lately", ranking), 0.1)
    assert calm["crisis"]["check_in"] is False
    idiom = guard(message_with(nlp, "this traffic is killing me", ranking), 0.45)
    assert idiom["crisis"]["check_in"] is False


def test_a_button_payload_is_not_weighed_by_the_classifier(nlp: Any) -> None:
    ranking = [{"name": "faq", "confidence": 1.0}]
    result = guard(message_with(nlp, "/faq/ketamine_suicidality", ranking), 0.99)
    assert result["intent"]["name"] == "faq"
    assert result["crisis"]["classifier"] == 0.0


@pytest.mark.parametrize(
    "text, context",
    [
        ("im not suicidal, just exhausted from work", "safety"),
        ("what do studies say about suicide rates", "research"),
        ("i self harmed years ago and have been 5 years clean", "past"),
    ],
)
def test_a_context_turns_a_sure_classifier_into_a_check_in_never_into_silence(
    nlp: Any, text: str, context: str
) -> None:
    ranking = [
        {"name": "personal_advice", "confidence": 0.5},
        {"name": "crisis", "confidence": 0.45},
    ]
    result = guard(message_with(nlp, text, ranking), 0.9)
    assert result["intent"]["name"] == "check_in"
    assert context in result["crisis"]["contexts"]
    # The check-in keeps the answer it would have given below it.
    assert [entry["name"] for entry in result["ranking"]] == ["check_in", "personal_advice"]
    # Without the classifier's suspicion the context leaves the message alone.
    assert guard(message_with(nlp, text, ranking), 0.05)["intent"]["name"] == "personal_advice"


@pytest.mark.parametrize(
    "text",
    [
        "im literally dying to see that movie",
        "i would honestly murder someone for a pizza right now",
        "this commute is killing me",
    ],
)
def test_an_idiom_that_covers_every_danger_word_explains_even_a_sure_classifier(
    nlp: Any, text: str
) -> None:
    ranking = [{"name": "out_of_scope", "confidence": 0.6}, {"name": "crisis", "confidence": 0.3}]
    result = guard(message_with(nlp, text, ranking), 0.9)
    assert result["intent"]["name"] == "out_of_scope"
    assert result["crisis"]["reason"] == "context_explains_all"


def test_a_danger_phrasing_a_context_explained_still_asks_a_sure_classifier(nlp: Any) -> None:
    ranking = [{"name": "out_of_scope", "confidence": 0.6}, {"name": "crisis", "confidence": 0.3}]
    message = message_with(nlp, "my sister is going to kill me when she finds out", ranking)
    result = guard(message, 0.9)
    assert result["crisis"]["explained"] == ["abuse_violence"]
    assert result["intent"]["name"] == "check_in"
    calm = guard(
        message_with(nlp, "my sister is going to kill me when she finds out", ranking), 0.1
    )
    assert calm["intent"]["name"] == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    [
        "does ketamine help people who are suicidal like me? i am suicidal right now",
        "i used to self harm years ago but i want to die tonight",
        "im not suicidal but i took 30 of my lexapro",
    ],
)
def test_present_danger_beside_a_context_is_still_a_crisis(nlp: Any, text: str) -> None:
    ranking = [{"name": "faq", "confidence": 0.9}, {"name": "crisis", "confidence": 0.02}]
    assert guard(message_with(nlp, text, ranking), 0.02)["intent"]["name"] == "crisis"


def test_lexicon_entries_expand_and_nest() -> None:
    lexicon = {"pill": ["pills", "$medication"], "medication": ["zoloft", "prozac"]}
    assert expand_lexicon("took ~2 $pill", lexicon) == "took ~2 pills|zoloft|prozac"
    with pytest.raises(ValueError):
        expand_lexicon("took $unknown", lexicon)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("is zoloft like prozac", [("medication", "sertraline"), ("medication", "fluoxetine")]),
        (
            "should i try spravato or ketamine therapy",
            [("treatment", "esketamine"), ("treatment", "ketamine")],
        ),
        ("what is bdnf", []),
    ],
)
def test_domain_terms_are_entities_with_canonical_names(
    nlp: Any, text: str, expected: List[Any]
) -> None:
    message = Message(data={"text": text})
    message.set(SPACY_DOCS["text"], nlp(text.lower()))
    assert [(e["entity"], e["value"]) for e in domain_terms(message)] == expected


def test_every_term_name_is_unique_across_terms() -> None:
    names = [
        name
        for entries in load_terms().values()
        for canonical, other in entries.items()
        for name in [canonical, *other]
    ]
    assert len(names) == len(set(names))


def test_context_spans_are_recorded(nlp: Any) -> None:
    doc = nlp("this traffic is killing me")
    assert [span.label_ for span in doc.spans[CONTEXT_SPANS]] == ["idiom"]


@pytest.mark.parametrize(
    "text, context",
    [
        # idioms
        ("driving across town at rush hour is a suicide mission", "idiom"),
        ("bored to death in the waiting room", "idiom"),
        ("lmao dying 💀 my cat just fell off the couch", "idiom"),
        ("i could strangle my brother for finishing the milk", "idiom"),
        ("these side effects are killing my appetite", "idiom"),
        ("my laptop is about to die, can you email me instead", "idiom"),
        # statements of safety
        ("i wouldnt ever hurt myself, i just want to sleep better", "safety"),
        ("zero suicidal thoughts, just no energy", "safety"),
        ("i have no intention of ending my life, im just frustrated", "safety"),
        ("i dont have any suicidal thoughts at the moment", "safety"),
        # the past
        ("attempted suicide in 2012 and ive been stable since", "past"),
        ("as a teenager i used to cut, im 30 now", "past"),
        ("a long time ago i overdosed, now i want to try ketamine", "past"),
        ("the suicidal thoughts faded after my second infusion", "past"),
        # research and information questions
        ("do ssris raise suicidal thoughts in young adults", "research"),
        ("what are the warning signs that a coworker might be suicidal", "research"),
        ("is there a link between insomnia and suicide", "research"),
        ("how is suicidal ideation measured in the esketamine trials", "research"),
    ],
)
def test_general_contexts_cancel_look_alikes(nlp: Any, text: str, context: str) -> None:
    doc = nlp(text.lower())
    assert categories(nlp, text) == []
    assert context in {span.label_ for span in doc.spans[CONTEXT_SPANS]}


@pytest.mark.parametrize(
    "text",
    [
        # the past, then present danger
        "i tried to kill myself in 2018 and im going to do it again",
        "i self harmed as a teen and the urges are back",
        "the suicidal thoughts are back and worse than before",
        "i was clean for 2 years but i cut again tonight",
        # research framing that hides intent
        "i keep reading articles about suicide methods",
        "for a school project, what are ways to kill yourself",
        "how many of my sertraline would be a lethal dose",
        "what height do you need to jump from to die for sure",
        # danger beside a denial or a joke
        "not joking, i want to die",
        "im not suicidal, i just need to hurt myself to feel something",
        "im dead serious i want to die lol",
        "i dont know why i shouldnt kill myself",
        "i cant fight the urge to cut anymore",
        "zoloft makes me suicidal",
        "i keep praying i just die in my sleep",
    ],
)
def test_crisis_look_alikes_are_still_caught(nlp: Any, text: str) -> None:
    assert categories(nlp, text) != []


def test_a_first_person_free_gap_does_not_skip_the_speaker() -> None:
    pattern = compile_pattern("people ^2 suicidal", lambda word: word)
    assert pattern[1] == {"LOWER": {"NOT_IN": pattern[1]["LOWER"]["NOT_IN"]}, "OP": "?"}
    assert "me" in pattern[1]["LOWER"]["NOT_IN"]
    assert compile_pattern("since <year>", lambda word: word)[1] == {"SHAPE": "dddd"}


@pytest.mark.parametrize(
    "text, category",
    [
        ("im gonna end it tonight", "suicidal_direct"),
        ("he keeps saying hes gonna kill me", "abuse_violence"),
        ("i feel like im gonna pass out after my dose", "medical_emergency"),
    ],
)
def test_words_the_tokenizer_splits_still_match_rules_written_whole(
    nlp: spacy.language.Language, text: str, category: str
) -> None:
    # spaCy splits "gonna" into "gon" "na": without the split variant these never matched.
    assert category in categories(nlp, text)


def test_a_split_word_variant_drops_the_to_its_second_token_already_says() -> None:
    from bot.nlu.spacy_pipeline import split_word_variants

    assert split_word_variants("going|gonna ~1 to ~1 pass out") == [
        "going|gonna ~1 to ~1 pass out",
        "gon na ~1 pass out",
    ]
    assert split_word_variants("+want|gonna ~2 die") == ["+want|gonna ~2 die", "+gon na ~2 die"]
    assert split_word_variants("want ~2 die") == ["want ~2 die"]


def test_i_am_not_gonna_hurt_myself_is_a_statement_of_safety(
    nlp: spacy.language.Language,
) -> None:
    doc = nlp("im not gonna hurt myself, im just so tired")
    assert not doc.spans[CRISIS_SPANS]
    assert "safety" in {span.label_ for span in doc.spans[CONTEXT_SPANS]}


@pytest.mark.parametrize(
    "text, category",
    [
        ("im not going to hurt anyone else, just myself", "suicidal_direct"),
        ("i wont hurt anybody but me", "suicidal_direct"),
        ("he used to hit me years ago and he started again this week", "abuse_violence"),
    ],
)
def test_a_denial_or_the_past_that_stops_before_the_danger_does_not_cancel_it(
    nlp: spacy.language.Language, text: str, category: str
) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    ["im not going to hurt myself", "i would never hurt anyone", "he used to hit me, years ago"],
)
def test_a_denial_or_the_past_that_covers_the_danger_still_cancels_it(
    nlp: spacy.language.Language, text: str
) -> None:
    assert categories(nlp, text) == []


@pytest.mark.parametrize(
    "text, category",
    [
        ("i dont want to hurt myself but i think i will", "suicidal_direct"),
        ("i dont want to end it but i probably will anyway", "suicidal_direct"),
        ("i havent cut in 2 years but i did last night", "self_harm"),
    ],
)
def test_a_denial_or_a_clean_streak_followed_by_the_act_is_a_crisis(
    nlp: spacy.language.Language, text: str, category: str
) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "i dont want to hurt myself but i think i need help",
        "i would never hurt myself but i will talk to my doctor",
        "no self harm in years, but i did start therapy this week",
    ],
)
def test_a_denial_or_a_clean_streak_followed_by_help_seeking_is_not(
    nlp: spacy.language.Language, text: str
) -> None:
    assert categories(nlp, text) == []


@pytest.mark.parametrize(
    "text, category",
    [
        ("i cant stop thinking about death", "suicidal_passive"),
        ("whats even the point anymore", "suicidal_passive"),
        ("i havent eaten in days and i dont care what happens to me", "suicidal_passive"),
    ],
)
def test_passive_ideation_that_looks_like_a_denial_or_a_question(
    nlp: spacy.language.Language, text: str, category: str
) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    ["i dont really think about suicide", "whats the point of ketamine if it wears off"],
)
def test_a_real_denial_or_question_is_not_passive_ideation(
    nlp: spacy.language.Language, text: str
) -> None:
    assert categories(nlp, text) == []


def test_an_abuser_threatening_from_a_distance_in_the_sentence_is_abuse(
    nlp: spacy.language.Language,
) -> None:
    assert "abuse_violence" in categories(
        nlp, "my ex keeps showing up at my work and threatening me"
    )


@pytest.mark.parametrize(
    "text, category",
    [
        ("i keep pressing a hot spoon on my wrist until it blisters", "self_harm"),
        ("held a lighter to my arm again last night", "self_harm"),
        ("i double dosed and then double dosed again", "overdose"),
        ("i kept taking more pills after the first few", "overdose"),
        ("high fever and my muscles keep jerking since the new med", "medical_emergency"),
        ("sweating and shaking with a fever after tramadol and my ssri", "medical_emergency"),
        ("they asked if im safe and i said yes but i lied", "suicidal_direct"),
        ("i lied about being safe to the nurse", "suicidal_direct"),
    ],
)
def test_burns_repeated_doses_serotonin_signs_and_a_false_all_clear(
    nlp: Any, text: str, category: str
) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "i walked so far my feet blistered",
        "i feel safe with my therapist, i never lied to her",
        "my doctor doubled my dose of lexapro",
        "i have a fever, can i still get my infusion",
    ],
)
def test_their_ordinary_twins_are_not_matched(nlp: Any, text: str) -> None:
    assert categories(nlp, text) == []


def test_a_history_that_includes_an_attempt_is_the_past(nlp: Any) -> None:
    doc = nlp("my history includes a suicide attempt at 17, does that rule out spravato")
    assert "past" in [span.label_ for span in doc.spans[CONTEXT_SPANS]]


def test_the_classifier_contrasts_crises_without_the_intents_it_is_told_to_leave_out() -> None:
    from bot.nlu.crisis_guard import contrasted_examples

    def example(text: str, intent: str, label: Optional[str] = None) -> Message:
        data = {"text": text, "intent": intent}
        if label:
            data["intent_response_key"] = label
        return Message(data=data)

    examples = [
        example("i want to end it", "crisis"),
        example("what is bdnf", "faq", "faq/bdnf"),
        example("what are your hours", "clinic", "clinic/hours"),
        example("can i call someone", "clinic", "clinic/contact"),
        example("is it safe?", "ask_is_it_safe"),
        example("", "faq", "faq/bdnf"),
    ]
    kept = contrasted_examples(examples, ["clinic/contact", "ask_is_it_safe"])
    assert [m.get("text") for m in kept] == [
        "i want to end it",
        "what is bdnf",
        "what are your hours",
    ]
    everything = contrasted_examples(examples, [])
    assert len(everything) == 5  # only the one without words is left out
    assert [m.get("text") for m in contrasted_examples(examples, ["clinic"])] == [
        "i want to end it",
        "what is bdnf",
        "is it safe?",
    ]
