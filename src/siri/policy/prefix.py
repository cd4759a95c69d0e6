"""Response log-probs of many rows whose prompts share prefixes, each shared prefix computed once
(docs/algorithms.md §0, "Shared prompts").

Why: in an agent iteration almost every token processed is a prompt token, and the rows of one group
start with the same instructions and task (and a group's first turns are identical). Causal attention
makes a prefix's keys and values independent of what follows it, so they can be computed once and
reused by every row that continues it: the same numbers as scoring each row alone, up to float
summation order, and the same gradients, since a shared key or value receives the sum of its rows'
gradients exactly as each row's copy would.

How: the prompts (all but their last token) go into a radix tree. A node is a run of tokens shared by
two or more rows; a row's leaf is the rest of its prompt (at least its last token, whose logits predict
the first response token) followed by its response. Nodes at one depth are one left-padded forward
pass whose past is the keys and values of their ancestors, gathered per row and concatenated (pads
masked, positions counted over real tokens only). A node is kept only where it saves at least
`min_saving` token-forwards; otherwise its tokens are pushed down into its children, so short common
runs do not cost a forward pass of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Sequence

import torch
from transformers import DynamicCache, PreTrainedModel

from siri.policy.forward import accepts_logits_to_keep, entropy_from_logprobs, left_pad, logprobs_from_logits
from siri.policy.kv import cache_argument, cache_from, own_positions
from siri.policy.loading import gradient_checkpointing_on
from siri.policy.precision import autocast

MIN_SAVING = 64  # token-forwards a shared node must save to be worth a forward pass of its own
CALL_COST = 128  # a forward pass's fixed cost in positions (tiny preset on CPU: ~1.6 ms no-grad, ~4.8 ms with grad)


@dataclass
class Node:
    tokens: list[int]
    parent: int  # index of the parent node in the previous depth, -1 at depth 0
    row: int = -1  # the row whose leaf this is, -1 for a shared node
    response: int = 0  # response tokens at the end of `tokens` (leaves only)


@dataclass
class PrefixTree:
    """Nodes by depth; `leaf[i]` = (depth, index) of row i's leaf."""

    depths: list[list[Node]] = field(default_factory=list)
    leaf: dict[int, tuple[int, int]] = field(default_factory=dict)

    def add(self, depth: int, node: Node) -> int:
        while len(self.depths) <= depth:
            self.depths.append([])
        self.depths[depth].append(node)
        if node.row >= 0:
            self.leaf[node.row] = (depth, len(self.depths[depth]) - 1)
        return len(self.depths[depth]) - 1

    def tokens(self) -> int:
        """Token positions the tree computes (real ones, no padding)."""
        return sum(len(n.tokens) for nodes in self.depths for n in nodes)


def _common_length(keys: Sequence[Sequence[int]], start: int) -> int:
    """Length of the run all `keys` share from `start` on."""
    first, n = keys[0], min(len(k) for k in keys)
    end = start
    while end < n and all(k[end] == first[end] for k in keys[1:]):
        end += 1
    return end - start


def build_tree(prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
               min_saving: int = MIN_SAVING) -> PrefixTree:
    """The radix tree of the prompts' shareable parts (all but the last token), with one leaf per row."""
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")
    keys = [list(p[:-1]) for p in prompts]
    tree = PrefixTree()

    def leaf(r: int, seg_start: int, parent: int, depth: int) -> None:
        tokens = list(prompts[r][seg_start:]) + list(responses[r])
        tree.add(depth, Node(tokens, parent, row=r, response=len(responses[r])))

    def grow(rows: list[int], seg_start: int, start: int, parent: int, depth: int) -> None:
        # `rows` share keys[:start]; keys[seg_start:start] belong to no node yet (pushed down).
        def next_token(r: int) -> int:
            return keys[r][start] if len(keys[r]) > start else -1

        for tok, grp in groupby(sorted(rows, key=next_token), key=next_token):
            grp = list(grp)
            if tok == -1 or len(grp) == 1:
                for r in grp:
                    leaf(r, seg_start, parent, depth)
                continue
            end = start + _common_length([keys[r] for r in grp], start)
            if (len(grp) - 1) * (end - seg_start) >= min_saving:
                node = tree.add(depth, Node(keys[grp[0]][seg_start:end], parent))
                grow(grp, end, end, node, depth + 1)
            else:
                grow(grp, seg_start, end, parent, depth)

    grow(list(range(len(prompts))), 0, 0, -1, 0)
    return tree


@dataclass
class _Computed:
    """Keys and values per layer (own tokens only), mask and real lengths of one depth's nodes."""

    kv: list[tuple[torch.Tensor, torch.Tensor]]
    mask: torch.Tensor
    length: torch.Tensor


def _ancestors(tree: PrefixTree, depth: int) -> list[list[int]]:
    """anc[j][k] = index at depth j of the ancestor of node k at `depth`."""
    anc: list[list[int]] = [[] for _ in range(depth)]
    for node in tree.depths[depth]:
        parent = node.parent
        for j in range(depth - 1, -1, -1):
            anc[j].append(parent)
            parent = tree.depths[j][parent].parent
    return anc


def length_chunks(lengths: Sequence[int], call_cost: int) -> list[list[int]]:
    """Indices of `lengths` cut into batches of similar lengths: the partition of the sorted order that
    minimizes positions computed (rows × longest) plus `call_cost` per batch (a forward pass's fixed
    cost, in positions). Exact, by dynamic programming over the sorted lengths."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    best, cut = [0] + [None] * len(order), [0] * (len(order) + 1)
    for j in range(1, len(order) + 1):
        widest = lengths[order[j - 1]]
        best[j], cut[j] = min((best[i] + (j - i) * widest + call_cost, i) for i in range(j))
    chunks, j = [], len(order)
    while j > 0:
        chunks.append(order[cut[j]:j])
        j = cut[j]
    return chunks[::-1]


def _gather(done: list[_Computed], chains: list[list[int]], device):
    """Per row, the keys and values of its chain of nodes (one index per depth of `done`), concatenated:
    (layers of (keys, values), mask, real length). Columns that are padding in every row are dropped."""
    index = [torch.tensor(a, device=device) for a in chains]
    mask = torch.cat([d.mask.index_select(0, i) for d, i in zip(done, index)], dim=1)
    length = sum(d.length.index_select(0, i) for d, i in zip(done, index))
    cols = mask.any(0).nonzero().squeeze(1)
    trim = len(cols) < mask.shape[1]
    layers = []
    for layer in range(len(done[0].kv)):
        kv = []
        for t in (0, 1):
            x = torch.cat([d.kv[layer][t].index_select(0, i) for d, i in zip(done, index)], dim=2)
            kv.append(x.index_select(2, cols) if trim else x)
        layers.append(tuple(kv))
    return layers, (mask.index_select(1, cols) if trim else mask), length


def _past(done: list[_Computed], anc: list[list[int]], device) -> tuple[DynamicCache, torch.Tensor | None,
                                                                       torch.Tensor | None]:
    """The ancestors' keys and values gathered per node: (cache, past mask, past real length)."""
    if not anc:
        return DynamicCache(), None, None
    layers, mask, length = _gather(done, anc, device)
    return cache_from(layers), mask, length


def _merge(parts: list[tuple[list[int], _Computed]], n: int) -> _Computed:
    """One depth's chunks as one _Computed in node order, each chunk left-padded to the widest."""
    width = max(c.mask.shape[1] for _, c in parts)
    order = torch.tensor([k for idx, _ in parts for k in idx], device=parts[0][1].mask.device)
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(n, device=order.device)

    def cat(tensors: list[torch.Tensor], dim: int) -> torch.Tensor:
        padded = [torch.nn.functional.pad(x, (0, 0) * (x.dim() - 1 - dim) + (width - x.shape[dim], 0)) for x in tensors]
        return torch.cat(padded, dim=0).index_select(0, inverse)

    layers = len(parts[0][1].kv)
    kv = [tuple(cat([c.kv[layer][t] for _, c in parts], 2) for t in (0, 1)) for layer in range(layers)]
    return _Computed(kv, cat([c.mask for _, c in parts], 1), torch.cat([c.length for _, c in parts]).index_select(0, inverse))


def _run(model: PreTrainedModel, tree: PrefixTree, pad_id: int, call_cost: int, keep_last: bool, on_logits):
    """Every node of `tree`, depth by depth, each after its ancestors. `on_logits(nodes, logits, ids)`
    receives the logits of each batch's last columns (enough for its longest response, at least 1).
    Returns each depth's keys and values (the last depth's only with `keep_last`)."""
    device = next(model.parameters()).device
    if torch.is_grad_enabled() and model.training and gradient_checkpointing_on(model):
        raise ValueError("shared-prefix scoring cannot run with gradients under gradient checkpointing (the "
                         "checkpointed layers drop the prefix's keys and values); score rows whole instead")
    done: list[_Computed] = []
    with autocast(model):  # one region for every depth: the weights are cast once
        for depth, nodes in enumerate(tree.depths):
            anc = _ancestors(tree, depth)
            keep = keep_last or depth < len(tree.depths) - 1
            parts = []
            for chunk in length_chunks([len(n.tokens) for n in nodes], call_cost):
                batch = [nodes[k] for k in chunk]
                computed = _forward(model, batch, _past(done, [[a[k] for k in chunk] for a in anc], device), pad_id,
                                    keep, on_logits)
                parts.append((chunk, computed))
            if keep:
                done.append(_merge(parts, len(nodes)))
    return done


def tree_logprobs(model: PreTrainedModel, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
                  temperature: float = 1.0, with_entropy: bool = False, min_saving: int = MIN_SAVING,
                  pad_id: int = 0, call_cost: int = CALL_COST) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
    """Per-row 1-D log-probs (and entropies) of `responses[i]` after `prompts[i]`, each shared prefix
    computed once. Differentiable under grad, like `siri.policy.scoring.response_logprobs`."""
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
    device = next(model.parameters()).device
    lps: list[torch.Tensor] = [torch.empty(0, device=device)] * len(prompts)
    ents: list[torch.Tensor] = [torch.empty(0, device=device)] * len(prompts)

    def take(nodes, logits, ids):
        _take_leaves(nodes, logits, ids, temperature, with_entropy, lps, ents)

    _run(model, build_tree(prompts, responses, min_saving), pad_id, call_cost, False, take)
    return lps, (ents if with_entropy else None)


def tree_prefill(model: PreTrainedModel, prompts: Sequence[Sequence[int]], pad_id: int = 0,
                 min_saving: int = MIN_SAVING, call_cost: int = CALL_COST):
    """The prompts' keys and values for decoding, shared prefixes computed once: (layers of (keys,
    values) [n, heads, width, dim], attention mask [n, width], real lengths [n], last-token logits [n, V]).
    A row's positions are its chain of nodes, each left-padded within its depth (masked)."""
    device = next(model.parameters()).device
    tree = build_tree(prompts, [[] for _ in prompts], min_saving)
    last: dict[int, torch.Tensor] = {}

    def take(nodes, logits, _ids):
        for k, n in enumerate(nodes):
            if n.row >= 0:
                last[n.row] = logits[k, -1]

    done = _run(model, tree, pad_id, call_cost, True, take)
    parts = []
    for depth in range(len(tree.depths)):
        rows = [r for r, (d, _) in sorted(tree.leaf.items()) if d == depth]
        if rows:
            chains = [_ancestors_of(tree, *tree.leaf[r]) for r in rows]
            layers, mask, length = _gather(done[:depth + 1], [list(c) for c in zip(*chains)], device)
            parts.append((rows, _Computed(layers, mask, length)))
    merged = _merge(parts, len(prompts))
    return merged.kv, merged.mask, merged.length, torch.stack([last[r] for r in range(len(prompts))])


def _ancestors_of(tree: PrefixTree, depth: int, index: int) -> list[int]:
    """Indices, depth 0 to `depth`, of node (depth, index)'s chain: its ancestors, then itself."""
    chain = [index]
    for j in range(depth, 0, -1):
        chain.append(tree.depths[j][chain[-1]].parent)
    return chain[::-1]


def _forward(model, nodes: list[Node], past, pad_id, keep_kv: bool, on_logits) -> _Computed | None:
    """One batch of nodes at one depth after their ancestors' `past`; hands the last columns' logits to
    `on_logits` and returns the nodes' own keys and values (None without `keep_kv`)."""
    device = next(model.parameters()).device
    cache, past_mask, past_len = past
    ids, mask = left_pad([n.tokens for n in nodes], pad_id, device)
    own_len = mask.sum(1)
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    if past_len is not None:
        positions = positions + past_len[:, None]
        mask = torch.cat([past_mask, mask], dim=1)
    keep = 1 + max(n.response for n in nodes)
    kwargs = {"logits_to_keep": keep} if accepts_logits_to_keep(model) else {}
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=keep_kv,
                **{cache_argument(model): cache}, **kwargs)
    on_logits(nodes, out.logits[:, -keep:], ids)
    if not keep_kv:
        return None
    width = ids.shape[1]
    return _Computed(own_positions(cache, width), mask[:, -width:], own_len)


def _take_leaves(nodes, logits, ids, temperature, with_entropy, lps, ents) -> None:
    """Log-probs (and entropies) of each leaf's response tokens from the logits of its last columns."""
    for n in nodes:
        if n.row >= 0 and n.response == 0:  # an empty response: empty log-probs
            lps[n.row] = ents[n.row] = logits.new_zeros(0)
    rows = [k for k, n in enumerate(nodes) if n.row >= 0 and n.response > 0]
    if not rows:
        return
    index = torch.tensor(rows, device=logits.device)
    lp = logprobs_from_logits(logits.index_select(0, index)[:, :-1], temperature)
    targets = ids.index_select(0, index)[:, ids.shape[1] - lp.shape[1]:]
    tok = lp.gather(-1, targets[:, :, None]).squeeze(-1)
    ent = entropy_from_logprobs(lp) if with_entropy else None
    for j, k in enumerate(rows):
        n = nodes[k]
        lps[n.row] = tok[j, -n.response:]
        if ent is not None:
            ents[n.row] = ent[j, -n.response:]
