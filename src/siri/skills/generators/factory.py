"""Building the generator a config asks for, and holding it across a run (docs/algorithms.md §4, §5).

SIRI's miner and Skill-SD's skill source both need the same thing: the configured generator, built
on first use (the `self` generator needs the live model, which exists only once training starts),
one frozen snapshot of the policy per mining round, and the `self` generator's call count carried
across a resume, since call i samples with seed `seed + i`: a resumed run must draw the seeds the
uninterrupted run would have drawn. `GeneratorHandle` does those three things for both.
"""

from __future__ import annotations

from typing import Any

from siri.skills.generators.base import SkillGenerator
from siri.skills.generators.external import ExternalGenerator, require_openai
from siri.skills.generators.extractive import ExtractiveGenerator
from siri.skills.records import GENERATORS

GENERATOR_KINDS = GENERATORS  # the kinds `make_generator` builds are the ones a skill record may name


def make_generator(kind: str, *, model: Any = None, tokenizer: Any = None, temperature: float = 0.7,
                   max_new_tokens: int = 96, top_p: float = 1.0, seed: int = 0, base_url: str = "",
                   model_name: str = "", api_key_env: str | None = "OPENAI_API_KEY", timeout: float = 60.0,
                   retries: int = 2) -> SkillGenerator:
    """The generator `kind` (`self`, `external`, `extractive`) from plain settings (config wiring)."""
    if kind == "extractive":
        return ExtractiveGenerator()
    if kind == "self":
        # Imported here, not at the top: it imports torch, and `import siri.skills` must not.
        from siri.skills.generators.self import SelfGenerator

        if model is None or tokenizer is None:
            raise ValueError("the self generator needs the policy model and tokenizer")
        return SelfGenerator(model, tokenizer, temperature=temperature, max_new_tokens=max_new_tokens,
                             top_p=top_p, seed=seed)
    if kind == "external":
        return ExternalGenerator(base_url, model_name, api_key_env=api_key_env, temperature=temperature,
                                 max_tokens=max_new_tokens, timeout=timeout, retries=retries)
    raise ValueError(f"unknown skill generator {kind!r}; allowed: {', '.join(GENERATOR_KINDS)}")


def generator_from_settings(s: Any, *, model: Any = None, tokenizer: Any = None, seed: int = 0) -> SkillGenerator:
    """The generator a config section asks for. SIRI's `siri` and Skill-SD's `skill_sd` sections share
    the fields read here: generator, gen_temperature, gen_max_new_tokens, external_base_url,
    external_model, external_api_key_env, external_timeout, external_retries."""
    return make_generator(
        s.generator, model=model, tokenizer=tokenizer, temperature=s.gen_temperature,
        max_new_tokens=s.gen_max_new_tokens, seed=seed, base_url=s.external_base_url,
        model_name=s.external_model, api_key_env=s.external_api_key_env, timeout=s.external_timeout,
        retries=s.external_retries,
    )


class GeneratorHandle:
    """The generator of config section `settings`, built on first use, with its call count.

    `calls` is what a checkpoint saves and a resume sets back (before the first round). A mining round
    is `gen = handle.start_round(model, tokenizer)` ... `handle.end_round()` (in a `finally`).
    """

    def __init__(self, settings: Any, seed: int = 0):
        if settings.generator == "external":
            require_openai()  # a missing optional package fails at the start of a run, not at its first round
        self.settings = settings
        self.seed = seed
        self.calls = 0
        self._generator: SkillGenerator | None = None

    def get(self, model: Any, tokenizer: Any) -> SkillGenerator:
        """The generator, built on the first call with the call count restored."""
        if self._generator is None:
            self._generator = generator_from_settings(self.settings, model=model, tokenizer=tokenizer,
                                                      seed=self.seed)
            if hasattr(self._generator, "calls"):
                self._generator.calls = self.calls
        return self._generator

    def start_round(self, model: Any, tokenizer: Any) -> SkillGenerator:
        """The generator, with one frozen copy of the current policy for the whole round (`self`)."""
        gen = self.get(model, tokenizer)
        if hasattr(gen, "snapshot"):
            gen.snapshot()
        return gen

    def end_round(self) -> None:
        """Drop the round's snapshot and read the call count back (also after a failed round)."""
        gen = self._generator
        if gen is None:
            return
        if hasattr(gen, "release"):
            gen.release()
        self.calls = int(getattr(gen, "calls", 0))
