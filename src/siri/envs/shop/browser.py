"""Action grammar and page transitions (docs/environments.md, "Shop", "Actions").

`search[query]` is accepted only on a page with a search bar and a non-empty query; `click[x]` only when
x (lower-cased, surrounding spaces dropped) is a clickable of the current page. Anything else is refused:
the view stays as it was, as in WebShop's text environment. Buying is left to the caller (it needs
the reward); a click on `buy now` moves to the `done` view.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Sequence

from siri.envs.shop.catalog import Catalog
from siri.envs.shop.pages import SUB_PAGES, Page, View, num_pages

_ACTION = re.compile(r"(search|click)\[(.*)\]", re.DOTALL)


def parse_action(text: str) -> tuple[str, str] | None:
    """('search'|'click', lower-cased argument) or None when `text` is neither form."""
    match = _ACTION.fullmatch(text.strip().lower())
    if match is None:
        return None
    return match.group(1), match.group(2).strip()


def _choose(view: View, value: str, catalog: Catalog) -> View:
    """Select option `value` on the open item, replacing that kind's earlier choice."""
    product = catalog.by_asin[view.asin]
    chosen = dict(view.options)
    for kind, values in product.options.items():
        for v in values:
            if v.lower() == value:
                chosen[kind] = v
                return replace(view, options=tuple((k, chosen[k]) for k in product.options if k in chosen))
    return view


def _click(view: View, label: str, page: Page, results: Sequence[str], catalog: Catalog) -> View:
    if label == "back to search":
        return View()
    if label == "next >":
        return replace(view, page_num=min(view.page_num + 1, num_pages(len(results))))
    if label == "< prev":
        if view.page == "results":
            return replace(view, page_num=max(1, view.page_num - 1))
        if view.page == "item":
            return replace(view, page="results", asin="", options=())
        return replace(view, page="item")
    if label in SUB_PAGES:
        return replace(view, page=label)
    if label == "buy now":
        return replace(view, page="done")
    if label in page.links:
        return replace(view, page="item", asin=label.upper(), options=())
    return _choose(view, label, catalog)


def apply(
    view: View,
    action: str,
    page: Page,
    search: Callable[[str], Sequence[str]],
    catalog: Catalog,
) -> View | None:
    """The view after `action` on `page`, or None when the action is refused (nothing changes)."""
    parsed = parse_action(action)
    if parsed is None:
        return None
    name, arg = parsed
    if name == "search":
        if not page.has_search_bar or not arg:
            return None
        return View(page="results", query=arg)
    if arg not in page.clickables:
        return None
    return _click(view, arg, page, search(view.query) if view.page == "results" else (), catalog)
