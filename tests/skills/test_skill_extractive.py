"""The extractive generator (docs/algorithms.md §4, ours): deterministic, from demonstrated tasks and actions only."""

from __future__ import annotations

from siri.agent import EpisodeRecord, build_summary_prompt, parse_skill_line
from siri.agent.skill_parsing import SKILL_WORDS, words
from siri.rollout.types import Trajectory
from siri.skills import GenerationResult, make_generator, source_ids
from siri.skills.generators.extractive import ExtractiveGenerator, action_verb, verb_pattern

TT = "pick_clean_then_place_in_recep"
CLEAN_1 = EpisodeRecord(
    task="put a clean mug in coffeemachine",
    actions=("go to countertop 1", "take mug 1 from countertop 1", "go to sinkbasin 1", "clean mug 1 with sinkbasin 1",
             "go to coffeemachine 1", "move mug 1 to coffeemachine 1"),
    won=True,
)
CLEAN_2 = EpisodeRecord(
    task="clean some mug and put it in coffeemachine",
    actions=("go to sinkbasin 1", "take mug 2 from sinkbasin 1", "clean mug 2 with sinkbasin 1",
             "go to coffeemachine 1", "move mug 2 to coffeemachine 1"),
    won=True,
)
FAIL = EpisodeRecord(task="put a clean mug in coffeemachine",
                     actions=("look", "look", "look", "go to sinkbasin 1"), won=False)

EXPECTED = [
    # one mug was taken from countertop 1, the other from sinkbasin 1: a tie, broken alphabetically
    "When looking for an object: mug in countertop.",
    "When the task is like 'put a clean mug in coffeemachine': "
    "follow the action pattern go to -> take -> clean -> go to -> move.",
    "When the task is like 'put a clean mug in coffeemachine': "
    "successful attempts used go to coffeemachine 1 and go to sinkbasin 1.",
    f"When a {TT} task is under way: successful attempts took 5.5 actions (at most 6), so avoid repeating actions.",
]


def test_verbs():
    assert [action_verb(a) for a in ("go to fridge 1", "Take apple 1 from table 1", "search[red shirt]",
                                     "click[Buy Now]", "left", "")] == ["go to", "take", "search", "click", "left", ""]
    assert verb_pattern(CLEAN_1.actions) == ("go to", "take", "go to", "clean", "go to", "move")
    assert verb_pattern(("up", "up", "left", "up")) == ("up", "left", "up")


def test_skills_worked_by_hand():
    result = ExtractiveGenerator().generate(TT, "household", [CLEAN_1, CLEAN_2, FAIL], max_skills=3)
    assert isinstance(result, GenerationResult)
    assert result.skills == EXPECTED[:3] and result.n_malformed == 0 and result.error is None
    assert all(parse_skill_line(s) == s for s in result.skills)
    assert ExtractiveGenerator().generate(TT, "household", [CLEAN_1, CLEAN_2], max_skills=1).skills == EXPECTED[:1]
    assert ExtractiveGenerator().generate(TT, "household", [CLEAN_1, CLEAN_2], max_skills=9).skills == EXPECTED


def test_location_skills_count_where_things_were_found():
    two_fridges = [EpisodeRecord("put an apple in fridge", ("take apple 1 from fridge 1",), True)] * 2
    one_table = [EpisodeRecord("put an apple in fridge", ("take apple 2 from diningtable 1", "take mug 1 from cabinet 3"),
                               True)]
    result = ExtractiveGenerator().generate(TT, "household", two_fridges + one_table, max_skills=2)
    # the apple was found twice in a fridge and once on a table; things found most often come first
    assert result.skills[0] == "When looking for an object: apple in fridge, mug in cabinet."
    sokoban = EpisodeRecord("push the box", ("up", "left"), True)  # its actions show no places: no such skill
    assert not any("looking" in s for s in ExtractiveGenerator().generate("sokoban", "sokoban", [sokoban]).skills)


def test_extractive_skills_pass_the_self_generators_vocabulary_check():
    """The SFT `summary` examples teach the policy to write extractive skills: every word of them is in the
    vocabulary the `self` generator is held to (the summary prompt's words and SKILL_WORDS), else the
    warm start's well-formed skills would be dropped as garbled."""
    result = ExtractiveGenerator().generate(TT, "household", [CLEAN_1, CLEAN_2, FAIL], max_skills=3)
    vocabulary = words(build_summary_prompt("household", TT, [CLEAN_1, CLEAN_2], 3)) | SKILL_WORDS
    assert result.skills and all(parse_skill_line(s, vocabulary) == s for s in result.skills)


def test_deterministic_and_order_free():
    gen = make_generator("extractive")
    a = gen.generate(TT, "household", [CLEAN_1, CLEAN_2, FAIL])
    b = gen.generate(TT, "household", [FAIL, CLEAN_2, CLEAN_1])
    assert a == b


def test_uses_only_tasks_and_actions():
    """Observations (where a hidden state could leak) never reach the skills: rollout trajectories with
    secret observations give the same skills as records without observations."""
    def traj(rec: EpisodeRecord, i: int) -> Trajectory:
        steps = [(f"SECRET location of the mug is cabinet {9 + k}", a) for k, a in enumerate(rec.actions)]
        return Trajectory(group_id=0, traj_id=i, seed=40 + i, task=rec.task, task_type=TT,
                          won=rec.won, steps=steps)

    trajs = [traj(CLEAN_1, 0), traj(CLEAN_2, 1), traj(FAIL, 2)]
    result = ExtractiveGenerator().generate(TT, "household", trajs, max_skills=9)
    assert result.skills == EXPECTED
    assert "secret" not in result.raw.lower() and "cabinet" not in result.raw.lower()
    assert source_ids(trajs) == [{"traj_id": 0, "seed": 40}, {"traj_id": 1, "seed": 41}, {"traj_id": 2, "seed": 42}]
    structured = ExtractiveGenerator().generate_structured(TT, "household", trajs)
    assert "secret" not in structured.raw.lower()


def test_no_success_is_an_error_result_not_an_exception():
    result = ExtractiveGenerator().generate(TT, "household", [FAIL])
    assert result.skills == [] and result.error == "no successful trajectories to summarize"


def test_structured_skill_worked_by_hand():
    result = ExtractiveGenerator().generate_structured(TT, "household", [CLEAN_1, CLEAN_2, FAIL], max_items=3)
    assert result.error is None and result.n_malformed == 0
    skill = result.skill
    assert skill.success_patterns == (
        "When looking for an object: mug in countertop.",  # one took it from countertop 1, one from sinkbasin 1: a tie, alphabetical
        "successful attempts follow the pattern go to -> take -> clean -> go to -> move",
        "successful attempts used go to coffeemachine 1 and go to sinkbasin 1",
    )
    assert skill.mistakes == (
        "failed attempts used look 3.0 times per attempt against 0.0 in successes",
        "repeating the same action 3 times in a row (in 1 of 1 failed attempts)",
        "failed attempts ran for 4 actions without finishing the task",
    )
    assert skill.workflow == CLEAN_2.actions  # the shortest success
    only_wins = ExtractiveGenerator().generate_structured(TT, "household", [CLEAN_1])
    assert only_wins.skill.mistakes == ("no failed attempts observed yet",)
    assert only_wins.skill.success_patterns[2] == "successful attempts used " + ", ".join(
        sorted(CLEAN_1.actions)[:2]) + " and " + sorted(CLEAN_1.actions)[2]


def test_sokoban_and_shop_shapes():
    soko = [EpisodeRecord("push every box onto a target", ("up", "up", "left", "down"), True, "#####\n#P X.#"),
            EpisodeRecord("push every box onto a target", ("up", "left", "left", "down"), True, "#####\n#PX .#")]
    skills = ExtractiveGenerator().generate("sokoban", "sokoban", soko).skills
    assert skills[0] == "When the task is like 'push every box onto a target': follow the action pattern " \
                        "up -> left -> down."
    assert skills[1] == "When the task is like 'push every box onto a target': successful attempts used " \
                        "down, left and up."
    shop = [EpisodeRecord("i need a red shirt: under 30.00 dollars. size m", ("search[red shirt]", "click[b01]",
                                                                             "click[buy now]"), True)]
    s = ExtractiveGenerator().generate("fashion", "shop", shop).skills
    assert s[0] == "When the task is like 'i need a red shirt under 30.00 dollars size m': " \
                   "follow the action pattern search -> click."
