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
