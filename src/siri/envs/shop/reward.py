"""WebShop's purchase reward, term by term (docs/environments.md, "Shop", "Reward").

    R = r_type * (n_att + n_opt + [price <= price_upper]) / (|goal attributes| + |goal options| + 1)

Every function here is pure. Fuzzy matching is WebShop's `thefuzz` `token_set_ratio` with its default
full processing (lower-case, non-alphanumerics to spaces), which is rapidfuzz's `token_set_ratio` with
`processor=default_process`; a pair "matches" when the ratio is strictly above 85.

r_type follows WebShop's `get_type_reward`:
  * query_match    = purchased.query == goal.query
  * category_match = the two category paths share at least 2 distinct elements
  * title_score    = |set(nouns(purchased title)) & set(nouns(goal title))| / len(nouns(goal title))
                     (0.2 when the goal title has no noun; len counts repeated nouns, as WebShop does)
  * r_type = 1.0; 0.5 if none of query_match, category_match, title_score > 0.2 holds;
    then 0.1 if title_score < 0.1; then 0.0 if title_score == 0.
spaCy's noun tagger is replaced by the generator's noun lexicon: a title token is a noun when it is in
the lexicon (product-type nouns, material nouns, brand names as proper nouns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from rapidfuzz import fuzz, utils

from siri.envs.shop.lexicon import COLOR_WORDS

MATCH_THRESHOLD = 85  # a fuzzy match needs a ratio strictly above this
_WORD = re.compile(r"[a-z0-9]+")


def fuzzy(a: str, b: str) -> float:
    """thefuzz's token_set_ratio with full processing (WebShop's matcher)."""
    return fuzz.token_set_ratio(a, b, processor=utils.default_process)


def normalize_color(option: str) -> str:
    """The first base colour (in COLOR_WORDS order) that occurs in `option` as a word, else `option`.

    WebShop maps colour variants to a base colour the same way ("navy blue" -> "blue") but tests raw
    substrings, so "standard" would become "tan"; we test whole words to avoid that accident.
    """
    words = set(_WORD.findall(option.lower()))
    for color in COLOR_WORDS:
        if color in words:
            return color
    return option


def title_nouns(title: str, lexicon: frozenset[str]) -> list[str]:
    """Nouns of a title, in order, repeats kept (stand-in for spaCy's NOUN/PROPN tags)."""
    return [w for w in _WORD.findall(title.lower()) if w in lexicon]


@dataclass(frozen=True)
class TypeReward:
    r_type: float
    query_match: bool
    category_match: bool
    title_score: float


def type_reward(
    purchased_query: str,
    purchased_category: str,
    purchased_title: str,
    goal_query: str,
    goal_category: str,
    goal_title: str,
    lexicon: frozenset[str],
) -> TypeReward:
    """WebShop's get_type_reward (module docstring gives the rule); categories are '›'-joined paths."""
    query_match = purchased_query == goal_query
    p_cat = {x.strip() for x in purchased_category.split("›")}
    g_cat = {x.strip() for x in goal_category.split("›")}
    category_match = len(p_cat & g_cat) >= 2
    purchased = title_nouns(purchased_title, lexicon)
    desired = title_nouns(goal_title, lexicon)
    title_score = 0.2 if not desired else len(set(purchased) & set(desired)) / len(desired)
    r_type = 1.0
    if not (query_match or category_match or title_score > 0.2):
        r_type = 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return TypeReward(r_type, query_match, category_match, title_score)


def attribute_matches(
    goal_attributes: Sequence[str],
    attributes: Sequence[str],
    title: str,
    bullets: Sequence[str],
    description: str,
) -> int:
    """How many goal attributes the product has: fuzzy match with one of its attributes, or substring
    of its lower-cased title, joined bullet points or description (WebShop's get_attribute_reward)."""
    texts = (title.lower(), " ".join(bullets).lower(), description.lower())
    count = 0
    for goal_attr in goal_attributes:
        if any(fuzzy(attr, goal_attr) > MATCH_THRESHOLD for attr in attributes):
            count += 1
        elif any(goal_attr in text for text in texts):
            count += 1
    return count


def option_matches(goal_options: Iterable[str], chosen_options: Iterable[str]) -> int:
    """How many goal option values some chosen value fuzzily matches, colours normalized first
    (WebShop's get_option_reward)."""
    chosen = [normalize_color(o) for o in chosen_options]
    count = 0
    for goal_option in (normalize_color(o) for o in goal_options):
        if any(fuzzy(option, goal_option) > MATCH_THRESHOLD for option in chosen):
            count += 1
    return count


@dataclass(frozen=True)
class RewardDetails:
    score: float
    r_type: float
    n_att: int
    n_opt: int
    price_ok: bool
    denominator: int


def purchase_reward(product, goal, chosen_options: Mapping[str, str], lexicon: frozenset[str]) -> RewardDetails:
    """R for buying `product` (catalog.Product) with `chosen_options` (kind -> value) under `goal`
    (goals.Goal). The product's price is its sampled price, as WebShop's product_prices."""
    kind = type_reward(product.query, product.product_category, product.title,
                       goal.query, goal.product_category, goal.name, lexicon)
    n_att = attribute_matches(goal.attributes, product.attributes, product.title, product.bullets,
                              product.description)
    n_opt = option_matches(list(goal.goal_options.values()), list(chosen_options.values()))
    price_ok = product.price <= goal.price_upper
    denominator = len(goal.attributes) + len(goal.goal_options) + 1
    score = kind.r_type * (n_att + n_opt + int(price_ok)) / denominator
    return RewardDetails(score, kind.r_type, n_att, n_opt, price_ok, denominator)
