"""The WebShop-faithful shopping environment (docs/environments.md, "Shop" and "Common contract").

One episode: a goal instruction, a browser starting on the search page, at most `max_steps` actions.
`click[buy now]` ends it with WebShop's score R as `task_score`; the learner's reward is 10 when R is
exactly 1.0, else 0 ("Agent interface"). Running out of steps ends it with task_score 0.0 (nothing was
bought, WebShop's score for such an episode). Refused actions change nothing and earn 0.

`admissible_actions` are WebShop's available actions: the search bar, listed as the literal marker
SEARCH_MARKER (queries cannot be enumerated; the marker is what verl-agent's prompt shows), then
`click[x]` for every clickable of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from siri.envs.base import EnvError, StepResult, after_done, check_split
from siri.envs.shop.browser import apply
from siri.envs.shop.catalog import Product, generate_catalog
from siri.envs.shop.goals import Goal, goal_for, split_pool
from siri.envs.shop.pages import Page, View, render
from siri.envs.shop.reward import RewardDetails, purchase_reward
from siri.envs.shop.search import SearchIndex

SEARCH_MARKER = "search[<your query>]"
SUCCESS_REWARD = 10.0
MIN_PRODUCTS = 100
MAX_PRODUCTS = 1_000_000  # about WebShop's full 1.18M; generating 10^6 products takes minutes


@dataclass(frozen=True)
class World:
    """A catalogue, its search index and each split's goal products; shared by all envs that use it."""

    catalog: Catalog
    index: SearchIndex
    pools: dict[str, tuple[Product, ...]]


@lru_cache(maxsize=4)
def shop_world(num_products: int, catalog_seed: int) -> World:
    """Built once per (num_products, catalog_seed) per process, so envs are cheap to create."""
    catalog = generate_catalog(num_products, catalog_seed)
    pools = {split: split_pool(catalog, split) for split in ("train", "eval", "unseen")}
    return World(catalog, SearchIndex(catalog.products), pools)


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f">= {low} and <= {high}"
        raise EnvError(f"shop option {name}={value!r} must be an integer {allowed}")
    return value


@dataclass(frozen=True)
class ShopOptions:
    """The shop's own options (`env.options`), checked on construction with one-line EnvErrors.

    `split` and `max_steps` are every environment's and set by the caller, so they are not here.
    """

    num_products: int = 1000
    catalog_seed: int = 0

    def __post_init__(self) -> None:
        _check_int("num_products", self.num_products, MIN_PRODUCTS, MAX_PRODUCTS)
        _check_int("catalog_seed", self.catalog_seed, 0)


class ShopEnv:
    """Text shop; see the module docstring. Options: split, max_steps, and `ShopOptions`."""

    name = "shop"

    def __init__(self, split: str = "train", max_steps: int = 15, num_products: int = 1000,
                 catalog_seed: int = 0):
        self.split = check_split(split)
        self.max_steps = _check_int("max_steps", max_steps, 1)
        ShopOptions(num_products, catalog_seed)
        self.world = shop_world(num_products, catalog_seed)
        if not self.world.pools[split]:
            raise EnvError(f"shop catalogue of {num_products} products has no {split} goals; use more")
        self.goal: Goal | None = None
        self.view = View()
        self.steps = 0
        self._last: StepResult | None = None

    def reset(self, seed: int) -> StepResult:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise EnvError(f"shop reset seed must be an integer, got {seed!r}")
        self.goal = goal_for(self.world.pools[self.split], self.split, seed)
        self.view, self.steps = View(), 0
        self._last = self._result(0.0, False, False, None, {"valid": True})
        return self._last

    def page(self) -> Page:
        results = self.world.index.search(self.view.query) if self.view.page == "results" else ()
        return render(self.goal.instruction, self.view, results, self.world.catalog)

    def step(self, action: str) -> StepResult:
        """Apply one action; never raises on any string (refused actions change nothing)."""
        if self.goal is None or self._last is None:
            raise EnvError("call reset(seed) before step()")
        if self._last.done:
            return after_done(self._last, valid=False)
        self.steps += 1
        view = apply(self.view, action if isinstance(action, str) else str(action), self.page(),
                     self.world.index.search, self.world.catalog)
        info: dict[str, Any] = {"valid": view is not None}
        if view is not None and view.page == "done":
            details = self._buy(view)
            info.update(vars(details), purchased=view.asin)
            won = details.score == 1.0
            self._last = self._result(SUCCESS_REWARD if won else 0.0, True, won, details.score, info)
        else:
            self.view = view or self.view
            out_of_steps = self.steps >= self.max_steps
            self._last = self._result(0.0, out_of_steps, False, 0.0 if out_of_steps else None, info)
        return self._last

    def _buy(self, view: View) -> RewardDetails:
        product = self.world.catalog.by_asin[view.asin]
        details = purchase_reward(product, self.goal, dict(view.options), self.world.catalog.nouns)
        self.view = View(page="done", asin=view.asin, options=view.options, score=details.score)
        return details

    def _result(self, reward: float, done: bool, won: bool, score: float | None,
                info: dict[str, Any]) -> StepResult:
        page = self.page()
        actions = ((SEARCH_MARKER,) if page.has_search_bar else ()) + tuple(
            f"click[{c}]" for c in page.clickables)
        if done:
            actions = ()
        return StepResult(page.text, reward, done, won, actions, page.text, self.goal.instruction,
                          self.goal.category, score, info)
