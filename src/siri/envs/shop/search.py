"""BM25 product search (docs/environments.md, "Shop", "Search").

WebShop indexes, per product, the lower-cased `title + description + first bullet + options text` with
pyserini (Lucene) and returns the top 50. We index the same text with bm25s's "lucene" method, which
scores as Lucene's BM25Similarity does:

    score(d, q) = sum over query tokens t in d of  idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avgdl))
    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))

with pyserini's default k1 = 0.9 and b = 0.4, the values WebShop's searcher runs with (it never sets
them). Lucene 8+ leaves out the textbook (k1 + 1) factor of the tf part; it scales every score alike,
so rankings do not change. Lucene stores document lengths in one lossy byte; bm25s uses exact lengths.

Tokenization stays ours (bm25s gets token lists): lower-case alphanumeric runs minus Lucene's English
stop words (Lucene's analyzer also stems; we do not). A query token repeated is counted each time, as in
a Lucene boolean query. This idf is always positive and so is the tf part of a term a product contains,
so a product scores above 0 exactly when it contains some query term: those are the hits, as in Lucene.
A query with no known word has 0 results. Ties are broken by catalogue order so results never depend on
a sort's stability.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import bm25s
import numpy as np

from siri.envs.shop.catalog import Product

TOP_K = 50
MAX_QUERY_TOKENS = 64  # a query's first 64 indexed tokens are scored; the rest is ignored
K1 = 0.9  # pyserini's default BM25 parameters, which WebShop's searcher uses
B = 0.4
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


def top_hits(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the (at most k) best positive scores, best first, ties by lower index.

    Only scores at least the k-th largest can make the cut, so just those few are sorted."""
    hits = np.flatnonzero(scores > 0)
    if len(hits) > k:
        kth = np.partition(scores[hits], len(hits) - k)[len(hits) - k]
        hits = hits[scores[hits] >= kth]
    order = np.lexsort((hits, -scores[hits]))
    return hits[order][:k].tolist()


class SearchIndex:
    """A BM25 index over a catalogue; `search` is memoized because agents repeat queries a lot."""

    def __init__(self, products: Sequence[Product], k1: float = K1, b: float = B):
        if not products:
            raise ValueError("SearchIndex needs at least one product; got an empty catalogue")
        self.asins = tuple(p.asin for p in products)
        self._bm25 = bm25s.BM25(method="lucene", k1=k1, b=b)
        self._bm25.index([tokenize(document_text(p)) for p in products], create_empty_token=False,
                         show_progress=False)
        self._vocab: dict[str, int] = self._bm25.vocab_dict
        self.search = lru_cache(maxsize=8192)(self._search)

    def _token_ids(self, query: str) -> list[int]:
        """The query's first MAX_QUERY_TOKENS tokens that occur in the catalogue, as vocabulary ids."""
        return [self._vocab[t] for t in tokenize(query) if t in self._vocab][:MAX_QUERY_TOKENS]

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every product for `query`, in catalogue order (0 where no term occurs)."""
        ids = self._token_ids(query)
        if not ids:
            return np.zeros(len(self.asins), dtype=np.float32)
        return self._bm25.get_scores_from_ids(ids)

    def _search(self, query: str) -> tuple[str, ...]:
        """The asins of the (at most 50) best hits for `query`, best first."""
        return tuple(self.asins[i] for i in top_hits(self.scores(query), TOP_K))
