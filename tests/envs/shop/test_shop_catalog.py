"""Catalogue, vocabulary and goal generation (docs/environments.md, "Shop", "Catalogue and goals")."""

import itertools
import random
import re
import subprocess
import sys

import pytest

from siri.envs.shop.catalog import generate_catalog
from siri.envs.shop.env import shop_world
from siri.envs.shop.goals import HELD_OUT_TYPES, NO_PRICE_LIMIT, goal_for, make_goal, price_limit, split_of
from siri.envs.shop.lexicon import CATEGORIES, OPTION_POOLS
from siri.envs.shop.reward import MATCH_THRESHOLD, attribute_matches, fuzzy, normalize_color

WORLD = shop_world(1000, 0)
CATALOG = WORLD.catalog
SUBS = {s.name: s for c in CATEGORIES for s in c.subcategories}


def test_catalogue_shape():
    products = CATALOG.products
    assert len(products) == 1000
    assert len({p.asin for p in products}) == 1000
    assert all(re.fullmatch(r"B0[A-Z0-9]{8}", p.asin) for p in products)
    assert {p.category for p in products} == {"beauty", "grocery", "fashion", "electronics", "home"}
    assert {p.query for p in products} == {t for s in SUBS.values() for t in s.types}
    for p in products:
        assert len(p.product_category.split(" › ")) == 3 and p.price > 0 and p.bullets and p.attributes
        values = [v for vs in p.options.values() for v in vs]
        assert len(values) == len(set(values))
        if " to " in p.price_tag:
            low, high = (float(x.strip("$")) for x in p.price_tag.split(" to "))
            assert low <= p.price <= high
        else:
            assert p.price_tag == f"${p.price:.2f}"


def test_vocabulary_terms_never_match_each_other():
    """Distinct attributes of a subcategory, and distinct option values a product can carry, never
    satisfy the reward's matcher for one another, so each reward term is a real requirement."""
    for sub in SUBS.values():
        for a, b in itertools.combinations(sub.attributes, 2):
            assert fuzzy(a, b) <= MATCH_THRESHOLD and a not in b and b not in a, (a, b)
        values = [v for _, pool in sub.option_kinds for v in OPTION_POOLS[pool]]
        for a, b in itertools.combinations(values, 2):
            assert fuzzy(normalize_color(a), normalize_color(b)) <= MATCH_THRESHOLD, (a, b)


def test_products_satisfy_exactly_their_own_subcategory_attributes():
    for p in CATALOG.products:
        for attr in SUBS[p.subcategory].attributes:
            has = attribute_matches([attr], p.attributes, p.title, p.bullets, p.description) == 1
            assert has == (attr in p.attributes), (p.asin, attr)


def test_catalogue_is_deterministic_and_seed_dependent():
    assert generate_catalog(200, 7) == generate_catalog(200, 7)
    assert generate_catalog(200, 7).products != generate_catalog(200, 8).products


def test_catalogue_and_goals_identical_across_hash_seeds_and_torch_free():
    code = ("import hashlib, sys; from siri.envs.shop import ShopEnv; e = ShopEnv(split='eval', num_products=300);"
            "text = repr(e.world.catalog.products) + ''.join(e.reset(s).observation for s in range(20));"
            "print(hashlib.sha256(text.encode()).hexdigest(), 'torch' in sys.modules)")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1 and outs.pop().split()[1] == "False"


@pytest.mark.parametrize("price, allowed", [
    (12.99, {30.0, 40.0, 50.0}),  # candidates 20, 30, 40, 50: the larger of two is never 20
    (975.0, {990.0}),  # candidates 980, 990
    (20.0, {40.0, 50.0, 60.0}),  # strictly above: 30, 40, 50, 60
])
def test_price_limit_is_larger_of_two_of_first_four_multiples_of_ten(price, allowed):
    seen = {price_limit(price, random.Random(s))[0] for s in range(200)}
    assert seen == allowed
    upper, text = price_limit(price, random.Random(0))
    assert text == f", and price lower than {upper:.2f} dollars"


def test_price_limit_absent_with_fewer_than_two_candidates():
    assert price_limit(985.0, random.Random(0)) == (NO_PRICE_LIMIT, "")
    assert price_limit(1200.0, random.Random(0)) == (NO_PRICE_LIMIT, "")


def test_goal_follows_its_product():
    for seed in range(200):
        product = CATALOG.products[seed]
        goal = make_goal(product, random.Random(seed))
        assert goal.asin == product.asin and goal.query == product.query and goal.name == product.title
        assert set(goal.attributes) <= set(product.attributes) and 1 <= len(goal.attributes) <= 3
        assert set(goal.goal_options) == set(product.options)
        assert all(v in product.options[k] for k, v in goal.goal_options.items())
        assert goal.price_upper > product.price and product.query in goal.instruction
        assert all(a in goal.instruction for a in goal.attributes)
        options = ", and ".join(f"{k}: {v}" for k, v in sorted(goal.goal_options.items()))
        if options:
            assert f" with {options}" in goal.instruction


def test_goal_without_price_limit_has_no_price_text():
    expensive = [p for p in CATALOG.products if p.price >= 980]
    assert expensive, "the catalogue should hold some products above $980"
    goal = make_goal(expensive[0], random.Random(0))
    assert goal.price_upper == NO_PRICE_LIMIT and "price lower than" not in goal.instruction


def test_splits_are_disjoint_and_unseen_holds_out_product_types():
    pools = WORLD.pools
    asins = {s: {p.asin for p in pool} for s, pool in pools.items()}
    assert not (asins["train"] & asins["eval"]) and not (asins["train"] & asins["unseen"])
    assert not (asins["eval"] & asins["unseen"])
    assert {p.query for p in pools["unseen"]} == set(HELD_OUT_TYPES)
    assert not ({p.query for p in pools["train"] + pools["eval"]} & HELD_OUT_TYPES)
    for split, pool in pools.items():
        for seed in range(30):
            assert split_of(CATALOG.by_asin[goal_for(pool, split, seed).asin]) == split
