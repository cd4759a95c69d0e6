"""The WebShop-faithful shop environment (docs/environments.md, "Shop"): catalogue, goals, BM25 search,
WebShop's reward, text pages, the env and its oracle. Imports no ML library (rank_bm25 uses numpy)."""

from siri.envs.shop.env import SEARCH_MARKER, ShopEnv
from siri.envs.shop.oracle import ShopOracle

__all__ = ["SEARCH_MARKER", "ShopEnv", "ShopOracle"]
