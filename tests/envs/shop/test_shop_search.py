"""BM25 search (docs/environments.md, "Shop", "Search")."""

from collections import Counter

import numpy as np
import pytest

from siri.envs.shop.catalog import Product
from siri.envs.shop.env import shop_world
from siri.envs.shop.search import SearchIndex, document_text, tokenize, top_hits

CATALOG = shop_world(1000, 0).catalog
INDEX = shop_world(1000, 0).index


def _product(asin, title, description="", bullets=("",), options=None):
    return Product(asin, "home", "Kitchen", "A › B › C", "mug", "X", title, description, tuple(bullets), (),
                   options or {}, "$1.00", 1.0, ())


def test_document_text_is_webshop_contents():
    p = _product("B000000001", "Big Mug", "Holds tea.", ("FIRST: one", "SECOND: two"),
                 {"color": ("red", "blue"), "size": ("12 oz",)})
    assert document_text(p) == "big mug holds tea. first: one color: red, blue, and size: 12 oz"


def test_tokenize_drops_stop_words_and_punctuation():
    assert tokenize("I need a Mug, for the 12-oz TEA!") == ["i", "need", "mug", "12", "oz", "tea"]


def test_hand_made_corpus_ranks_and_filters():
    docs = [_product("B0A", "red mug"), _product("B0B", "blue mug"), _product("B0C", "green plate"),
            _product("B0D", "red red bowl"), _product("B0E", "yellow cup")]
    index = SearchIndex(docs)
    # avgdl = 11/5 = 2.2, k1 = 0.9, b = 0.4. "red": tf 1 in A (len 2), tf 2 in D (len 3), same idf:
    # A: 1 / (1 + 0.9 * (0.6 + 0.4 * 2 / 2.2)) = 0.536 idf
    # D: 2 / (2 + 0.9 * (0.6 + 0.4 * 3 / 2.2)) = 0.660 idf
    assert index.search("red") == ("B0D", "B0A")
    assert index.search("blue mug") == ("B0B", "B0A")  # B matches both terms, A only "mug"
    assert index.search("zebra") == () and index.search("the of and") == ()


def test_terms_in_half_or_all_the_documents_still_hit():
    """Robertson's idf ln((N - df + 0.5) / (df + 0.5)) is 0 for "red" (df = N/2) and negative for "mug"
    (df = N); Lucene's adds 1 inside the log: ln(2) = 0.693147 and ln(1.2) = 0.182322. Both documents
    have length avgdl = 2, so the tf part of tf 1 is 1 / (1 + 0.9) = 0.526316."""
    index = SearchIndex([_product("B0A", "red mug"), _product("B0B", "blue mug")])
    assert index.search("mug") == ("B0A", "B0B") and index.search("red") == ("B0A",)
    assert index.scores("mug").tolist() == pytest.approx([0.182322 * 0.526316] * 2, rel=1e-5)
    assert index.scores("red").tolist() == pytest.approx([0.693147 * 0.526316, 0.0], rel=1e-5)


# Three documents, N = 3, avgdl = 7/3, k1 = 0.9, b = 0.4:
#   A "red mug" (len 2), B "red red cup" (len 3), C "blue cup" (len 2).
# idf, Lucene's: df 1 (mug, blue) ln(1 + 2.5/1.5) = ln(8/3) = 0.980829;
#                df 2 (red, cup)  ln(1 + 1.5/2.5) = ln(1.6) = 0.470004.
# tf part tf / (tf + k1 * (1 - b + b * len / avgdl)):
#   len 2: k1 * (0.6 + 0.8 * 3/7) = 0.848571, so tf 1 -> 1 / 1.848571 = 0.540958
#   len 3: k1 * (0.6 + 1.2 * 3/7) = 1.002857, so tf 1 -> 0.499287, tf 2 -> 2 / 3.002857 = 0.666032
# (textbook BM25 and Lucene before 8.0 multiply the tf part by k1 + 1 = 1.9: every score alike, same ranking).
TOY = [_product("B0A", "red mug"), _product("B0B", "red red cup"), _product("B0C", "blue cup")]


@pytest.mark.parametrize("query, expected", [
    ("red", [0.470004 * 0.540958, 0.470004 * 0.666032, 0.0]),  # 0.254252, 0.313038, 0
    ("red cup", [0.470004 * 0.540958, 0.470004 * (0.666032 + 0.499287), 0.470004 * 0.540958]),
    ("red mug", [0.470004 * 0.540958 + 0.980829 * 0.540958, 0.470004 * 0.666032, 0.0]),  # 0.784840, 0.313038
    ("mug mug", [2 * 0.980829 * 0.540958, 0.0, 0.0]),  # a repeated query word counts twice, as in Lucene
])
def test_scores_are_lucene_bm25_worked_by_hand(query, expected):
    assert SearchIndex(TOY).scores(query).tolist() == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_toy_ranking_follows_the_hand_scores():
    index = SearchIndex(TOY)
    assert index.search("red") == ("B0B", "B0A")  # C has no "red": not a hit
    assert index.search("red cup") == ("B0B", "B0A", "B0C")  # A and C tie at 0.254252: catalogue order
    assert index.search("red mug") == ("B0A", "B0B")
    assert index.search("blue") == ("B0C",) and index.search("green") == ()


def test_top_hits_keeps_positive_scores_and_breaks_ties_at_the_cut_by_index():
    scores = np.array([0.0, 1.0, 3.0, 1.0, 1.0, 0.0], dtype=np.float32)
    assert top_hits(scores, 2) == [2, 1]
    assert top_hits(scores, 10) == [2, 1, 3, 4]
    assert top_hits(np.zeros(4, dtype=np.float32), 10) == []


def test_exact_title_query_ranks_its_product_first():
    """For every product whose title's bag of words is unique in the catalogue."""
    bags = Counter(tuple(sorted(tokenize(p.title))) for p in CATALOG.products)
    checked = 0
    for p in CATALOG.products:
        if bags[tuple(sorted(tokenize(p.title)))] == 1:
            assert INDEX.search(p.title.lower())[0] == p.asin, p.title
            checked += 1
    assert checked > 950


def test_results_are_top_50_and_deterministic():
    hits = INDEX.search("shampoo sulfate free")
    assert len(hits) == 50 and len(set(hits)) == 50
    top = CATALOG.by_asin[hits[0]].title.lower()
    assert "shampoo" in top and "sulfate free" in top
    assert SearchIndex(CATALOG.products).search("shampoo sulfate free") == hits


def test_empty_catalogue_is_refused():
    with pytest.raises(ValueError, match="at least one product"):
        SearchIndex([])
