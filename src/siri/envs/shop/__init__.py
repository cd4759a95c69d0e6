"""The WebShop-faithful shop environment (docs/environments.md, "Shop"): catalogue, goals, BM25 search
(bm25s's Lucene variant with pyserini's k1 and b), WebShop's reward, text pages, the env and its oracle.
Imports no ML library (bm25s needs only numpy)."""

from siri.envs.shop.env import SEARCH_MARKER, ShopEnv
from siri.envs.shop.oracle import ShopOracle

__all__ = ["SEARCH_MARKER", "ShopEnv", "ShopOracle"]
