"""Skill-mining prompts (docs/algorithms.md §4 SIRI, §5 Skill-SD): golden texts written by hand."""

from __future__ import annotations

import pytest

from siri.agent import (
    EpisodeRecord,
    build_structured_summary_prompt,
    build_summary_prompt,
    parse_skills,
    parse_structured_skill,
    render_trajectories,
)
from siri.utils.errors import UserError

CLEAN_1 = EpisodeRecord(
    task="put a clean mug in coffeemachine",
    actions=(
        "go to countertop 1", "take mug 1 from countertop 1", "go to sinkbasin 1", "clean mug 1 with sinkbasin 1",
        "go to coffeemachine 1", "move mug 1 to coffeemachine 1",
    ),
    won=True,
)
CLEAN_2 = EpisodeRecord(
    task="clean some mug and put it in coffeemachine",
    actions=("go to sinkbasin 1", "take mug 2 from sinkbasin 1", "clean mug 2 with sinkbasin 1",
             "go to coffeemachine 1", "move mug 2 to coffeemachine 1"),
    won=True,
)

SIRI_HOUSEHOLD = """You are an expert agent operating in the ALFRED Embodied Environment.
Below are successful attempts at tasks of type pick_clean_then_place_in_recep.
Trajectory 1 (success): put a clean mug in coffeemachine
Actions: go to countertop 1 -> take mug 1 from countertop 1 -> go to sinkbasin 1 -> clean mug 1 with sinkbasin 1 -> go to coffeemachine 1 -> move mug 1 to coffeemachine 1
Trajectory 2 (success): clean some mug and put it in coffeemachine
Actions: go to sinkbasin 1 -> take mug 2 from sinkbasin 1 -> clean mug 2 with sinkbasin 1 -> go to coffeemachine 1 -> move mug 2 to coffeemachine 1
Write at most 3 skills that would help with new tasks of this type, one per line, in the form:
When <condition>: <strategy>
Keep each skill to one or two short sentences. Write nothing else."""


def test_siri_summary_golden() -> None:
    got = build_summary_prompt("household", "pick_clean_then_place_in_recep", [CLEAN_1, CLEAN_2])
    assert got == SIRI_HOUSEHOLD


def test_siri_summary_from_bare_pairs_sokoban_shows_the_start_grid() -> None:
    pairs = [("#####\n#PXO#\n#####", "right"), ("#####\n#_P√#\n#####", "left")]
    got = build_summary_prompt("sokoban", "1_box", [pairs], max_skills=2)
    assert got == """You are an expert agent playing Sokoban.
Symbols: # wall, _ floor, O target, X box, √ box on target, P you, S you on a target.
Push every box onto a target. Boxes can be pushed but not pulled, so never push one into a corner.
Below are successful attempts at tasks of type 1_box.
Trajectory 1 (success)
Start:
#####
#PXO#
#####
Actions: right -> left
Write at most 2 skills that would help with new tasks of this type, one per line, in the form:
When <condition>: <strategy>
Keep each skill to one or two short sentences. Write nothing else."""


def test_start_grid_is_shown_for_sokoban_only() -> None:
    record = EpisodeRecord.from_steps("buy socks", [("WebShop [SEP] Search", "search[socks]")], won=False)
    assert render_trajectories("shop", [record]) == "Trajectory 1 (failure): buy socks\nActions: search[socks]"
    assert render_trajectories("shop", [EpisodeRecord("t", (), True)]) == "Trajectory 1 (success): t\nActions: (none)"


def test_precomputed_text_is_used_verbatim() -> None:
    got = build_summary_prompt("shop", "shirts", "  Trajectory 1 (success): x\nActions: click[buy now]\n")
    assert "of type shirts.\nTrajectory 1 (success): x\nActions: click[buy now]\nWrite at most 3" in got


def test_siri_summary_refuses_failures_and_empty_lists() -> None:
    with pytest.raises(ValueError, match="successful trajectories only"):
        build_summary_prompt("household", "x", [EpisodeRecord("t", ("look",), False)])
    with pytest.raises(ValueError, match="no trajectories"):
        build_summary_prompt("household", "x", [])


@pytest.mark.parametrize("bad", [0, -1, 1.0, True])
def test_bad_max_skills(bad: object) -> None:
    with pytest.raises(UserError, match="max_skills must be an integer >= 1"):
        build_summary_prompt("household", "x", [CLEAN_1], max_skills=bad)  # type: ignore[arg-type]


def test_unknown_env() -> None:
    with pytest.raises(UserError, match="allowed: household, shop, sokoban"):
        build_summary_prompt("appworld", "x", [CLEAN_1])


def test_skill_sd_structured_summary_golden() -> None:
    win = EpisodeRecord("push every box onto a target", ("up", "up"), True, "####\n#O_#\n#X_#\n#P_#\n####")
    loss = EpisodeRecord("push every box onto a target", ("left", "up", "right"), False, "####\n#O_#\n#X_#\n#P_#\n####")
    got = build_structured_summary_prompt("sokoban", "1_box", [win, loss], max_items=2)
    assert got == """You are an expert agent playing Sokoban.
Symbols: # wall, _ floor, O target, X box, √ box on target, P you, S you on a target.
Push every box onto a target. Boxes can be pushed but not pulled, so never push one into a corner.
Below are attempts at tasks of type 1_box, with their outcomes.
Trajectory 1 (success): push every box onto a target
Start:
####
#O_#
#X_#
#P_#
####
Actions: up -> up
Trajectory 2 (failure): push every box onto a target
Start:
####
#O_#
#X_#
#P_#
####
Actions: left -> up -> right
Summarize them in exactly three sections, in this format:
Success patterns:
- <what the successful attempts did right>
Mistakes to avoid:
- <what the failed attempts did wrong>
Golden workflow:
1. <first key action>
2. <next key action>
Write at most 2 lines in each of the first two sections. Write nothing else."""


def test_structured_summary_needs_outcomes() -> None:
    with pytest.raises(ValueError, match="EpisodeRecord"):
        build_structured_summary_prompt("sokoban", "1_box", [[("grid", "up")]])  # type: ignore[list-item]


def test_echoed_format_lines_parse_to_nothing() -> None:
    """A summarizer that copies the prompt's format lines back yields no skill (placeholders rejected)."""
    assert parse_skills(SIRI_HOUSEHOLD.splitlines()[-2])[0] == []
    structured = build_structured_summary_prompt("sokoban", "b", "Trajectory 1 (success)\nActions: up")
    assert parse_structured_skill(structured.split("format:\n", 1)[1]) is None
