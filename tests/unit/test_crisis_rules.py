"""Rules for the way people really write: each class of phrasing, both sides, and the guard's
decision between a crisis turn, a check-in and no sign of danger.

Every example here was written for this test: none comes from the real-messages development set
or its sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Tuple

import pytest
import spacy
import yaml

from bot.nlu.crisis_guard import Signals, Thresholds, decide
from bot.nlu.danger_spelling import likeness
from bot.nlu.spacy_pipeline import (
    CHECK_IN_SPANS,
    CONTEXT_SPANS,
    CRISIS_SPANS,
    DANGER_SPANS,
    EXPLAINED_SPANS,
    FIRM_SPANS,
    PERSONAL_SPANS,
    SPELLING_SPANS,
    build_pipeline,
)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def spans(nlp: Any, text: str, group: str) -> List[str]:
    doc = nlp(text.lower())
    return sorted({span.label_ for span in doc.spans[group]})


@pytest.mark.parametrize(
    "text, category",
    [
        # pleas to be killed, paying someone, being found dead
        ("please kill me", "suicidal_direct"),
        ("can somebody just end me", "suicidal_direct"),
        ("i keep hoping someone will shoot me", "suicidal_direct"),
        ("how much does it cost to hire someone to kill me", "suicidal_direct"),
        ("i hope they find me dead in the morning", "suicidal_direct"),
        # rhetorical questions about being alive
        ("why am i still here", "suicidal_direct"),
        ("honestly why do i even bother living", "suicidal_direct"),
        # notes and goodbyes
        ("should i write a note for my parents", "suicidal_coded"),
        ("what are the pros and cons of leaving a letter", "suicidal_coded"),
        ("this is my goodbye", "suicidal_coded"),
        ("i gave my letter to my sister tonight", "suicidal_coded"),
        ("this will be the last time im posting here", "suicidal_coded"),
        # methods and means
        ("does hanging hurt", "plan_means_timing"),
        ("which is quicker, drowning or jumping", "plan_means_timing"),
        ("i need a painless way out", "plan_means_timing"),
        ("is it enough to kill a person", "plan_means_timing"),
        ("thinking about slitting my wrists", "plan_means_timing"),
        ("the belt is already around my neck", "suicidal_coded"),
        ("i keep driving to the bridge to look at it", "plan_means_timing"),
        ("one day i will just drive off the road", "plan_means_timing"),
        ("fastest way to make myself sick enough for the hospital", "plan_means_timing"),
        # plans and days
        ("sunday is the date i chose", "plan_means_timing"),
        ("i planned on dying this weekend", "suicidal_direct"),
        ("im considering suicide", "suicidal_direct"),
        ("suicide is the only option left", "suicidal_direct"),
        # passive wishes
        ("i wish i would stop waking up", "suicidal_passive"),
        ("so sick of waking up every day", "suicidal_passive"),
        ("death sounds peaceful to me", "suicidal_direct"),
        ("my kids would have a better life if i wasnt in it", "suicidal_passive"),
        # someone else, an abuser
        ("my friend is standing on the bridge right now", "third_party_danger"),
        ("my sister texted me she will jump", "third_party_danger"),
        ("he says hell kill me if i leave", "abuse_violence"),
        # an overdose counted in pills, not milligrams
        ("i took 40 of my 20mg pills", "overdose"),
        ("took three, then three more because nothing happened", "overdose"),
        ("i swallowed every sleeping pill i had left", "overdose"),
        ("i started self-harming again last month", "self_harm"),
        ("punched the mirror until my hand split", "self_harm"),
        ("the pills are in a shoebox under my bed", "plan_means_timing"),
        ("i set the 9th, its his birthday", "plan_means_timing"),
        ("friday is the day", "plan_means_timing"),
        ("i keep counting my pills at night", "plan_means_timing"),
        ("i have it planned out and i could go right now", "plan_means_timing"),
        ("i found a home for my dogs so i can go", "suicidal_coded"),
        ("if nothing changes by spring ill be gone", "suicidal_coded"),
        ("everyone would feel relief if i wasnt here", "suicidal_passive"),
        ("part of me hopes something happens to me on the motorway", "suicidal_passive"),
        ("if i got a terminal diagnosis id be relieved", "suicidal_passive"),
        ("im locked in my room and hes kicking the door", "abuse_violence"),
        ("he pinned me down and said i wont leave alive", "abuse_violence"),
        ("a man keeps showing up at my house at night", "abuse_violence"),
        ("i sat outside his door holding a knife", "harm_to_others"),
        ("i have violent thoughts about my little sister", "harm_to_others"),
        ("my son has been missing since this morning", "third_party_danger"),
        ("my chest is tight and my vision went dark", "medical_emergency"),
        ("my blood pressure is 205 over 125", "medical_emergency"),
        ("my stepdad stabbed me in the arm with a pocket knife", "abuse_violence"),
        ("i counted the tablets out of the strips and havent swallowed them yet", "overdose"),
        ("on parnate and ate aged cheese, now my head is pounding", "medical_emergency"),
    ],
)
def test_real_message_classes_are_crisis(nlp: Any, text: str, category: str) -> None:
    assert category in spans(nlp, text, CRISIS_SPANS)


@pytest.mark.parametrize(
    "text, context",
    [
        ("my best friend committed suicide and i miss him so much", "grief"),
        ("my uncle took his own life and my aunt wont talk about it", "grief"),
        ("my cousin passed away from suicide, how do i support my mum", "grief"),
        ("people at school told me to kill myself and im so angry", "others_said"),
        ("telling someone they should kill themselves is never a joke", "others_said"),
        ("i would kill someone for a burrito right now", "idiom"),
        ("my legs feel like someone beat them with a bat", "idiom"),
        ("my lip feels like its dead after the dentist", "idiom"),
        ("i was abused as a kid and therapy is finally helping", "past"),
        ("my bucket list of places to see before i die", "idiom"),
        ("i killed a spider with my shoe lol", "idiom"),
        ("who would you invite to dinner, living or dead", "idiom"),
        ("it was a joke, dont kill me for it", "idiom"),
    ],
)
def test_their_look_alikes_are_explained_away(nlp: Any, text: str, context: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) == []
    assert context in spans(nlp, text, CONTEXT_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "my grandpa is going to die someday and it scares me",
        "i took 20 mg of my lexapro this morning",
        "i almost spilled coffee on my laptop",
        "im going to a funeral on friday",
        "my blood pressure is 120 over 80",
        "we planned out the trip and we can go right now",
        "if the weather isnt better by friday im done with this trip",
        "then ill be gone for the weekend",
        "i took 2 of my 50mg tablets as prescribed",
    ],
)
def test_ordinary_mentions_are_not_crisis(nlp: Any, text: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) == []


def test_a_recent_attempt_is_not_mistaken_for_someone_elses_death(nlp: Any) -> None:
    text = "i almost committed suicide last night"
    assert "suicidal_direct" in spans(nlp, text, CRISIS_SPANS)
    assert "grief" not in spans(nlp, text, CONTEXT_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "im done.",
        "i give up.",
        "i cant keep doing this",
        "i dont know how much longer i can hold on",
        "its too hard to go through with",
        "i have it all figured out",
        "i just want the pain to stop",
        "after saturday there is nothing left to wait for",
        "i wrote a list of things to sort before i go: the car, the dog, the flat",
        "i dont think ill walk back from the cliffs this time",
    ],
)
def test_ambiguous_phrasings_ask_rather_than_alarm(nlp: Any, text: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) == []
    assert spans(nlp, text, CHECK_IN_SPANS) != []


@pytest.mark.parametrize(
    "text",
    [
        "im done with my homework",
        "i gave up coffee for lent",
        "im dead tired after work",
        "i made a packing list before i go on holiday",
        "nothing left to do for the exam but wait",
    ],
)
def test_their_everyday_twins_do_not_ask(nlp: Any, text: str) -> None:
    assert spans(nlp, text, CHECK_IN_SPANS) == []


def test_firm_patterns_are_marked_apart(nlp: Any) -> None:
    assert spans(nlp, "i am suicidal", FIRM_SPANS) == ["suicidal_direct"]
    assert spans(nlp, "please kill me", FIRM_SPANS) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("my grandpa died and i cant stop crying", True),
        ("my gf wants to go to the cinema", False),
        ("i keep the razor in my drawer", True),
        ("the exam went fine", False),
        # not being around, said of oneself
        ("sometimes i picture everyone getting on fine with me not being here", True),
        ("i imagine how it would go if i wasnt around", True),
        ("my dad is around on weekends", False),
        # affairs put in order
        ("found a new home for my dogs and the rest is sorted", True),
        ("gave away most of my books this week", True),
        ("my mom will take care of my things", True),
        ("i sorted my closet by colour", False),
        # means and amounts
        ("there is a hunting rifle in the basement", True),
        ("swallowed a months worth of my meds", True),
        ("took the whole strip all at once", True),
        ("i did my homework all evening", False),
        # plans, a deadline
        ("i already have what i need for it", True),
        ("dont think ill make it to the weekend", True),
        # a body in trouble
        ("i cant feel my arms and my legs keep twitching", True),
        ("i cant wait for my arms to get stronger at the gym", False),
    ],
)
def test_danger_words_are_marked(nlp: Any, text: str, expected: bool) -> None:
    assert bool(spans(nlp, text, DANGER_SPANS)) is expected


@pytest.mark.parametrize(
    "fused, words",
    [
        ("should i leave a note?i am 20", ["note", "?", "i"]),
        ("im done.alright whatever", ["done", ".", "alright"]),
    ],
)
def test_sentences_run_together_are_read_as_words(nlp: Any, fused: str, words: List[str]) -> None:
    tokens = [token.text for token in nlp(fused)]
    assert any(tokens[i : i + len(words)] == words for i in range(len(tokens)))
    assert [t.text for t in nlp("e.g. this")][0] == "e.g."


@pytest.mark.parametrize(
    "text, concern",
    [
        ("how do i wean off my lamotrigine", "medication_practical"),
        ("can i take advil with zoloft", "medication_practical"),
        ("should i take my lexapro in the morning or at night", "medication_practical"),
        ("my doctor took me off my antidepressant", "medication_practical"),
        ("is ketamine safe for someone like me", "treatment_for_me"),
        ("how many ketamine sessions would i need", "treatment_for_me"),
        ("do i have adhd or am i just lazy", "diagnosis"),
        ("how do i cope with my depression", "coping"),
        ("i'm struggling", "feelings"),
        ("i feel so empty all the time", "feelings"),
        ("should i see a psychiatrist or a therapist", "help_seeking"),
    ],
)
def test_personal_concerns_are_found(nlp: Any, text: str, concern: str) -> None:
    assert concern in spans(nlp, text, PERSONAL_SPANS)


@pytest.mark.parametrize(
    "text",
    ["what is bdnf", "how does ketamine work", "why do ssris take weeks to work", "hello"],
)
def test_article_questions_have_no_personal_concern(nlp: Any, text: str) -> None:
    assert spans(nlp, text, PERSONAL_SPANS) == []


THRESHOLDS = Thresholds(
    crisis=0.6,
    check_in=0.3,
    rule_confirm=0.2,
    long_crisis=0.8,
    question_crisis=0.99,
    explained=0.5,
    acts_or_means=0.2,
)


def signals(**overrides: Any) -> Signals:
    values = dict(
        firm=False,
        rules=(),
        contexts=(),
        check_in_rules=(),
        probability=0.0,
        long_message=False,
        danger_words=(),
        explained=(),
    )
    values.update(overrides)
    return Signals(**values)  # type: ignore[arg-type]


# One case (or more) per row of the decision table in the README ("How the guard decides").
@pytest.mark.parametrize(
    "overrides, expected",
    [
        # A firm rule: a crisis turn at once, whatever the classifier; said laughing, a check-in.
        ({"firm": True, "rules": ("suicidal_direct",)}, ("crisis", "firm_rule")),
        (
            {"firm": True, "rules": ("suicidal_direct",), "contexts": ("joking",)},
            ("check_in", "firm_rule_in_play"),
        ),
        # A laugh in a long story says nothing about the rest of it.
        (
            {"firm": True, "rules": ("overdose",), "contexts": ("joking",), "long_message": True},
            ("crisis", "firm_rule"),
        ),
        # Any other danger rule: a crisis turn when the classifier confirms it, else a check-in.
        ({"rules": ("overdose",), "probability": 0.25}, ("crisis", "rule")),
        ({"rules": ("overdose",), "probability": 0.1}, ("check_in", "rule_unconfirmed")),
        (
            {"rules": ("suicidal_direct",), "probability": 0.9, "contexts": ("joking",)},
            ("check_in", "rule_in_play"),
        ),
        # The classifier alone: short and clear of contexts, a crisis turn.
        ({"probability": 0.7}, ("crisis", "classifier")),
        # A context never silences a strong classifier: it may only turn it into a check-in...
        ({"probability": 0.7, "contexts": ("safety",)}, ("check_in", "classifier_with_context")),
        (
            {"probability": 0.7, "contexts": ("past",), "danger_words": ("death",)},
            ("check_in", "classifier_with_context"),
        ),
        (
            {"probability": 0.7, "contexts": ("idiom",), "explained": ("suicidal_direct",)},
            ("check_in", "classifier_with_context"),
        ),
        # ...unless idioms or play explain every danger word and phrasing it read.
        ({"probability": 0.7, "contexts": ("idiom",)}, ("none", "context_explains_all")),
        ({"probability": 0.7, "contexts": ("joking",)}, ("none", "context_explains_all")),
        # A medication question asks unless the classifier is all but certain.
        ({"probability": 0.9, "contexts": ("question",)}, ("check_in", "classifier_in_question")),
        ({"probability": 0.995, "contexts": ("question",)}, ("crisis", "classifier")),
        # A long story: sadness alone asks; danger words and a sure classifier, a crisis turn.
        ({"probability": 0.95, "long_message": True}, ("check_in", "classifier_long_unsure")),
        (
            {"probability": 0.7, "long_message": True, "danger_words": ("death",)},
            ("check_in", "classifier_long_unsure"),
        ),
        (
            {"probability": 0.9, "long_message": True, "danger_words": ("means",)},
            ("crisis", "classifier_long"),
        ),
        # In a long story an idiom or a joke explains only its own words.
        (
            {
                "probability": 0.9,
                "contexts": ("idiom", "joking"),
                "long_message": True,
                "danger_words": ("death",),
            },
            ("crisis", "classifier_long"),
        ),
        # A danger phrasing a context explained asks when the classifier has some doubt.
        ({"explained": ("suicidal_coded",), "probability": 0.55}, ("check_in", "rule_explained")),
        ({"explained": ("suicidal_coded",), "probability": 0.1}, ("none", "")),
        # The rules' ambiguous phrasings ("i'm done.") ask.
        ({"check_in_rules": ("at_the_end",)}, ("check_in", "check_in_rule")),
        # The classifier's middle band asks, unless a context explains every danger word.
        ({"probability": 0.4}, ("check_in", "classifier_unsure")),
        (
            {"probability": 0.4, "contexts": ("past",), "danger_words": ("means",)},
            ("check_in", "classifier_unsure"),
        ),
        ({"probability": 0.4, "contexts": ("safety",)}, ("none", "")),
        # Words about the means, a goodbye or affairs put in order ask from a little doubt on.
        ({"danger_words": ("means",), "probability": 0.25}, ("check_in", "danger_words")),
        ({"danger_words": ("goodbye",), "probability": 0.1}, ("none", "")),
        # Words about death alone do not.
        ({"danger_words": ("death",), "probability": 0.2}, ("none", "")),
        # Nothing of these: no sign.
        ({"probability": 0.1}, ("none", "")),
    ],
)
def test_the_guard_decides_crisis_check_in_or_none(
    overrides: dict, expected: Tuple[str, str]
) -> None:
    assert decide(signals(**overrides), THRESHOLDS) == expected


def standing_and_explained(nlp: Any, text: str) -> Tuple[List[str], List[str]]:
    """The crisis categories that stand, and those a context explained."""
    return spans(nlp, text, CRISIS_SPANS), spans(nlp, text, EXPLAINED_SPANS)


# Play explains the danger words it covers, a firm pattern's too: the most such a message gets
# is a check-in. Each kind, three of the team's own examples, and three where the same words
# are danger and must stand.
@pytest.mark.parametrize(
    "text",
    [
        # game and sports talk
        "that boss fight made me want to kill myself, died like 30 times",
        "i keep dying on the last level and my controller is about to go out the window",
        "coach is gonna kill me at practice tomorrow after that free throw",
        # songs and films
        "the chorus goes i want to die in your arms tonight and its stuck in my head",
        "that movie where the main character tries to kill himself made me cry",
        "whats the song with the lyric i hurt myself today",
        # dying alone
        "gonna die alone surrounded by houseplants at this rate",
        "my mum keeps asking about grandkids, i told her i will die alone with my dogs",
        "ill die alone and honestly thats fine, more pizza for me",
        # a test or a deadline that will "kill" the writer
        "im going to die in this exam tomorrow i havent studied at all",
        "chemistry test is gonna kill me lmao",
        "my mom is gonna kill me when she sees my report card",
    ],
)
def test_play_explains_the_danger_words_it_covers(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing == []
    assert "play" in spans(nlp, text, CONTEXT_SPANS)


# Danger that survives spelling: a misspelled danger word is read by the rules as the word.
@pytest.mark.parametrize(
    "text, category",
    [
        ("i think im sucidal again", "suicidal_direct"),
        ("i want to kil myslef tonight", "suicidal_direct"),
        ("been thinking about suiside a lot lately", "suicidal_direct"),
        ("i took an overdsoe of my pills an hour ago", "overdose"),
        ("started cuting my arms again", "self_harm"),
        ("i keep thinking about hangin myself in the garage", "suicidal_direct"),
        ("i want to slit my wirsts", "plan_means_timing"),
    ],
)
def test_misspelled_danger_is_read_as_the_word(nlp: Any, text: str, category: str) -> None:
    assert spans(nlp, text, SPELLING_SPANS) != []
    assert category in spans(nlp, text, CRISIS_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        # game words near real danger to the writer, not in the same breath
        "i used to play games to cope but now i want to kill myself tonight",
        "i stopped going to practice. i have the pills counted out and im done",
        # a song and a film can be where someone found their words, not a joke
        "i wrote my goodbye letter last night and chose the song for my funeral",
        # alone, and ending it: not a joke about dying alone
        "im so alone i want to end my life",
        # a goodbye to everyone, not to a forum
        "goodbye everyone, i wont be here tomorrow",
        "my sister posted a goodbye message on instagram and isnt answering",
    ],
)
def test_danger_beside_play_words_still_stands(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing != []


@pytest.mark.parametrize(
    "text",
    [
        "IM GONNA KILL MYSELF IF I FAIL THIS LMAO",
        "i swear ill kms if he texts me again 😂",
        "jk jk im not actually gonna die over a haircut",
    ],
)
def test_a_laugh_in_a_short_message_marks_it_joking(nlp: Any, text: str) -> None:
    assert "joking" in spans(nlp, text, CONTEXT_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "i want to hurt my kids",
        "my kids are the only reason im still here",
        "i took all my pills and im scared",
        # said not to be a joke
        "IM ENDING IT TONIGHT. IM NOT JOKING THIS TIME",
        "i want to die. no lol. i mean it",
        "going to kill myself tonight, not kidding",
        # a laugh about something else, before the danger
        "everyone thinks im fine lol but i have a blade and i used it at lunch",
        "lol at my life. anyway i have the pills counted out",
        "my brother thinks its funny haha. i took the whole bottle an hour ago",
    ],
)
def test_kids_and_other_words_are_not_laughs(nlp: Any, text: str) -> None:
    assert "joking" not in spans(nlp, text, CONTEXT_SPANS)


# A plea for support about oneself is a personal concern, whatever else the message says: never
# thanked or brushed off.
@pytest.mark.parametrize(
    "text",
    [
        "having a really bad night, would appreciate some support. thank you",
        "could really use some encouragement right now, thanks",
        "please help me i dont know what to do anymore",
        "can someone talk to me for a bit",
        "i just need someone to listen tonight",
        "dead inside. help",
    ],
)
def test_a_plea_for_support_is_a_personal_concern(nlp: Any, text: str) -> None:
    assert spans(nlp, text, PERSONAL_SPANS) != []


@pytest.mark.parametrize(
    "text",
    [
        "thank you, that helped",
        "can someone explain what bdnf does",
        "thanks for the support you gave me last week, im doing better",
    ],
)
def test_thanks_and_questions_are_not_pleas(nlp: Any, text: str) -> None:
    assert "help_seeking" not in spans(nlp, text, PERSONAL_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "i want to dye my hair blue",
        "my cat is so cute when she sleeps",
        "we were sittin on the porch all night",
        "i bought a razer keyboard and a new mouse",
        "dropped the kids at shool and went back to bed",
        "my nephew is such a cutie",
        "the kiln at pottery class cracked my vase",
    ],
)
def test_ordinary_words_are_not_read_as_danger(nlp: Any, text: str) -> None:
    assert spans(nlp, text, SPELLING_SPANS) == []
    assert spans(nlp, text, CRISIS_SPANS) == []


@pytest.mark.parametrize(
    "token, word",
    [
        # a letter dropped, doubled, swapped, or sounded out
        ("sucide", "suicide"),
        ("suicdal", "suicidal"),
        ("kil", "kill"),
        ("killin", "killing"),
        ("hnag", "hang"),
        ("overdsoe", "overdose"),
        ("bleding", "bleeding"),
        ("myslef", "myself"),
        # listed by hand: too far for the edit distance
        ("dieing", "dying"),
        # words in their own right, their "-in" forms, and the `never` list
        ("dye", None),
        ("cute", None),
        ("kiln", None),
        ("sittin", None),
        ("razer", None),
        # closer to an ordinary word: "school" needs no letter changed, "shoot" one
        ("shool", None),
        ("suicide", None),
    ],
)
def test_the_spelling_map_both_ways(nlp: Any, token: str, word: Optional[str]) -> None:
    assert nlp.get_pipe("crisis_matcher")._spelling.correct(token) == word


def test_the_rules_read_the_word_but_the_classifiers_read_the_text(nlp: Any) -> None:
    doc = nlp("i feel sucidal")
    assert [token.lemma_ for token in doc][-1] == "sucidal"
    assert "suicidal_direct" in {span.label_ for span in doc.spans[CRISIS_SPANS]}


def test_likeness_counts_edits_then_letters_changed_by_sound_or_not() -> None:
    assert likeness("suiside", "suicide") == (1, 0)
    assert likeness("shool", "school") == (1, 0)
    assert likeness("shool", "shoot") == (1, 1)
    assert likeness("wirst", "wrist") == (1, 0)


# Kinds of danger told anywhere in a long post, or asked as curiosity. Each kind has messages
# written for this test on both sides: the danger, and ordinary messages with the same words.
DANGER_KINDS = {
    "means kept, and drawn to them": (
        [
            (
                "the cord is still tied to the beam in the basement and i go down and look at "
                "it every night",
                "plan_means_timing",
            ),
            (
                "ive got a stash of my sleeping pills in my backpack and i keep counting them",
                "plan_means_timing",
            ),
            ("theres a razor blade in my wallet, just in case i need it", "plan_means_timing"),
            (
                "work has been awful and my landlord is raising the rent. i keep a bottle of my "
                "old tramadol in my desk drawer for when im ready",
                "plan_means_timing",
            ),
        ],
        [
            "i keep a bottle of ibuprofen in my bag just in case of headaches",
            "my grandpa's rifle is in the closet, we only take it out for deer season",
            "i count them every morning, the chickens i mean, all eleven of them",
            "i keep my meds in a drawer and count them weekly for my organiser",
        ],
    ),
    "means ready, and when": (
        [
            ("i have the pills ready and tonight is the night", "plan_means_timing"),
            (
                "the rope is ready and im doing it tonight after everyone is asleep",
                "plan_means_timing",
            ),
            (
                "i've got enough tablets saved and im going to do it this weekend",
                "plan_means_timing",
            ),
        ],
        [
            "i have the tickets ready and im doing it tonight, first solo gig",
            "the cake is ready and im doing it tonight, proposing at dinner",
            "i got the pills ready for the trip, we leave tonight",
        ],
    ),
    "a gun at hand": (
        [
            ("sitting on my bed with my dads gun in my lap", "plan_means_timing"),
            (
                "i took the shotgun out of the safe and drove to the lake, i just want it quiet",
                "plan_means_timing",
            ),
            ("i keep sitting with the pistol for hours after work", "plan_means_timing"),
        ],
        [
            "my gun is in my hand at the range every saturday",
            "i took the rifle out of the safe to clean it before hunting season",
            "we sat with the shotgun instructor for an hour learning safety",
        ],
    ),
    "unsafe where one is": (
        [
            (
                "im at the top of the parking garage and i dont trust myself right now",
                "plan_means_timing",
            ),
            ("im up on the bridge again and i want to jump", "plan_means_timing"),
            ("im on the roof of my dorm, can somebody please talk to me", "plan_means_timing"),
            (
                "i walked out on the pier tonight and kept looking down into the water thinking "
                "it would be so easy to just step off",
                "plan_means_timing",
            ),
            ("i dont trust myself near the edge of the platform tonight", "plan_means_timing"),
        ],
        [
            "im on the roof fixing the gutters, can someone talk me through the sealant",
            "i was at the edge of the pool looking down into the water for my ring",
            "i dont trust myself around sugar after 9pm",
            "i dont trust myself with a paintbrush lol",
            "im on the roof deck at work, anyone want to talk to me about the ketamine trial",
        ],
    ),
    "an act just done, told in passing": (
        [
            (
                "anyway the party was fun but when i got home i carved into my thigh again",
                "self_harm",
            ),
            ("school was fine, then at home i slashed my arm in the bathroom", "self_harm"),
            (
                "its been bleeding through my bandage all evening and i havent told anyone",
                "self_harm",
            ),
            (
                "we had a great holiday. after the kids went to bed i swallowed whatever was left "
                "in the medicine cabinet",
                "overdose",
            ),
            ("i just took a whole strip of my sleeping tablets", "overdose"),
            ("took the rest of them, like 25 sleeping pills", "overdose"),
        ],
        [
            "i sliced the onions into my soup",
            "my nose is bleeding through the tissue again, allergies",
            "i carved the turkey and my arm is so tired",
            "i took whatever was left of the pizza",
            "i took 6 kids to the park and we got 20 popsicles",
        ],
    ),
    "a method or lethality question asked as curiosity": (
        [
            (
                "hypothetically how high does a bridge have to be for a fall to be fatal",
                "plan_means_timing",
            ),
            (
                "how long does it take to die from carbon monoxide in a closed room",
                "plan_means_timing",
            ),
            (
                "how long would it take to bleed out from a deep cut, just curious",
                "plan_means_timing",
            ),
            ("would my closet rod hold my weight, asking for no reason", "plan_means_timing"),
            ("what amount of ibuprofen would kill someone, im curious", "plan_means_timing"),
            ("is the 7th floor of the car park high enough", "plan_means_timing"),
        ],
        [
            "how long does it take for paint to dry",
            "would the shelf hold my weight if i stand on it to reach the top",
            "how much alcohol damages your liver over time",
            "is the ladder high enough to reach the gutter",
            "hypothetically if you could live forever would you",
        ],
    ),
    "someone else in danger, by what they do": (
        [
            (
                "my uncle has been talking weird all week. today he gave my son his fishing rods "
                "and his watch and said goodbye like he was going somewhere",
                "third_party_danger",
            ),
            (
                "a girl in my class gave away all her art supplies and her books and kept "
                "thanking everyone for everything",
                "third_party_danger",
            ),
            (
                "my flatmate gave me her camera and said i should have it now, then shut herself "
                "in her room",
                "third_party_danger",
            ),
            (
                "my son locked himself in his room and he has my sleeping pills",
                "third_party_danger",
            ),
            (
                "he locked himself in the garage with a rope and wont open the door",
                "third_party_danger",
            ),
            ("my partner took a knife into the bathroom and wont come out", "third_party_danger"),
        ],
        [
            "my grandma gave me her ring at my graduation and hugged me for a long time, i cried",
            "my friend gave away his old games before moving to canada and said bye to everyone",
            "my sister gave me her old clothes when she went to uni and we hugged goodbye",
            "my daughter locked herself in her room because i took her phone",
            "my brother is not coming out of his room, he has a big exam and all his books",
        ],
    ),
    "medicines and alcohol mixed, the body in trouble now": (
        [
            (
                "i had three glasses of wine and then took two of my xanax, now my lips feel numb",
                "medical_emergency",
            ),
            (
                "my dad took his pain pills twice by mistake about an hour ago and now his speech "
                "is slurred",
                "medical_emergency",
            ),
            (
                "took a couple of my sleeping tablets and some of my roommates anxiety meds maybe "
                "40 minutes ago and i cant get a full breath",
                "medical_emergency",
            ),
        ],
        [
            "i started sertraline last week, can i have a glass of wine with dinner",
            "had two beers at the game, slept great, feeling fine this morning",
            "took my ibuprofen an hour ago and my headache is finally gone",
            "i took my lamotrigine two hours ago and my vision is a bit blurry, is that normal",
            "had my ketamine infusion two hours ago and i can barely walk straight, is that normal",
            "i had my spravato dose about an hour ago and my speech feels weird and slow",
        ],
    ),
}


@pytest.mark.parametrize(
    "kind, text, category",
    [
        (kind, text, category)
        for kind, (found, _) in DANGER_KINDS.items()
        for text, category in found
    ],
)
def test_danger_kinds_are_found(nlp: Any, kind: str, text: str, category: str) -> None:
    assert category in spans(nlp, text, CRISIS_SPANS), kind


@pytest.mark.parametrize(
    "kind, text",
    [(kind, text) for kind, (_, ordinary) in DANGER_KINDS.items() for text in ordinary],
)
def test_their_ordinary_twins_are_not(nlp: Any, kind: str, text: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) == [], kind


def test_every_kind_has_three_examples_each_way() -> None:
    for kind, (found, ordinary) in DANGER_KINDS.items():
        assert len(found) >= 3 and len(ordinary) >= 3, kind


def test_a_rule_of_parts_needs_every_part_near_and_unexplained(tmp_path: Path) -> None:
    rules = {
        "categories": {"plan_means_timing": ["nothing at all here"]},
        "not_crisis": {"past": ["red car"]},
        "together": {
            "window": 10,
            "parts": {"red": ["red"], "blue": ["blue"]},
            "categories": {"third_party_danger": ["red & blue"], "self_harm": ["+blue & red"]},
        },
    }
    path = tmp_path / "crisis.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    nlp = build_pipeline(rules_path=path)
    assert spans(nlp, "the blue one and the red one", CRISIS_SPANS) == [
        "self_harm",
        "third_party_danger",
    ]
    assert spans(nlp, "the blue one and the red one", FIRM_SPANS) == ["self_harm"]
    assert spans(nlp, "only the red one", CRISIS_SPANS) == []
    # too far apart
    assert spans(nlp, "red " + "and " * 12 + "blue", CRISIS_SPANS) == []
    # a context over one part explains the rule; a firm rule stands, as firm patterns do
    assert spans(nlp, "the red car and the blue one", CRISIS_SPANS) == ["self_harm"]
    assert spans(nlp, "the red car and the blue one", EXPLAINED_SPANS) == ["third_party_danger"]


# Firm: first-person danger now (intent, a plan with the means ready, means at hand where one is,
# an act just done) is a crisis turn without the classifier's confirmation. What jokes, idioms,
# stories and the past also say stays soft, and so does the same danger told in the past.
@pytest.mark.parametrize(
    "text",
    [
        "im going to end my life this weekend, i've made up my mind",
        "i've decided to kill myself",
        "i keep thinking about killing myself, every single day",
        "i dont want to be alive anymore",
        "i just slit my wrist",
        "i swallowed a whole bottle of sleeping pills 20 minutes ago",
        "i have the pills ready and tonight is the night",
        "im up on the bridge again and i want to jump",
        "the belt is around my neck right now",
        "got home and sliced my thigh open half an hour ago, its a mess",
        "i have it all figured out, i could do it tonight",
    ],
)
def test_first_person_danger_now_is_firm(nlp: Any, text: str) -> None:
    assert spans(nlp, text, FIRM_SPANS) != []


@pytest.mark.parametrize(
    "text",
    [
        # the same words in the past, denied, or about a place and not the writer
        "i was going to end my life in 2019 but my sister found me",
        "im not going to end my life, i promise, i just need to vent",
        "i didnt want to be alive back then but things are good now",
        "when i was 15 i kept thinking about killing myself",
        "i dont want to live in this city anymore",
        # words jokes and idioms use: a rule, but the classifier confirms it
        "i want to die",
        "ugh kill me now",
        "this is my last post here, goodbye everyone",
        "i dont trust myself with my pills so my partner keeps them",
        "we have it all planned out and we can go right now",
        "cut my arm on the fence an hour ago, still bleeding a bit",
    ],
)
def test_the_rest_is_not_firm(nlp: Any, text: str) -> None:
    assert spans(nlp, text, FIRM_SPANS) == []


@pytest.mark.parametrize(
    "text",
    [
        "gonna dye my hair blue this weekend",
        "overdosing on copium after she left me on read",
        "she dyed her hair and i want to dye mine too",
    ],
)
def test_dye_and_copium_are_not_danger(nlp: Any, text: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) == []
    assert "death" not in spans(nlp, text, DANGER_SPANS)


@pytest.mark.parametrize(
    "text", ["i cant stop thinking about dying lately", "i keep thinking about dying"]
)
def test_dying_is_still_dying(nlp: Any, text: str) -> None:
    assert "death" in spans(nlp, text, DANGER_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "logging off twitter for good, its bad for my brain. bye everyone!",
        "farewell, sub. im doing much better so im deleting the app. thank you all",
        "signing off, this is my last update on the infusion thread. take care everyone",
        "goodbye reddit, deleting the app for a while to focus on exams",
        "leaving this sub, the drama is too much, bye everyone",
        "this is my last post here, moving to the discord server instead",
    ],
)
def test_a_goodbye_to_a_forum_explains_the_messages_goodbyes(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert "suicidal_coded" not in standing
    assert "forum" in spans(nlp, text, CONTEXT_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        # a goodbye to everyone, with no forum or app left behind
        "bye everyone. thank you for everything. this is my last message",
        # a forum left behind, and danger in other words
        "deleting the app. i wont be here tomorrow anyway, i have the pills ready",
        "goodbye reddit, i have decided to end my life tonight",
    ],
)
def test_danger_beside_a_forum_goodbye_stands(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing != []


@pytest.mark.parametrize(
    "text",
    [
        "my new meds make me moody, nothing about hurting myself, just cranky",
        "what should i do if i start getting suicidal thoughts on a new antidepressant",
        "if i ever start having dark thoughts on it, who should i call",
    ],
)
def test_a_side_effect_asked_about_before_it_happens_is_not_danger_now(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing == []


@pytest.mark.parametrize(
    "text",
    [
        "since starting my new meds i keep getting suicidal thoughts",
        "im having dark thoughts about hurting myself tonight",
        "what should i do, i am suicidal right now",
    ],
)
def test_a_side_effect_happening_now_stands(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing != []


@pytest.mark.parametrize(
    "text",
    [
        "i wish i could just disappear for a month and come back rested",
        "id rather be buried alive than do another tax return",
        "honestly id rather die than sing karaoke at the work party",
        "learning hurt on guitar, that first line about hurting myself today is brutal",
    ],
)
def test_hyperbole_and_song_lines_are_not_danger(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing == []


@pytest.mark.parametrize(
    "text",
    [
        "i wish i could just disappear forever and never come back",
        "i would rather die than keep living like this",
        "i hurt myself today and i want to do it again",
    ],
)
def test_the_same_words_meant_stand(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing != []


@pytest.mark.parametrize(
    "text, category",
    [
        ("i wont be here tomorrow anyway", "suicidal_coded"),
        ("i will not be around much longer", "suicidal_coded"),
        ("dont worry, i wont be here by the weekend", "suicidal_coded"),
        ("i have the pills ready", "plan_means_timing"),
        ("ive got all my meds counted out on the desk", "plan_means_timing"),
        ("i have enough tablets saved", "plan_means_timing"),
    ],
)
def test_not_being_here_soon_and_the_means_made_ready(nlp: Any, text: str, category: str) -> None:
    assert category in spans(nlp, text, CRISIS_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "i wont be here tomorrow, im flying to my sisters",
        "i have my meds ready for the week in a pill organiser",
        "i have my pills sorted for the trip",
        "i will not be around much this weekend, camping trip",
    ],
)
def test_plans_and_pill_organisers_are_not_the_means_made_ready(nlp: Any, text: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) == []


@pytest.mark.parametrize(
    "text",
    [
        "i took everything in my pill organizer at once",
        "swallowed the whole weeks worth from my pill box",
        "i emptied my dosette box into my mouth an hour ago",
    ],
)
def test_a_pill_organiser_emptied_is_an_overdose(nlp: Any, text: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS) != []


@pytest.mark.parametrize(
    "text",
    [
        "work is hell. sometimes i want to blow my head off. anyway, does ketamine help burnout",
        "thinking about putting a bullet in my head tonight",
        "i dont want to die exactly, i just dont want to keep breathing",
    ],
)
def test_a_gun_to_ones_head_and_not_wanting_to_breathe(nlp: Any, text: str) -> None:
    assert "suicidal_direct" in spans(nlp, text, CRISIS_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "that guitar solo blew my mind",
        "the bass at that concert nearly blew my head off lol",
        "i can breathe again now that exams are over",
    ],
)
def test_loud_music_and_relief_are_not_a_gun(nlp: Any, text: str) -> None:
    assert "suicidal_direct" not in spans(nlp, text, CRISIS_SPANS)


@pytest.mark.parametrize(
    "text",
    [
        "every night around 3am i wake up with my chest tight and my heart racing",
        "ive had this chest pain on and off for about a year, anxiety my doctor says",
        "my heart has been pounding like this since 2019 whenever i get stressed",
    ],
)
def test_symptoms_that_keep_coming_back_are_no_emergency_now(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert "medical_emergency" not in standing


@pytest.mark.parametrize(
    "text",
    [
        "my chest is tight and i cant breathe right now, it started an hour ago",
        "i cant breathe and my chest hurts, it started after my infusion today",
        "every night i think about killing myself and tonight i have the pills ready",
    ],
)
def test_symptoms_now_and_other_danger_beside_old_symptoms_stand(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing != []


@pytest.mark.parametrize(
    "text",
    [
        "my friend said wellbutrin made her have dark thoughts, is that common",
        "my sister says sertraline gave her suicidal thoughts at first, should i worry",
        "i read that ssris can make some people feel suicidal, how rare is that",
    ],
)
def test_someone_elses_side_effect_asked_about_is_not_danger_now(nlp: Any, text: str) -> None:
    standing, _ = standing_and_explained(nlp, text)
    assert standing == []


@pytest.mark.parametrize(
    "text",
    [
        "do i need a ride home afterwards",
        "can my husband pick me up after the session",
        "am i allowed to drive home after my infusion",
        "is there parking near the clinic",
        "where do i park when i arrive",
        "should i eat before the appointment or come fasting",
        "can i take an uber back from there",
    ],
)
def test_practical_questions_about_a_visit_are_questions(nlp: Any, text: str) -> None:
    # The classifier alone cannot make them a crisis turn (at most a check-in, with the lines).
    assert "question" in spans(nlp, text, CONTEXT_SPANS)
    assert spans(nlp, text, CRISIS_SPANS) == []


@pytest.mark.parametrize(
    "text, category",
    [
        ("im going to drive my car into a wall tonight", "suicidal_direct"),
        ("i parked at the bridge and im going to jump", "plan_means_timing"),
        ("i havent eaten in days and i took the whole bottle before bed", "overdose"),
    ],
)
def test_danger_beside_a_visits_words_stays_a_crisis(nlp: Any, text: str, category: str) -> None:
    assert spans(nlp, text, CRISIS_SPANS), text


@pytest.mark.parametrize(
    "text",
    [
        "from the bridge we watched the salmon about to jump the weir",
        "the kids on the roof of the shed want to jump on the trampoline",
    ],
)
def test_jumping_for_fun_is_not_a_high_place_crisis(nlp: Any, text: str) -> None:
    assert "suicidal_direct" not in spans(nlp, text, CRISIS_SPANS)
    assert "plan_means_timing" not in spans(nlp, text, CRISIS_SPANS)
