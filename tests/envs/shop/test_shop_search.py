"""BM25 search (docs/environments.md, "Shop", "Search")."""

from collections import Counter

from siri.envs.shop.catalog import Product
from siri.envs.shop.env import shop_world
from siri.envs.shop.search import SearchIndex, document_text, tokenize

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
    # avgdl = 11/5 = 2.2, k1 = 1.5, b = 0.75. "red": tf 1 in A (len 2), tf 2 in D (len 3), same idf:
    # A: 2.5 / (1 + 1.5 * (0.25 + 0.75 * 2 / 2.2)) = 1.043 idf;  D: 5 / (2 + 1.5 * (0.25 + 0.75 * 3 / 2.2)) = 1.279 idf
    assert index.search("red") == ("B0D", "B0A")
    assert index.search("blue mug") == ("B0B", "B0A")  # B matches both terms, A only "mug"
    assert index.search("zebra") == () and index.search("the of and") == ()


def test_term_in_exactly_half_the_documents_still_hits():
    index = SearchIndex([_product("B0A", "red mug"), _product("B0B", "blue mug")])  # idf("mug") = 0
    assert index.search("mug") == ("B0A", "B0B")


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
