"""The shop's pages as text (docs/environments.md, "Shop", "Pages").

WebShop's text mode joins a page's visible strings with " [SEP] ". Pages: search (the only one with a
search bar) -> results (10 per page) -> item (options; sub-pages Description, Features, Reviews) -> done.
Clickables are what WebShop's `get_available_actions` collects, lower-cased: buttons in page order, then
product links (asins), then option values. The Search button is left out because `click[search]` is
refused by WebShop's step. As in WebShop, the item page does not mark which options are selected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from siri.envs.shop.catalog import Catalog

SEP = " [SEP] "
PER_PAGE = 10
SUB_PAGES = ("description", "features", "reviews")


@dataclass(frozen=True)
class View:
    """Where the browser is. `options` are the chosen (kind, value) pairs on the open item."""

    page: str = "search"  # search | results | item | description | features | reviews | done
    query: str = ""
    page_num: int = 1
    asin: str = ""
    options: tuple[tuple[str, str], ...] = ()
    score: float = 0.0  # shown on the done page


@dataclass(frozen=True)
class Page:
    text: str
    has_search_bar: bool = False
    buttons: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    option_values: tuple[str, ...] = ()

    @property
    def clickables(self) -> tuple[str, ...]:
        return self.buttons + self.links + self.option_values


def num_pages(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


def _head(instruction: str) -> list[str]:
    return ["Instruction:", instruction, "Back to Search"]


def search_page(instruction: str) -> Page:
    return Page(SEP.join(["WebShop", "Instruction:", instruction, "Search"]), has_search_bar=True)


def results_page(instruction: str, view: View, results: Sequence[str], catalog: Catalog) -> Page:
    """`Page n (Total results: N)`, `< Prev` after page 1, `Next >` while more remain, then
    asin, title and price tag of each product on the page."""
    parts = _head(instruction) + [f"Page {view.page_num} (Total results: {len(results)})"]
    buttons = ["Back to Search"]
    if view.page_num > 1:
        buttons.append("< Prev")
    if view.page_num < num_pages(len(results)):
        buttons.append("Next >")
    parts += buttons[1:]
    shown = results[(view.page_num - 1) * PER_PAGE: view.page_num * PER_PAGE]
    for asin in shown:
        product = catalog.by_asin[asin]
        parts += [asin, product.title, product.price_tag]
    return Page(SEP.join(parts), False, tuple(b.lower() for b in buttons), tuple(a.lower() for a in shown))


def item_page(instruction: str, view: View, catalog: Catalog) -> Page:
    product = catalog.by_asin[view.asin]
    parts = _head(instruction) + ["< Prev"]
    values: list[str] = []
    for kind, kind_values in product.options.items():
        parts += [kind, *kind_values]
        values += kind_values
    parts += [product.title, f"Price: {product.price_tag}", "Rating: N.A.",
              "Description", "Features", "Reviews", "Buy Now"]
    buttons = ("back to search", "< prev", "description", "features", "reviews", "buy now")
    return Page(SEP.join(parts), False, buttons, (), tuple(v.lower() for v in values))


def sub_page(instruction: str, view: View, catalog: Catalog) -> Page:
    """Description (the text), Features (the bullet points) or Reviews (title, score, body each)."""
    product = catalog.by_asin[view.asin]
    if view.page == "description":
        body = [product.description]
    elif view.page == "features":
        body = list(product.bullets)
    else:
        body = [s for r in product.reviews for s in (r.title, f"{r.score} out of 5 stars", r.body)]
    return Page(SEP.join(_head(instruction) + ["< Prev"] + body), False, ("back to search", "< prev"))


def done_page(instruction: str, view: View) -> Page:
    chosen = ", ".join(f"{k}: {v}" for k, v in view.options) or "none"
    parts = ["Thank you for shopping with us!", "Instruction:", instruction, "Purchased", view.asin,
             "Options", chosen, "Your score (min 0.0, max 1.0)", f"{view.score:.4f}"]
    return Page(SEP.join(parts))


def render(instruction: str, view: View, results: Sequence[str], catalog: Catalog) -> Page:
    """The page the browser shows for `view`; `results` are the current query's hits."""
    if view.page == "search":
        return search_page(instruction)
    if view.page == "results":
        return results_page(instruction, view, results, catalog)
    if view.page == "item":
        return item_page(instruction, view, catalog)
    if view.page in SUB_PAGES:
        return sub_page(instruction, view, catalog)
    return done_page(instruction, view)
