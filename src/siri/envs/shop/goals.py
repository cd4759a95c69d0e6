"""Shopping goals by WebShop's synthetic-goal procedure (docs/environments.md, "Shop", "Catalogue and goals").

A goal is made from one target product: a subset of its attributes, one value for each of its option
kinds, and a price limit. As in WebShop's `get_synthetic_goals`, the candidate limits are the first four
multiples of 10 strictly above the product's price (out of 10, 20, …, 990); when there are at least two,
two are sampled and the larger is the limit ("…, and price lower than {p:.2f} dollars"), otherwise there
is no limit (price_upper = 1,000,000 and no price text). Options are written " with k: v, and k: v" in
sorted kind order, as WebShop does.

Splits (the catalogue itself is shared, as in WebShop): a goal's target product decides its split.
  * unseen: products of the held-out type of each subcategory (its last type in the lexicon): no train
    or eval goal ever asks for that kind of product.
  * eval:   other products whose asin hashes (sha256) to 0 mod 5.
  * train:  the rest.
So train, eval and unseen goals are disjoint, and `seed` only indexes goals within a split.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Mapping, Sequence

from siri.envs.shop.catalog import Catalog, Product
from siri.envs.shop.lexicon import CATEGORIES, INSTRUCTION_TEMPLATES

PRICE_RANGE: tuple[float, ...] = tuple(10.0 * i for i in range(1, 100))
NO_PRICE_LIMIT = 1_000_000.0
HELD_OUT_TYPES = frozenset(s.types[-1] for c in CATEGORIES for s in c.subcategories)
_MASS_NOUNS = frozenset({"shampoo", "conditioner", "hair oil", "sunscreen", "face wash", "foundation",
                         "mascara", "toothpaste", "mouthwash", "dental floss", "trail mix", "beef jerky",
                         "green tea", "sparkling water", "olive oil", "pasta", "peanut butter", "honey"})


@dataclass(frozen=True)
class Goal:
    asin: str  # the target product
    instruction: str
    query: str  # target's query (product type)
    name: str  # target's title
    category: str  # target's top-level category (task type)
    product_category: str
    attributes: tuple[str, ...]
    goal_options: Mapping[str, str]  # option kind -> wanted value
    price_upper: float


def split_of(product: Product) -> str:
    if product.query in HELD_OUT_TYPES:
        return "unseen"
    digest = hashlib.sha256(product.asin.encode()).digest()
    return "eval" if int.from_bytes(digest[:8], "big") % 5 == 0 else "train"


def split_pool(catalog: Catalog, split: str) -> tuple[Product, ...]:
    return tuple(p for p in catalog.products if split_of(p) == split)


def price_limit(price: float, rng: random.Random) -> tuple[float, str]:
    """(price_upper, instruction suffix) by WebShop's rule (module docstring)."""
    candidates = [p for p in PRICE_RANGE if p > price][:4]
    if len(candidates) < 2:
        return NO_PRICE_LIMIT, ""
    upper = max(rng.sample(candidates, 2))
    return upper, f", and price lower than {upper:.2f} dollars"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _article(kind: str, next_word: str) -> str:
    """'some' for plural and mass nouns, else 'a'/'an' by the word that follows the article."""
    if kind.endswith("s") or kind in _MASS_NOUNS:
        return "some"
    return "an" if next_word[:1] in tuple("aeiou") else "a"


def make_goal(product: Product, rng: random.Random) -> Goal:
    """One synthetic goal for `product` (WebShop's procedure, module docstring)."""
    attributes = tuple(rng.sample(product.attributes, rng.randint(1, min(3, len(product.attributes)))))
    options = {kind: rng.choice(values) for kind, values in sorted(product.options.items())}
    price_upper, price_text = price_limit(product.price, rng)
    template, attrs = rng.choice(INSTRUCTION_TEMPLATES), _join(attributes)
    next_word = attrs if "{article} {attrs}" in template else product.query
    base = template.format(article=_article(product.query, next_word), type=product.query, attrs=attrs)
    option_text = ", and ".join(f"{k}: {v}" for k, v in options.items())
    option_text = f" with {option_text}" if option_text else ""
    return Goal(product.asin, f"{base}{option_text}{price_text}", product.query, product.title,
                product.category, product.product_category, attributes, options, price_upper)


def goal_for(pool: Sequence[Product], split: str, seed: int) -> Goal:
    """The goal `seed` of `split`, drawn from that split's product pool with a local RNG."""
    rng = random.Random(f"shop-goal/{split}/{seed}")
    return make_goal(rng.choice(pool), rng)
