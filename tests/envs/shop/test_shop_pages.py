"""Page texts, clickables and transitions (docs/environments.md, "Shop", "Pages" and "Actions")."""

import pytest

from siri.envs import make_env, make_oracle
from siri.envs.base import EnvError
from siri.envs.shop import SEARCH_MARKER, ShopEnv

S = " [SEP] "


@pytest.fixture
def env():
    return ShopEnv(split="train")


def _seed_with_options(env, kinds=2):
    return next(s for s in range(100) if len(env.reset(s) and env.goal.goal_options) >= kinds)


def test_start_page(env):
    r = env.reset(0)
    assert r.observation == f"WebShop{S}Instruction:{S}{env.goal.instruction}{S}Search"
    assert r.anchor == r.observation and r.task == env.goal.instruction
    assert r.admissible_actions == (SEARCH_MARKER,)
    assert r.task_type == env.goal.category and r.task_score is None and r.reward == 0.0 and not r.done


def test_results_pages_and_paging(env):
    env.reset(0)
    r = env.step("search[Shampoo SULFATE free]")
    hits = env.world.index.search("shampoo sulfate free")
    assert len(hits) == 50
    first = [x for a in hits[:10] for x in (a, env.world.catalog.by_asin[a].title,
                                              env.world.catalog.by_asin[a].price_tag)]
    head = f"Instruction:{S}{env.goal.instruction}{S}Back to Search"
    assert r.observation == S.join([head, "Page 1 (Total results: 50)", "Next >", *first])
    assert r.admissible_actions == ("click[back to search]", "click[next >]",
                                    *(f"click[{a.lower()}]" for a in hits[:10]))
    r = env.step("click[next >]")
    assert r.observation.startswith(S.join([head, "Page 2 (Total results: 50)", "< Prev", "Next >", hits[10]]))
    for _ in range(3):
        r = env.step("click[next >]")
    assert r.observation.startswith(S.join([head, "Page 5 (Total results: 50)", "< Prev", hits[40]]))
    assert "click[next >]" not in r.admissible_actions
    same = env.step("click[next >]")
    assert same.observation == r.observation and same.info["valid"] is False
    r = env.step("click[< prev]")
    assert "Page 4 (Total results: 50)" in r.observation


def test_narrow_query_has_fewer_results_and_pages(env):
    """Only products holding a query word are hits (Lucene semantics), so a rare word gives < 50."""
    env.reset(0)
    hits = env.world.index.search("shampoo")
    n = sum("shampoo" in (p.title + p.description).lower() for p in env.world.catalog.products)
    assert len(hits) == n and 10 < n < 20
    env.step("search[shampoo]")
    last = env.step("click[next >]")
    assert f"Page 2 (Total results: {n}){S}< Prev{S}{hits[10]}" in last.observation
    assert last.admissible_actions[:2] == ("click[back to search]", "click[< prev]")
    assert len(last.admissible_actions) == 2 + n - 10
    empty = env.reset(0) and env.step("search[zebra]")
    assert empty.observation.endswith("Page 1 (Total results: 0)")
    assert empty.admissible_actions == ("click[back to search]",)


def test_item_page_options_subpages_and_back(env):
    seed = _seed_with_options(env)
    env.reset(seed)
    p = env.world.catalog.by_asin[env.goal.asin]
    env.step(f"search[{p.title}]")
    r = env.step(f"click[{p.asin.lower()}]")
    options = [x for k, vs in p.options.items() for x in (k, *vs)]
    assert r.observation == S.join([f"Instruction:{S}{env.goal.instruction}{S}Back to Search{S}< Prev", *options,
                                    p.title, f"Price: {p.price_tag}", "Rating: N.A.", "Description", "Features",
                                    "Reviews", "Buy Now"])
    values = [v for vs in p.options.values() for v in vs]
    assert r.admissible_actions == ("click[back to search]", "click[< prev]", "click[description]",
                                    "click[features]", "click[reviews]", "click[buy now]",
                                    *(f"click[{v}]" for v in values))
    kind, wanted = next(iter(env.goal.goal_options.items()))
    env.step(f"CLICK[{wanted.upper()}]")  # actions are lower-cased
    assert dict(env.view.options) == {kind: wanted}
    d = env.step("click[description]")
    assert d.observation.endswith(f"< Prev{S}{p.description}")
    assert d.admissible_actions == ("click[back to search]", "click[< prev]")
    f = env.step("click[< prev]") and env.step("click[features]")
    assert f.observation.endswith(S.join(["< Prev", *p.bullets]))
    env.step("click[< prev]")
    assert env.view.page == "item" and dict(env.view.options) == {kind: wanted}  # kept on sub-pages
    back = env.step("click[< prev]")
    assert back.observation.startswith(f"Instruction:{S}{env.goal.instruction}{S}Back to Search{S}Page 1")
    assert env.step("click[back to search]").observation == env.reset(seed).observation


def test_reviews_page_lists_title_score_body(env):
    env.reset(0)
    p = next(p for p in env.world.catalog.products if len(p.reviews) == 2)
    env.step(f"search[{p.title}]")
    env.step(f"click[{p.asin}]")
    r = env.step("click[reviews]")
    body = [x for rv in p.reviews for x in (rv.title, f"{rv.score} out of 5 stars", rv.body)]
    assert r.observation.endswith(S.join(["< Prev", *body]))


@pytest.mark.parametrize("action", ["click[search]", "click[buy now]", "search[]", "search[   ]", "clik[x]",
                                    "buy now", "", "click[next >", "search[a]b"])
def test_refused_actions_change_nothing_on_start(env, action):
    start = env.reset(3)
    r = env.step(action)
    assert (r.observation, r.reward, r.done, r.info["valid"]) == (start.observation, 0.0, False, False)


def test_search_refused_where_no_search_bar_and_unknown_clicks_refused(env):
    env.reset(3)
    results = env.step("search[mug]")
    for action in ("search[shampoo]", "click[buy now]", "click[description]", "click[b0zzzzzzzz]"):
        r = env.step(action)
        assert r.observation == results.observation and r.info["valid"] is False


def test_buying_target_without_options_scores_by_formula(env):
    seed = _seed_with_options(env, kinds=1)
    env.reset(seed)
    g = env.goal
    env.step(f"search[{g.name}]")
    env.step(f"click[{g.asin}]")
    r = env.step("click[buy now]")
    expected = (len(g.attributes) + 0 + 1) / (len(g.attributes) + len(g.goal_options) + 1)
    assert r.done and not r.won and r.reward == 0.0 and r.task_score == pytest.approx(expected)
    assert r.admissible_actions == ()
    again = env.step("click[buy now]")
    assert again.done and again.reward == 0.0 and again.task_score == r.task_score


def test_buying_target_with_goal_options_wins(env):
    env.reset(_seed_with_options(env))
    g = env.goal
    env.step(f"search[{g.name}]")
    env.step(f"click[{g.asin}]")
    for value in g.goal_options.values():
        env.step(f"click[{value}]")
    r = env.step("click[buy now]")
    assert (r.won, r.reward, r.task_score, r.done) == (True, 10.0, 1.0, True)
    assert r.observation.startswith("Thank you for shopping with us!")


def test_running_out_of_steps_ends_with_score_zero():
    env = ShopEnv(max_steps=3)
    env.reset(0)
    results = [env.step("look") for _ in range(3)]
    assert [r.done for r in results] == [False, False, True]
    assert results[-1].task_score == 0.0 and results[-1].reward == 0.0 and not results[-1].won


def test_bad_options_and_registry():
    with pytest.raises(EnvError, match="num_products"):
        ShopEnv(num_products=10)
    with pytest.raises(EnvError, match="max_steps"):
        ShopEnv(max_steps=0)
    with pytest.raises(EnvError, match="split"):
        ShopEnv(split="test")
    with pytest.raises(EnvError, match="reset"):
        ShopEnv().step("click[x]")
    env = make_env("shop", split="eval")
    r = env.reset(1)
    oracle = make_oracle(env)
    while not r.done:
        r = env.step(oracle.act(r))
    assert r.won


def test_envs_share_one_catalogue():
    assert ShopEnv().world is ShopEnv(split="unseen").world
