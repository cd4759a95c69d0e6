"""A synthetic product catalogue, deterministic from a seed (docs/environments.md, "Shop", "Catalogue").

Products carry what WebShop's scraped products carry and what its reward reads: asin, category path,
query (the product type, WebShop's scrape query), title, description, bullet points, attributes,
options and a price tag that may be a range. `price` is the one price the reward uses, sampled inside
the range like WebShop's `generate_product_prices`.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass
from typing import Mapping

from siri.envs.shop.lexicon import (BRANDS, BULLET_TAILS, CATEGORIES, OPTION_POOLS, REVIEW_BODIES,
                                    REVIEW_TITLES, Category, Subcategory)

CATEGORY_SEP = " › "
ASIN_CHARS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Review:
    title: str
    score: int
    body: str


@dataclass(frozen=True)
class Product:
    asin: str
    category: str  # top-level key, the task type
    subcategory: str
    product_category: str  # "Root › Subcategory › Type"
    query: str  # the product type, e.g. "shampoo"
    brand: str
    title: str
    description: str
    bullets: tuple[str, ...]
    attributes: tuple[str, ...]
    options: Mapping[str, tuple[str, ...]]  # option kind -> values, in page order
    price_tag: str  # "$12.99" or "$12.99 to $15.99", as shown on pages
    price: float  # the price the reward compares with price_upper
    reviews: tuple[Review, ...]


@dataclass(frozen=True)
class Catalog:
    products: tuple[Product, ...]
    by_asin: Mapping[str, Product]
    nouns: frozenset[str]  # the noun lexicon that replaces spaCy in r_type
    seed: int


def noun_lexicon() -> frozenset[str]:
    """Every word of every product type and material, and every brand name (proper nouns)."""
    words: set[str] = {b.lower() for b in BRANDS}
    for category in CATEGORIES:
        for sub in category.subcategories:
            for phrase in sub.types + sub.materials:
                words.update(phrase.lower().split())
    return frozenset(words)


def _asin(rng: random.Random, taken: set[str]) -> str:
    while True:
        asin = "B0" + "".join(rng.choice(ASIN_CHARS) for _ in range(8))
        if asin not in taken:
            taken.add(asin)
            return asin


def _dollars(x: float) -> float:
    """Round to a price ending in .99 (at least 0.99)."""
    return max(1, round(x)) - 0.01


def _price(rng: random.Random, low: float, high: float) -> tuple[str, float]:
    """Log-uniform list price; a third of products show a range and get a price sampled inside it."""
    first = _dollars(math.exp(rng.uniform(math.log(low), math.log(high))))
    if rng.random() < 0.35:
        second = _dollars(first * rng.uniform(1.15, 1.6))
        return f"${first:.2f} to ${second:.2f}", round(rng.uniform(first, second), 2)
    return f"${first:.2f}", first


def _options(rng: random.Random, sub: Subcategory) -> dict[str, tuple[str, ...]]:
    options: dict[str, tuple[str, ...]] = {}
    for kind, pool_name in sub.option_kinds:
        if rng.random() < 0.85:
            pool = OPTION_POOLS[pool_name]
            picked = sorted(rng.sample(range(len(pool)), rng.randint(2, min(5, len(pool)))))
            options[kind] = tuple(pool[i] for i in picked)
    return options


def _product(rng: random.Random, asin: str, category: Category, sub: Subcategory, kind: str) -> Product:
    brand = rng.choice(BRANDS)
    material = rng.choice(sub.materials)
    attributes = tuple(rng.sample(sub.attributes, rng.randint(2, 4)))
    title = f"{brand} {material.title()} {kind.title()}, " + ", ".join(a.title() for a in attributes[:2])
    blurbs = rng.sample(category.blurbs, 2)
    description = (f"{brand} {kind} made with {material}. Key features: {', '.join(attributes)}. "
                   f"{blurbs[0]}")
    bullets = tuple(f"{a.upper()}: {rng.choice(BULLET_TAILS)}." for a in attributes) + (blurbs[1],)
    price_tag, price = _price(rng, *sub.price)
    reviews = tuple(Review(rng.choice(REVIEW_TITLES), rng.randint(1, 5), rng.choice(REVIEW_BODIES))
                    for _ in range(rng.randint(0, 2)))
    path = CATEGORY_SEP.join((category.root, sub.name, kind.title()))
    return Product(asin, category.key, sub.name, path, kind, brand, title, description, bullets,
                   attributes, _options(rng, sub), price_tag, price, reviews)


def all_types() -> list[tuple[Category, Subcategory, str]]:
    return [(c, s, t) for c in CATEGORIES for s in c.subcategories for t in s.types]


def generate_catalog(num_products: int, seed: int) -> Catalog:
    """`num_products` products; types are dealt round-robin (in a seeded order) so every type exists
    once `num_products` reaches the number of types."""
    rng = random.Random(seed)
    types = all_types()
    order = rng.sample(types, len(types))
    taken: set[str] = set()
    products = tuple(_product(rng, _asin(rng, taken), *order[i % len(order)]) for i in range(num_products))
    return Catalog(products, {p.asin: p for p in products}, noun_lexicon(), seed)
