"""Recurring themes: plain word and phrase counts on a fixed set of answers."""

from bot.survey.themes import Theme, terms, themes, tokens

ANSWERS = [
    "Too expensive for small teams. Pricing was the main issue.",
    "Pricing! They said it was too expensive compared to Acme.",
    "Missing SSO integration; pricing unclear.",
    "They loved the Salesforce integration.",
    "Acme was cheaper, too expensive for them",
]


def test_themes_of_a_fixed_set_of_answers() -> None:
    # By hand: "too expensive" is in answers 1, 2, 5; "pricing" in 1, 2, 3;
    # "integration" in 3, 4; "acme" in 2, 5. "expensive" alone is never said
    # without "too", so the phrase stands for it. Everything else appears once.
    assert themes(ANSWERS) == [
        Theme("too expensive", 3),
        Theme("pricing", 3),
        Theme("acme", 2),
        Theme("integration", 2),
    ]
    assert themes(ANSWERS, limit=2) == [Theme("too expensive", 3), Theme("pricing", 3)]
    # Once-only terms too: phrases before words at the same count.
    assert [t.term for t in themes(ANSWERS, min_count=1)][:6] == [
        "too expensive",
        "pricing",
        "acme",
        "integration",
        "expensive compared",
        "main issue",
    ]


def test_an_answer_counts_once_and_a_word_said_more_often_than_its_phrase_stays() -> None:
    answers = ["Pricing, pricing, pricing.", "Too expensive.", "Expensive setup.", "expensive"]
    assert themes(answers) == [Theme("expensive", 3)]
    assert themes(["pricing pricing", "other"]) == []


def test_terms_skip_stop_words_split_at_punctuation_and_keep_telling_phrases() -> None:
    assert terms("No budget, not now: they were not ready") == {
        "budget",
        "no budget",
        "ready",
        "not ready",
    }
    assert tokens("The customer\u2019s CRM (HubSpot) & G2 reviews; 2024 budget") == [
        ["the", "customer", "crm"],
        ["hubspot"],
        ["g2", "reviews"],
        ["budget"],
    ]
    assert themes([]) == []
