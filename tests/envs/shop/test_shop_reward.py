"""WebShop's reward, term by term, on cases worked out by hand (docs/environments.md, "Shop", "Reward")."""

import pytest

from siri.envs.shop.catalog import Product
from siri.envs.shop.goals import Goal
from siri.envs.shop.reward import (attribute_matches, fuzzy, normalize_color, option_matches,
                                   purchase_reward, title_nouns, type_reward)

NOUNS = frozenset({"lumina", "velvo", "argan", "keratin", "shampoo", "conditioner", "hair", "oil",
                   "mask", "tea", "tree", "mug", "coffee", "a", "b", "c", "d", "e", "f", "g", "h", "i",
                   "j", "k"})
HAIR = "Beauty & Personal Care › Hair Care › Shampoo"


# --- fuzzy matcher: ratio = 100 * (len1 + len2 - indel distance) / (len1 + len2) on token-set strings


@pytest.mark.parametrize("a, b, expected", [
    ("sulfate free", "sulfates free", 96.0),  # "free sulfate"(12) vs "free sulfates"(13): 1 insertion: 24/25
    ("pack 2", "pack 3", 100 * 10 / 12),  # "pack 2" vs "pack 3": 1 substitution = 2 indels: 10/12
    ("pack of 1", "pack of 2", 100 * 16 / 18),  # "of pack 1" vs "of pack 2": 16/18
    ("xl", "l", 100 * 2 / 3),  # one deletion: 2/3
    ("long lasting", "long-lasting formula", 100.0),  # one token set inside the other
])
def test_fuzzy_ratio_hand_values(a, b, expected):
    assert fuzzy(a, b) == pytest.approx(expected)


def test_normalize_color_maps_variants_to_first_base_colour_in_list_order():
    assert normalize_color("navy blue") == "blue"
    assert normalize_color("Forest Green") == "green"
    assert normalize_color("blue-black") == "black"  # black comes before blue in COLOR_WORDS
    assert normalize_color("standard") == "standard"  # whole words only: no colour inside
    assert normalize_color("xl") == "xl"


# --- attributes


def test_attribute_counts_by_fuzzy_match_with_product_attribute():
    assert attribute_matches(["sulfates free"], ["sulfate free"], "", [], "") == 1  # 96 > 85
    assert attribute_matches(["paraben free"], ["sulfate free"], "", [], "") == 0  # 58.3


def test_attribute_counts_by_substring_of_title_bullets_or_description():
    assert attribute_matches(["tea tree"], [], "Lumina TEA TREE Shampoo", [], "") == 1
    assert attribute_matches(["tea tree"], [], "", ["Made with", "Tea Tree oil"], "") == 1
    assert attribute_matches(["tea tree"], [], "", [], "With tea tree.") == 1
    assert attribute_matches(["tea tree"], [], "Tea Shampoo", ["tree"], "tea") == 0


def test_attribute_count_sums_over_goal_attributes():
    goal = ["sulfate free", "tea tree", "color safe"]
    assert attribute_matches(goal, ["sulfate free"], "Tea Tree Shampoo", [], "") == 2


# --- options


def test_option_match_after_colour_normalization():
    assert option_matches(["navy blue"], ["sky blue"]) == 1  # both become "blue"
    assert option_matches(["navy blue"], ["forest green"]) == 0
    assert option_matches(["black", "xl"], ["jet black", "l"]) == 1  # xl vs l is 66.7


def test_option_match_threshold_is_strict_85():
    assert option_matches(["2 pack"], ["3 pack"]) == 0  # 83.3
    assert option_matches(["pack of 2"], ["pack of 1"]) == 1  # 88.9, WebShop's leniency kept
    assert option_matches(["m"], []) == 0


# --- r_type: 1 / 0.5 / 0.1 / 0


def test_type_reward_one_by_query_match():
    r = type_reward("shampoo", "X › Y", "Velvo Argan Shampoo", "shampoo", "Z › W", "Lumina Keratin Shampoo", NOUNS)
    assert (r.query_match, r.category_match, r.title_score, r.r_type) == (True, False, pytest.approx(1 / 3), 1.0)


def test_type_reward_one_by_category_match_at_title_score_02():
    # desired nouns: lumina keratin hair shampoo conditioner -> 5; shared: shampoo -> 0.2
    r = type_reward("q1", HAIR, "Velvo Shampoo", "q2", "Beauty & Personal Care › Hair Care › Conditioner",
                    "Lumina Keratin Hair Shampoo Conditioner", NOUNS)
    assert r.category_match and r.title_score == pytest.approx(0.2) and r.r_type == 1.0


def test_type_reward_one_by_title_overlap_above_02():
    # desired: lumina argan shampoo mug -> 4; shared: shampoo -> 0.25 > 0.2
    r = type_reward("q1", "A › B", "Velvo Shampoo", "q2", "A › C", "Lumina Argan Shampoo Mug", NOUNS)
    assert not r.query_match and not r.category_match and r.r_type == 1.0


def test_type_reward_half_without_any_match():
    # one shared path element only; title_score 1/5 = 0.2 is not > 0.2
    r = type_reward("q1", "A › B", "Velvo Shampoo", "q2", "A › C", "Lumina Argan Shampoo Mug Tea", NOUNS)
    assert r.title_score == pytest.approx(0.2) and r.r_type == 0.5


def test_type_reward_tenth_when_title_score_below_01_even_with_query_match():
    desired = "a b c d e f g h i j shampoo"  # 11 nouns, 1 shared -> 0.0909
    r = type_reward("q", HAIR, "Velvo Shampoo", "q", HAIR, desired, NOUNS)
    assert r.query_match and r.category_match and r.r_type == 0.1


def test_type_reward_zero_when_no_title_noun_shared():
    r = type_reward("q", HAIR, "Velvo Conditioner", "q", HAIR, "Lumina Shampoo", NOUNS)
    assert r.title_score == 0.0 and r.r_type == 0.0


def test_type_reward_goal_title_without_nouns_scores_02():
    r = type_reward("q1", "A › B", "Velvo Shampoo", "q2", "A › C", "Sulfate Free", NOUNS)
    assert r.title_score == 0.2 and r.r_type == 0.5
    r = type_reward("q1", "A › B › C", "Velvo Shampoo", "q2", "A › B › D", "Sulfate Free", NOUNS)
    assert r.r_type == 1.0


def test_title_nouns_keep_repeats():
    assert title_nouns("Hair Oil for Dry Hair", NOUNS) == ["hair", "oil", "hair"]


# --- the whole formula


def _product(**changes):
    fields = dict(asin="B000000001", category="beauty", subcategory="Hair Care", product_category=HAIR,
                  query="shampoo", brand="Lumina", title="Lumina Argan Shampoo, Sulfate Free",
                  description="Lumina shampoo.", bullets=("COLOR SAFE: yes.",),
                  attributes=("sulfate free", "color safe"), options={"size": ("mini", "regular"),
                                                                      "scent": ("lavender", "citrus")},
                  price_tag="$20.00", price=20.0, reviews=())
    fields.update(changes)
    return Product(**fields)


GOAL = Goal(asin="B000000001", instruction="...", query="shampoo", name="Lumina Argan Shampoo, Sulfate Free",
            category="beauty", product_category=HAIR, attributes=("sulfate free", "color safe"),
            goal_options={"scent": "lavender", "size": "mini"}, price_upper=20.0)


def test_purchase_reward_perfect_is_exactly_one():
    r = purchase_reward(_product(), GOAL, {"size": "mini", "scent": "lavender"}, NOUNS)
    assert (r.n_att, r.n_opt, r.price_ok, r.denominator, r.r_type) == (2, 2, True, 5, 1.0)
    assert r.score == 1.0  # price == price_upper counts (<=)


def test_purchase_reward_missing_option_and_price_over():
    r = purchase_reward(_product(price=20.01), GOAL, {"size": "mini"}, NOUNS)
    assert r.score == pytest.approx((2 + 1 + 0) / 5)


def test_purchase_reward_scaled_by_r_type():
    other = _product(query="hair mask", product_category="Beauty & Personal Care › Skin Care › Mask",
                     title="Velvo Keratin Mask Conditioner Shampoo Hair Tea, Sulfate Free")
    # desired nouns: lumina argan shampoo (3); shared: shampoo -> 1/3 > 0.2 -> r_type 1
    assert purchase_reward(other, GOAL, {}, NOUNS).score == pytest.approx(3 / 5)
    unrelated = _product(query="mug", product_category="Home › Kitchen › Mug", title="Velvo Coffee Mug",
                         description="", bullets=(), attributes=())
    r = purchase_reward(unrelated, GOAL, {"size": "mini", "scent": "lavender"}, NOUNS)
    assert (r.r_type, r.n_att, r.n_opt, r.score) == (0.0, 0, 2, 0.0)
