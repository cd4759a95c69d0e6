"""A scripted shopper that buys a product scoring R = 1.0 (docs/environments.md, "Common contract": oracle).

It reads the goal from the environment (privileged, as an oracle may), searches with the goal's product
type, attributes and option values, pages through the results until a product can reach R = 1.0 (the
target or an equally good one, judged with the reward itself), opens it, selects the matching options
and buys. If the 50 results hold none, it goes back and searches the target's exact title.
"""

from __future__ import annotations

from siri.envs.base import StepResult
from siri.envs.shop.catalog import Product
from siri.envs.shop.env import ShopEnv
from siri.envs.shop.goals import Goal
from siri.envs.shop.pages import SUB_PAGES
from siri.envs.shop.reward import MATCH_THRESHOLD, fuzzy, normalize_color, purchase_reward


def winning_options(product: Product, goal: Goal, nouns: frozenset[str]) -> dict[str, str] | None:
    """Options (kind -> value) that make buying `product` score exactly 1.0, or None if none can."""
    chosen: dict[str, str] = {}
    for wanted in goal.goal_options.values():
        target = normalize_color(wanted)
        match = next(((kind, v) for kind, values in product.options.items() for v in values
                      if fuzzy(normalize_color(v), target) > MATCH_THRESHOLD), None)
        if match is not None:
            chosen.setdefault(*match)
    return chosen if purchase_reward(product, goal, chosen, nouns).score == 1.0 else None


def goal_queries(goal: Goal) -> tuple[str, str]:
    """The first query (type, attributes, option values) and the fallback (the target's title)."""
    words = [goal.query, *goal.attributes, *goal.goal_options.values()]
    return " ".join(words), goal.name.lower()


class ShopOracle:
    """Oracle for a ShopEnv that has just been reset; `act` gives the next action."""

    def __init__(self, env: ShopEnv):
        self.env = env
        self._searches = 0

    def act(self, last: StepResult) -> str:
        env, view = self.env, self.env.view
        nouns = env.world.catalog.nouns
        if view.page == "search":
            queries = goal_queries(env.goal)
            self._searches += 1
            return f"search[{queries[min(self._searches, len(queries)) - 1]}]"
        if view.page == "results":
            page = env.page()
            for link in page.links:
                if winning_options(env.world.catalog.by_asin[link.upper()], env.goal, nouns) is not None:
                    return f"click[{link}]"
            return "click[next >]" if "next >" in page.buttons else "click[back to search]"
        if view.page in SUB_PAGES:
            return "click[< prev]"
        chosen = winning_options(env.world.catalog.by_asin[view.asin], env.goal, nouns)
        if chosen is None:
            return "click[< prev]"
        selected = dict(view.options)
        for kind, value in chosen.items():
            if selected.get(kind) != value:
                return f"click[{value.lower()}]"
        return "click[buy now]"
