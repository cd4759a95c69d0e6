"""Key/value caches for our two uses of transformers' cache interface (docs/architecture.md "Models").

- `PreallocatedCache` for decoding: each layer's keys and values live in one buffer sized for the
  prompt plus every new token, and a step writes its column in place. transformers' `DynamicCache`
  concatenates per step instead, copying the whole cache every token (it was 53% of a decode step's
  time on the tiny preset).
- `cache_from(layers)` for shared-prefix scoring (`siri.policy.prefix`): a cache holding given
  (keys, values) tensors per layer, which may carry gradients.

Only `Cache` objects are passed to a model, never tuples of tensors. `cache_argument` names the
forward keyword that takes one: `cache` in recent transformers (5.24 has it, 5.18 does not),
`past_key_values` before. Passing `past_key_values` to a model whose forward takes `cache`
raises transformers' FutureWarning (the old name goes away in 5.40); the tests make that warning an
error (`tests/policy/test_kv.py`). pyproject.toml states the transformers versions this is tested
with.
"""

from __future__ import annotations

import functools
import inspect

import torch
from transformers import DynamicCache, PreTrainedModel
from transformers.cache_utils import Cache, DynamicLayer

from siri.policy.forward import forward_class


class PreallocatedLayer(DynamicLayer):
    """A layer cache with room for `capacity` positions; returns views of the filled part."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity
        self.length = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        batch, heads, _, _ = key_states.shape
        self.device = key_states.device
        self.keys = key_states.new_empty((batch, heads, self.capacity, key_states.shape[-1]))
        self.values = value_states.new_empty((batch, heads, self.capacity, value_states.shape[-1]))
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n = key_states.shape[-2]
        if self.length + n > self.capacity:
            raise RuntimeError(f"cache full: {self.length} + {n} positions > capacity {self.capacity}")
        self.keys[:, :, self.length:self.length + n] = key_states
        self.values[:, :, self.length:self.length + n] = value_states
        self.length += n
        return self.keys[:, :, :self.length], self.values[:, :, :self.length]

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self.keys = self.keys.index_select(0, indices)
            self.values = self.values.index_select(0, indices)


class PreallocatedCache(DynamicCache):
    """A decoding cache of `num_layers` preallocated layers, each with room for `capacity` positions."""

    def __init__(self, num_layers: int, capacity: int):
        Cache.__init__(self, layers=[PreallocatedLayer(capacity) for _ in range(num_layers)])

    @classmethod
    def holding(cls, layers: list[tuple[torch.Tensor, torch.Tensor]], capacity: int) -> "PreallocatedCache":
        """A cache that starts with these (keys, values) per layer and has room for `capacity` positions."""
        cache = cls(len(layers), capacity)
        for layer, (keys, values) in zip(cache.layers, layers):
            layer.update(keys, values)
        return cache


def cache_from(layers: list[tuple[torch.Tensor, torch.Tensor]]) -> DynamicCache:
    """A cache holding these (keys, values) per layer; new positions are appended after them.

    Filled through `Cache.update`, the interface a model's attention writes through, rather than
    `DynamicCache`'s constructor argument for per-layer tuples (kept there for distributed replicas)."""
    cache = DynamicCache()
    for index, (keys, values) in enumerate(layers):
        cache.update(keys, values, index)
    return cache


def own_positions(cache: DynamicCache, width: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer, the keys and values of the last `width` positions of `cache`."""
    return [(layer.keys[:, :, -width:], layer.values[:, :, -width:]) for layer in cache.layers]


@functools.lru_cache(maxsize=None)
def _cache_argument(cls: type) -> str:
    return "cache" if "cache" in inspect.signature(cls.forward).parameters else "past_key_values"


def cache_argument(model: PreTrainedModel) -> str:
    """The keyword `model.forward` takes its key/value cache under."""
    return _cache_argument(forward_class(model))


def num_layers(model: PreTrainedModel) -> int:
    """Decoder layers of `model` (the number of caches layers to allocate)."""
    return int(model.config.get_text_config(decoder=True).num_hidden_layers)
