"""Golden step prompts (docs/environments.md "Agent interface", docs/algorithms.md §0/§4/§5).

Every expected string below is written out by hand: it documents the exact prompt format.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from siri.agent import StructuredSkill, build_plain_and_skill_prompts, build_prompt, render_skills_block
from siri.utils.errors import UserError

# ---------------------------------------------------------------- household

H_TASK = "put a clean mug in coffeemachine"
H_OBS0 = (
    "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, "
    "you see a coffeemachine 1, a countertop 1, and a sinkbasin 1.\n\nYour task is to: put a clean mug in "
    "coffeemachine."
)
H_ADM0 = ("go to coffeemachine 1", "go to countertop 1", "go to sinkbasin 1", "help", "inventory", "look")
H_HISTORY = [
    (H_OBS0, "go to countertop 1"),
    ("You arrive at countertop 1. On the countertop 1, you see a mug 1.", "take mug 1 from countertop 1"),
    ("You pick up the mug 1 from the countertop 1.", "go to sinkbasin 1"),
]
H_OBS3 = "You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing."
H_ADM3 = (
    "clean mug 1 with sinkbasin 1", "examine sinkbasin 1", "go to coffeemachine 1", "go to countertop 1",
    "help", "inventory", "look", "move mug 1 to sinkbasin 1",
)
H_SKILLS = [
    "When the task asks for a clean object: take it to a sinkbasin and clean it before placing it.",
    "When you hold the object: go straight to the target receptacle.",
]

HOUSEHOLD_FIRST = """You are an expert agent operating in the ALFRED Embodied Environment.
Your task is to: put a clean mug in coffeemachine
Your current observation is: -= Welcome to TextWorld, ALFRED! =-

You are in the middle of a room. Looking quickly around you, you see a coffeemachine 1, a countertop 1, and a sinkbasin 1.

Your task is to: put a clean mug in coffeemachine.
Your admissible actions are: ['go to coffeemachine 1', 'go to countertop 1', 'go to sinkbasin 1', 'inventory', 'look']
Reply with exactly one admissible action inside <action></action>."""

HOUSEHOLD_HISTORY_THINK = """You are an expert agent operating in the ALFRED Embodied Environment.
Your task is to: put a clean mug in coffeemachine
You have taken 3 step(s). Your last 2 step(s):
Observation 2: You arrive at countertop 1. On the countertop 1, you see a mug 1.
Action 2: take mug 1 from countertop 1
Observation 3: You pick up the mug 1 from the countertop 1.
Action 3: go to sinkbasin 1
You are now at step 4. Your current observation is: You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.
Your admissible actions are: ['clean mug 1 with sinkbasin 1', 'examine sinkbasin 1', 'go to coffeemachine 1', 'go to countertop 1', 'inventory', 'look', 'move mug 1 to sinkbasin 1']
First reason step by step inside <think></think>, then reply with exactly one admissible action inside <action></action>."""

HOUSEHOLD_SKILLS = """You are an expert agent operating in the ALFRED Embodied Environment.
Your task is to: put a clean mug in coffeemachine
Useful skills for this kind of task:
- When the task asks for a clean object: take it to a sinkbasin and clean it before placing it.
- When you hold the object: go straight to the target receptacle.
You have taken 3 step(s). Your last 2 step(s):
Observation 2: You arrive at countertop 1. On the countertop 1, you see a mug 1.
Action 2: take mug 1 from countertop 1
Observation 3: You pick up the mug 1 from the countertop 1.
Action 3: go to sinkbasin 1
You are now at step 4. Your current observation is: You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.
Your admissible actions are: ['clean mug 1 with sinkbasin 1', 'examine sinkbasin 1', 'go to coffeemachine 1', 'go to countertop 1', 'inventory', 'look', 'move mug 1 to sinkbasin 1']
Reply with exactly one admissible action inside <action></action>."""


def test_household_first_step_golden() -> None:
    got = build_prompt("household", task=H_TASK, observation=H_OBS0, admissible=H_ADM0, history=[], step=0)
    assert got == HOUSEHOLD_FIRST


def test_household_history_golden() -> None:
    got = build_prompt(
        "household", task=H_TASK, observation=H_OBS3, admissible=H_ADM3, history=H_HISTORY, step=3, think=True
    )
    assert got == HOUSEHOLD_HISTORY_THINK


def test_household_skills_golden() -> None:
    got = build_prompt(
        "household", task=H_TASK, observation=H_OBS3, admissible=H_ADM3, history=H_HISTORY, skills=H_SKILLS
    )
    assert got == HOUSEHOLD_SKILLS


# ---------------------------------------------------------------- shop

S_TASK = "i need a long sleeve red shirt in size medium, and price lower than 40.00 dollars"
S_OBS0 = f"WebShop [SEP] Instruction: [SEP] {S_TASK} [SEP] Search"
S_OBS1 = (
    f"Instruction: [SEP] {S_TASK} [SEP] Back to Search [SEP] Page 1 (Total results: 50) [SEP] Next > "
    "[SEP] B0A1B2C3D4 [SEP] Long Sleeve Red Shirt [SEP] $25.99"
)
S_OBS2 = (
    f"Instruction: [SEP] {S_TASK} [SEP] Back to Search [SEP] < Prev [SEP] size [SEP] small [SEP] medium "
    "[SEP] Long Sleeve Red Shirt [SEP] Price: $25.99 [SEP] Rating: N.A. [SEP] Description [SEP] Features "
    "[SEP] Reviews [SEP] Buy Now"
)
S_ADM2 = (
    "click[back to search]", "click[< prev]", "click[small]", "click[medium]", "click[description]",
    "click[features]", "click[reviews]", "click[buy now]",
)
S_HISTORY = [(S_OBS0, "search[long sleeve red shirt]"), (S_OBS1, "click[b0a1b2c3d4]")]

SHOP_FIRST = """You are an expert autonomous agent operating in the WebShop e-commerce environment.
Your task is to: i need a long sleeve red shirt in size medium, and price lower than 40.00 dollars
Your current observation is: Search
Your available actions are: ['search[<your query>]']
Reply with exactly one admissible action inside <action></action>."""

SHOP_HISTORY = """You are an expert autonomous agent operating in the WebShop e-commerce environment.
Your task is to: i need a long sleeve red shirt in size medium, and price lower than 40.00 dollars
You have taken 2 step(s). Your last 2 step(s):
Observation 1: Search
Action 1: search[long sleeve red shirt]
Observation 2: Back to Search [SEP] Page 1 (Total results: 50) [SEP] Next > [SEP] B0A1B2C3D4 [SEP] Long Sleeve Red Shirt [SEP] $25.99
Action 2: click[b0a1b2c3d4]
You are now at step 3. Your current observation is: Back to Search [SEP] < Prev [SEP] size [SEP] small [SEP] medium [SEP] Long Sleeve Red Shirt [SEP] Price: $25.99 [SEP] Rating: N.A. [SEP] Description [SEP] Features [SEP] Reviews [SEP] Buy Now
Your available actions are: ['click[back to search]', 'click[< prev]', 'click[small]', 'click[medium]', 'click[description]', 'click[features]', 'click[reviews]', 'click[buy now]']
Reply with exactly one admissible action inside <action></action>."""

SHOP_FIRST_SKILLS_THINK = """You are an expert autonomous agent operating in the WebShop e-commerce environment.
Your task is to: i need a long sleeve red shirt in size medium, and price lower than 40.00 dollars
Useful skills for this kind of task:
- When the instruction names a size: click that size option before buy now.
Your current observation is: Search
Your available actions are: ['search[<your query>]']
First reason step by step inside <think></think>, then reply with exactly one admissible action inside <action></action>."""


def test_shop_first_step_golden() -> None:
    got = build_prompt("shop", task=S_TASK, observation=S_OBS0, admissible=["search[<query>]"], history=[])
    assert got == SHOP_FIRST


def test_shop_history_golden() -> None:
    got = build_prompt("shop", task=S_TASK, observation=S_OBS2, admissible=S_ADM2, history=S_HISTORY, step=2)
    assert got == SHOP_HISTORY


def test_shop_first_step_with_skills_golden() -> None:
    got = build_prompt(
        "shop", task=S_TASK, observation=S_OBS0, admissible=["search[<query>]"], history=[], think=True,
        skills=["When the instruction names a size: click that size option before buy now."],
    )
    assert got == SHOP_FIRST_SKILLS_THINK


def test_shop_search_marker_comes_first_and_appears_once() -> None:
    got = build_prompt(
        "shop", task="t", observation="page", admissible=["click[next >]", "search[a]", "search[b]"], history=[]
    )
    assert "Your available actions are: ['search[<your query>]', 'click[next >]']" in got


def test_shop_page_without_the_instruction_is_shown_unchanged() -> None:
    got = build_prompt("shop", task="buy socks", observation="A [SEP] B", admissible=[], history=[])
    assert "Your current observation is: A [SEP] B\nYour available actions are: []\n" in got


# ---------------------------------------------------------------- sokoban

K_TASK = "push every box onto a target"
K_OBS0 = "######\n#_O__#\n#____#\n#_X__#\n#_P__#\n######"
K_OBS1 = "######\n#_O__#\n#_X__#\n#_P__#\n#____#\n######"
K_ADM = ("up", "down", "left", "right")

SOKOBAN_FIRST = """You are an expert agent playing Sokoban.
Symbols: # wall, _ floor, O target, X box, √ box on target, P you, S you on a target.
Push every box onto a target. Boxes can be pushed but not pulled, so never push one into a corner.
Your task is to: push every box onto a target
Your current observation is:
######
#_O__#
#____#
#_X__#
#_P__#
######
Your admissible actions are: ['up', 'down', 'left', 'right']
Reply with exactly one admissible action inside <action></action>."""

SOKOBAN_HISTORY_THINK = """You are an expert agent playing Sokoban.
Symbols: # wall, _ floor, O target, X box, √ box on target, P you, S you on a target.
Push every box onto a target. Boxes can be pushed but not pulled, so never push one into a corner.
Your task is to: push every box onto a target
You have taken 1 step(s). Your last 1 step(s):
Observation 1:
######
#_O__#
#____#
#_X__#
#_P__#
######
Action 1: up
You are now at step 2. Your current observation is:
######
#_O__#
#_X__#
#_P__#
#____#
######
Your admissible actions are: ['up', 'down', 'left', 'right']
First reason step by step inside <think></think>, then reply with exactly one admissible action inside <action></action>."""

SOKOBAN_SKILLS = """You are an expert agent playing Sokoban.
Symbols: # wall, _ floor, O target, X box, √ box on target, P you, S you on a target.
Push every box onto a target. Boxes can be pushed but not pulled, so never push one into a corner.
Your task is to: push every box onto a target
Useful skills for this kind of task:
- When the box is between you and a target: push it toward the target.
You have taken 1 step(s). Your last 1 step(s):
Observation 1:
######
#_O__#
#____#
#_X__#
#_P__#
######
Action 1: up
You are now at step 2. Your current observation is:
######
#_O__#
#_X__#
#_P__#
#____#
######
Your admissible actions are: ['up', 'down', 'left', 'right']
Reply with exactly one admissible action inside <action></action>."""


def test_sokoban_first_step_golden() -> None:
    got = build_prompt("sokoban", task=K_TASK, observation=K_OBS0, admissible=K_ADM, history=[])
    assert got == SOKOBAN_FIRST


def test_sokoban_history_golden() -> None:
    got = build_prompt(
        "sokoban", task=K_TASK, observation=K_OBS1, admissible=K_ADM, history=[(K_OBS0, "up")], think=True
    )
    assert got == SOKOBAN_HISTORY_THINK


def test_sokoban_skills_golden() -> None:
    got = build_prompt(
        "sokoban", task=K_TASK, observation=K_OBS1, admissible=K_ADM, history=[(K_OBS0, "up")],
        skills=["When the box is between you and a target: push it toward the target."],
    )
    assert got == SOKOBAN_SKILLS


def test_empty_task_drops_the_task_line() -> None:
    got = build_prompt("sokoban", task="", observation="#P#", admissible=["up"], history=[])
    assert "Your task is to" not in got
    assert got.splitlines()[3] == "Your current observation is:"


# ---------------------------------------------------------------- variants and errors


def test_plain_and_skill_prompts_of_the_same_step() -> None:
    plain, skilled = build_plain_and_skill_prompts(
        "household", task=H_TASK, observation=H_OBS3, admissible=H_ADM3, history=H_HISTORY, skills=H_SKILLS
    )
    assert plain == HOUSEHOLD_SKILLS.replace(
        "Useful skills for this kind of task:\n"
        "- When the task asks for a clean object: take it to a sinkbasin and clean it before placing it.\n"
        "- When you hold the object: go straight to the target receptacle.\n",
        "",
    )
    assert skilled == HOUSEHOLD_SKILLS


def test_plain_and_skill_prompts_need_a_skill() -> None:
    with pytest.raises(ValueError, match="non-empty skill"):
        build_plain_and_skill_prompts("household", task="t", observation="o", admissible=[], skills=[" "])


def test_empty_skill_list_gives_the_plain_prompt() -> None:
    assert build_prompt("household", task=H_TASK, observation=H_OBS0, admissible=H_ADM0, skills=[]) == HOUSEHOLD_FIRST


def test_history_len_zero_gives_the_first_step_variant_at_any_step() -> None:
    got = build_prompt(
        "household", task=H_TASK, observation=H_OBS0, admissible=H_ADM0, history=H_HISTORY, history_len=0
    )
    assert got == HOUSEHOLD_FIRST


def test_history_len_one_and_truncated_history_numbering() -> None:
    got = build_prompt(
        "household", task="t", observation="now", admissible=["look"],
        history=[("o6", "a6"), ("o7", "a7")], step=7, history_len=1,
    )
    assert "You have taken 7 step(s). Your last 1 step(s):\nObservation 7: o7\nAction 7: a7\n" in got
    assert "You are now at step 8. Your current observation is: now\n" in got


def test_step_smaller_than_history_is_refused() -> None:
    with pytest.raises(ValueError, match="step=1"):
        build_prompt("household", task="t", observation="o", admissible=[], history=H_HISTORY, step=1)


def test_unknown_env_names_the_allowed_ones() -> None:
    with pytest.raises(UserError, match="household, shop, sokoban"):
        build_prompt("alfworld", task="t", observation="o", admissible=[])


def test_negative_history_len_is_a_user_error() -> None:
    with pytest.raises(UserError, match="history_len"):
        build_prompt("household", task="t", observation="o", admissible=[], history_len=-1)


def test_skill_block_rendering() -> None:
    assert render_skills_block(["- When a:  b\n c", "", "When x: y"]) == (
        "Useful skills for this kind of task:\n- When a: b c\n- When x: y"
    )
    assert render_skills_block("When a: b") == "Useful skills for this kind of task:\n- When a: b"
    assert render_skills_block([]) == ""


def test_structured_skill_block_golden() -> None:
    skill = StructuredSkill(
        success_patterns=("Look in the fridge first.",),
        mistakes=("Heating before taking the egg.",),
        workflow=("go to fridge 1", "open fridge 1", "take egg 1 from fridge 1"),
    )
    got = build_prompt("household", task="heat some egg and put it in countertop", observation="o",
                       admissible=["look"], skills=skill)
    assert got == """You are an expert agent operating in the ALFRED Embodied Environment.
Your task is to: heat some egg and put it in countertop
Useful skills for this kind of task:
Success patterns:
- Look in the fridge first.
Mistakes to avoid:
- Heating before taking the egg.
Golden workflow:
1. go to fridge 1
2. open fridge 1
3. take egg 1 from fridge 1
Your current observation is: o
Your admissible actions are: ['look']
Reply with exactly one admissible action inside <action></action>."""


def test_agent_layer_does_not_import_torch() -> None:
    code = "import sys, siri.agent; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
