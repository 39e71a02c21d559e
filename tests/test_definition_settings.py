"""`mql_definition` in app.yaml: valid shapes, the version, and every problem named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

CHANNELS = "channels: {leads: C01, marketing: C02}\n"
GOOD = """
mql_definition:
  on_miss: review
  managers: {users: [U0SALESMGR]}
  criteria:
    - {id: size, label: Company size, employees: {at_least: 50, at_most: 5000}}
    - {id: icp_industry, label: Industry, industry: [Software, Fintech]}
    - {id: region, label: Region, country: [DE, AT, CH]}
    - {id: buyer_role, label: buyer role, title: [head, director, vp, chief]}
    - {id: engaged, label: Score, score: {at_least: 60}}
    - {id: hand_raiser, label: Asked for us, reason: [demo, pricing]}
    - {id: plan, label: Plan, fields: {plan: [enterprise, team]}}
  review: {day: 3, at: "08:30", keep_accepted: 0.7, keep_won: 0.95}
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "app.yaml"
    path.write_text(CHANNELS + text)
    return load_settings({}, path)


def problems(tmp_path: Path, text: str) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, text)
    return {p.key: p.message for p in caught.value.problems}


def test_a_full_definition_loads(tmp_path: Path) -> None:
    team = load(tmp_path, GOOD).team  # type: ignore[attr-defined]
    definition = team.mql_definition
    assert [c.id for c in definition.criteria] == [
        "size",
        "icp_industry",
        "region",
        "buyer_role",
        "engaged",
        "hand_raiser",
        "plan",
    ]
    assert [c.test for c in definition.criteria] == [
        "employees",
        "industry",
        "country",
        "title",
        "score",
        "reason",
        "fields",
    ]
    assert definition.on_miss == "review"
    assert definition.review.day == 3 and definition.review.keep_accepted == 0.7
    assert team.dispute_managers.users == ["U0SALESMGR"]
    assert len(definition.version) == 12


def test_defaults_no_definition_flag_and_admins_decide(tmp_path: Path) -> None:
    team = load(tmp_path, "admins: {users: [U0ADMIN]}\n").team  # type: ignore[attr-defined]
    assert not team.mql_definition.enabled
    assert team.mql_definition.on_miss == "flag"
    assert team.dispute_managers.users == ["U0ADMIN"]
    # The default "not our ICP" reason is the guarantee's.
    assert team.reason("not_icp").definition_miss
    assert not team.reason("no_budget").definition_miss


def test_the_version_follows_the_tests_not_the_labels(tmp_path: Path) -> None:
    base = load(tmp_path, GOOD).team.mql_definition  # type: ignore[attr-defined]
    relabelled = load(tmp_path, GOOD.replace("label: Region", "label: DACH")).team  # type: ignore[attr-defined]
    assert relabelled.mql_definition.version == base.version
    # Letter case and order of a list's values are not a change either.
    same = load(tmp_path, GOOD.replace("[DE, AT, CH]", "[ch, de, AT]")).team  # type: ignore[attr-defined]
    assert same.mql_definition.version == base.version
    stricter = load(tmp_path, GOOD.replace("at_least: 60", "at_least: 70")).team  # type: ignore[attr-defined]
    assert stricter.mql_definition.version != base.version


@pytest.mark.parametrize(
    ("criteria", "key", "words"),
    [
        (
            "- {id: size, label: Size, revenue: [big]}",
            "mql_definition.criteria.0",
            "'revenue' is not a lead field",
        ),
        ("- {id: size, label: Size, industry: []}", "mql_definition.criteria.0", "empty list"),
        (
            "- {id: size, label: Size, fields: {plan: []}}",
            "mql_definition.criteria.0",
            "empty list",
        ),
        (
            "- {id: size, label: Size, employees: {at_least: 500, at_most: 50}}",
            "mql_definition.criteria.0.employees",
            "at_least (500) is above at_most (50)",
        ),
        (
            "- {id: size, label: Size, employees: {}}",
            "mql_definition.criteria.0.employees",
            "give at_least, at_most or both",
        ),
        (
            "- {id: size, label: Size}",
            "mql_definition.criteria.0",
            "needs exactly one test",
        ),
        (
            "- {id: size, label: Size, score: {at_least: 1}, country: [DE]}",
            "mql_definition.criteria.0",
            "needs exactly one test",
        ),
        (
            "- {id: size, label: A, country: [DE]}\n    - {id: size, label: B, country: [AT]}",
            "mql_definition.criteria",
            "criterion id 'size' appears twice",
        ),
        (
            "- {id: plan, label: Plan, fields: {plan: [a], tier: [b]}}",
            "mql_definition.criteria.0",
            "exactly one key",
        ),
    ],
)
def test_handoff_check_names_the_key_of_each_problem(
    tmp_path: Path, criteria: str, key: str, words: str
) -> None:
    found = problems(tmp_path, f"mql_definition:\n  criteria:\n    {criteria}\n")
    assert key in found, found
    assert words in found[key]


def test_on_miss_and_review_are_checked(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "mql_definition:\n  on_miss: drop\n  review: {day: 31, keep_won: 2}\n",
    )
    assert set(found) == {
        "mql_definition.on_miss",
        "mql_definition.review.day",
        "mql_definition.review.keep_won",
    }
