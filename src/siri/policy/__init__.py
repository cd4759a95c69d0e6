"""The policy layer: model + tokenizer loading, offline tiny presets, batched sampling and scoring,
and serving a policy over an OpenAI-compatible endpoint (`siri.policy.serve`, for `siri serve`).

docs/architecture.md "Models" and docs/algorithms.md §0 (token-in, token-out; behaviour log-probs).
"""

from siri.policy.loading import chat_prompt_ids, eos_token_ids, load_policy, prepare_tokenizer
from siri.policy.presets import PRESETS, Preset, get_preset, init_model, preset_names
from siri.policy.sampling import Sample, SampleOutput, sample, top_p_filter
from siri.policy.forward import entropy_from_logprobs, logprobs_from_logits
from siri.policy.scoring import response_logprobs, score, score_with_entropy
from siri.policy.tokenizer import build_tokenizer

__all__ = [
    "PRESETS",
    "Preset",
    "Sample",
    "SampleOutput",
    "build_tokenizer",
    "chat_prompt_ids",
    "entropy_from_logprobs",
    "eos_token_ids",
    "get_preset",
    "init_model",
    "load_policy",
    "logprobs_from_logits",
    "prepare_tokenizer",
    "preset_names",
    "response_logprobs",
    "sample",
    "score",
    "score_with_entropy",
    "top_p_filter",
]
