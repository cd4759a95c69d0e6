"""Errors a user can fix: the CLI prints them as one line, never a traceback.

Also the one place that names the distribution (`pyproject.toml` `[project] name`), so every hint
to install an optional extra names the package that really provides it (README "Two commands").
"""

# The name on the package index. The import package and the `siri` command keep the name `siri`;
# `siri` on the index is an unrelated project, so a hint must never say `pip install siri[...]`.
DISTRIBUTION = "siri-rl"


class UserError(Exception):
    """Bad input (config key, path, option). The message says what is wrong and what is allowed."""


def install_hint(extra: str) -> str:
    """How to install the optional extra `extra` (a key of `[project.optional-dependencies]`),
    from the index and from a source checkout."""
    return f"pip install '{DISTRIBUTION}[{extra}]' (in a source checkout: pip install -e '.[{extra}]')"
