"""BM25 product search (docs/environments.md, "Shop", "Search").

WebShop indexes, per product, the lower-cased `title + description + first bullet + options text` with
pyserini (Lucene) and returns the top 50. We index the same text with rank_bm25's BM25Okapi, tokenized
as lower-case alphanumeric runs minus Lucene's English stop words (Lucene's analyzer also stems; we do
not). Like Lucene, the hits are the products that contain some query term (rank_bm25 gives a term found
in exactly half the documents an idf of 0, so a zero score does not mean "no hit"); a query with no
known word has 0 results. Ties are broken by catalogue order so results never depend on a sort's stability.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from rank_bm25 import BM25Okapi

from siri.envs.shop.catalog import Product

TOP_K = 50
MAX_QUERY_TOKENS = 64  # a query's first 64 indexed tokens are scored; the rest is ignored
_WORD = re.compile(r"[a-z0-9]+")
# Lucene's default English stop-word set.
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with".split()
)


def tokenize(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def document_text(product: Product) -> str:
    """WebShop's indexed contents: title, description, first bullet and 'kind: v1, v2, and kind: …'."""
    option_text = ", and ".join(f"{kind}: {', '.join(values)}" for kind, values in product.options.items())
    first_bullet = product.bullets[0] if product.bullets else ""
    return " ".join([product.title, product.description, first_bullet, option_text]).lower()


class SearchIndex:
    """A BM25 index over a catalogue; `search` is memoized because agents repeat queries a lot."""

    def __init__(self, products: Sequence[Product]):
        self.asins = tuple(p.asin for p in products)
        self._bm25 = BM25Okapi([tokenize(document_text(p)) for p in products])
        self._postings: dict[str, list[int]] = {}
        for i, freqs in enumerate(self._bm25.doc_freqs):
            for token in freqs:
                self._postings.setdefault(token, []).append(i)
        self.search = lru_cache(maxsize=8192)(self._search)

    def _search(self, query: str) -> tuple[str, ...]:
        """The asins of the (at most 50) best hits for `query`, best first."""
        tokens = [t for t in tokenize(query) if t in self._postings][:MAX_QUERY_TOKENS]
        if not tokens:
            return ()
        scores = self._bm25.get_scores(tokens).tolist()
        matching = {i for t in tokens for i in self._postings[t]}
        hits = sorted(matching, key=lambda i: (-scores[i], i))
        return tuple(self.asins[i] for i in hits[:TOP_K])
