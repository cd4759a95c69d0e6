"""SFT kinds for SIRI: skill-conditioned demonstrations and trajectory -> skill summaries."""

import pytest

from siri.agent import parse_skills
from siri.config import load_config
from siri.sft.data import BuildContext, get_builder
from siri.sft.skills import end_of_turn_id, skills_by_type


@pytest.fixture(scope="module")
def household_tok(tiny):
    return tiny[1]


def _ctx(tok, *overrides):
    cfg = load_config(None, ["env.max_steps=30", "sft.skill_episodes=4", "sft.skill_sources=30",
                             "sft.summary_examples=4", "sft.summary_sources=30", *overrides])
    return BuildContext(cfg=cfg, tokenizer=tok)


def test_skill_demo_prompts_carry_a_mined_skill_and_the_oracle_action(household_tok):
    ctx = _ctx(household_tok)
    skills = skills_by_type(ctx)
    examples = get_builder("skill_demo")(ctx)
    assert examples
    for e in examples:
        prompt = household_tok.decode(e.prompt_ids)
        assert "Useful skills for this kind of task:" in prompt
        assert f"- {e.meta['skill']}" in prompt
        assert any(e.meta["skill"] in pool for pool in skills.values())
        text = household_tok.decode(e.response_ids)
        assert text.startswith("<action>") and text.endswith("</action>")


def test_skills_are_summarized_from_other_seeds_than_the_demonstrations(household_tok):
    from siri.sft import skills as sft_skills

    assert len({sft_skills.SOURCE_OFFSET, sft_skills.SKILL_DEMO_OFFSET, sft_skills.SUMMARY_OFFSET}) == 3
    ctx = _ctx(household_tok)
    seeds = {e.meta["seed"] for e in get_builder("skill_demo")(ctx)}
    assert all(sft_skills.SKILL_DEMO_OFFSET <= s < sft_skills.SKILL_DEMO_OFFSET + 4 for s in seeds)


def test_summary_answers_parse_as_skills_and_end_the_turn(household_tok):
    ctx = _ctx(household_tok)
    examples = get_builder("summary")(ctx)
    assert len(examples) == 4
    eot = end_of_turn_id(household_tok)
    assert household_tok.convert_ids_to_tokens(eot) == "<|im_end|>"
    for e in examples:
        assert e.response_ids[-1] == eot
        skills, malformed = parse_skills(household_tok.decode(e.response_ids[:-1]))
        assert skills and malformed == 0
        assert "When <condition>: <strategy>" in household_tok.decode(e.prompt_ids)


def test_hint_demos_search_the_hinted_place_first_and_carry_the_hint(household_tok):
    """The hint names a random place (not the priors'); the demonstration's first search goes there,
    right or wrong, and the episode still ends in a success."""
    from siri.envs.household.memory import kind

    ctx = _ctx(household_tok, "sft.hint_episodes=12", "env.options.size=small", "sft.noise=0")
    examples = get_builder("hint_demo")(ctx)
    assert examples and ctx.stats["hint_demo/oracle_success"] == 1.0
    by_seed: dict[int, list] = {}
    for e in examples:
        by_seed.setdefault(e.meta["seed"], []).append(e)
    wrong = 0
    for steps in by_seed.values():
        hint = steps[0].meta["skill"]
        assert all(e.meta["skill"] == hint for e in steps)
        assert f"- {hint}" in household_tok.decode(steps[0].prompt_ids)
        ((thing, place),) = steps[0].meta["follows"].items()
        assert hint.startswith("When looking for an object: ") and f"{thing} in {place}" in hint
        assert len(hint.split(", ")) > 1  # other objects' (random) places too
        actions = [household_tok.decode(e.response_ids).removeprefix("<action>").removesuffix("</action>")
                   for e in steps]
        first_go = next(a for a in actions if a.startswith("go to "))
        assert kind(first_go.removeprefix("go to ")) == place, (hint, actions)
        took = next(a for a in actions if a.startswith(f"take {thing} "))
        wrong += kind(took.split(" from ", 1)[1]) != place
    assert 0 < wrong < len(by_seed)  # some hints were right, some wrong


def test_hints_speak_only_of_the_task_object_when_task_types_are_split_by_object(household_tok):
    """A skill filed under `<type>/<object>` speaks of that object only, so the hints that teach the
    policy to read skills are one fact, the task's object's (docs/environments.md "Knowledge that pays")."""
    ctx = _ctx(household_tok, "sft.hint_episodes=12", "sft.noise=0", "env.options.task_type_by_object=true")
    examples = get_builder("hint_demo")(ctx)
    hints = {e.meta["seed"]: (e.meta["skill"], e.meta["follows"]) for e in examples}
    assert len(hints) == 12
    for hint, follows in hints.values():
        ((thing, place),) = follows.items()
        assert hint == f"When looking for an object: {thing} in {place}."


def test_hint_steps_keeps_the_first_steps_of_each_hinted_demonstration(household_tok):
    full = get_builder("hint_demo")(_ctx(household_tok, "sft.hint_episodes=6", "sft.noise=0"))
    cut = get_builder("hint_demo")(_ctx(household_tok, "sft.hint_episodes=6", "sft.noise=0", "sft.hint_steps=2"))
    assert [e.meta["t"] for e in cut] == [0, 1] * 6
    first_two = [e for e in full if e.meta["t"] < 2]
    assert [(e.prompt_ids, e.response_ids) for e in cut] == [(e.prompt_ids, e.response_ids) for e in first_two]
    assert len(full) > len(cut)


def test_hint_demo_needs_an_environment_with_hints(household_tok):
    from siri.utils.errors import UserError

    with pytest.raises(UserError, match="hint_demo needs an environment with location hints; sokoban has none"):
        get_builder("hint_demo")(_ctx(household_tok, "env.name=sokoban", "sft.hint_episodes=1"))
