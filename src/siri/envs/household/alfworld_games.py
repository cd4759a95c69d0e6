"""Find ALFWorld game files on disk and read what the adapter needs from them (docs/environments.md,
"Household" — Real adapter).

ALFWorld's data tree is `json_2.1.1/{train,valid_seen,valid_unseen}/<task dir>/trial_*/` with
`game.tw-pddl` and `traj_data.json` in each trial folder. ALFWorld calls the splits `train`,
`eval_in_distribution` (valid_seen) and `eval_out_of_distribution` (valid_unseen); ours are `train`,
`eval` and `unseen`. Like ALFWorld's own loader, games under a path naming `movable` or `Sliced` are
skipped (those task variants are not part of ALFWorld) and a game must say `"solvable": true`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from siri.envs.base import SPLITS, EnvError
from siri.envs.household.pddl_goals import task_type_from_goal
from siri.envs.household.scene import TASK_TYPES

GAME_FILE = "game.tw-pddl"
# our split -> ALFWorld folder names that hold it, first match wins
SPLIT_DIRS = {
    "train": ("train",),
    "eval": ("valid_seen", "eval_in_distribution"),
    "unseen": ("valid_unseen", "eval_out_of_distribution"),
}
# ALFWorld's split names, accepted as aliases of ours
SPLIT_ALIASES = {
    "eval_in_distribution": "eval",
    "eval_out_of_distribution": "unseen",
    "valid_seen": "eval",
    "valid_unseen": "unseen",
}


def our_split(split: str) -> str:
    """Our split name for `split`, which may also be one of ALFWorld's names."""
    name = SPLIT_ALIASES.get(split, split)
    if name not in SPLITS:
        allowed = ", ".join(list(SPLITS) + list(SPLIT_ALIASES))
        raise EnvError(f"unknown split {split!r}; allowed: {allowed}")
    return name


def _split_root(root: Path, split: str) -> Path:
    """`root/<split dir>` (also under `root/json_2.1.1`) when it exists, else `root` itself."""
    for base in (root, root / "json_2.1.1"):
        for name in SPLIT_DIRS[split]:
            if (base / name).is_dir():
                return base / name
    return root


def _skipped(relative: Path) -> bool:
    """ALFWorld skips these task variants; only the part below the searched folder counts."""
    return "movable" in str(relative) or "Sliced" in str(relative)


def game_file_sources(sources: object) -> list[str | os.PathLike]:
    """`game_files` as a list of paths (one path is a list of one); anything else is an EnvError."""
    if isinstance(sources, (str, os.PathLike)):
        return [sources]
    try:
        listed = list(sources)  # type: ignore[call-overload]
    except TypeError:
        listed = [None]
    if not all(isinstance(s, (str, os.PathLike)) for s in listed):
        raise EnvError(f"game_files must be a path or a list of paths, got {sources!r:.80}")
    return listed


def find_game_files(sources: str | os.PathLike | Iterable[str | os.PathLike], split: str) -> list[Path]:
    """Every usable game file under `sources` (files or directories) for `split`, sorted."""
    sources = game_file_sources(sources)
    found: set[Path] = set()
    for source in sources:
        path = Path(source).expanduser()
        if path.is_file():
            if not path.name.endswith(".tw-pddl"):
                raise EnvError(f"{path} is not an ALFWorld game file; expected a *.tw-pddl file or a folder")
            found.add(path)
        elif path.is_dir():
            base = _split_root(path, split)
            found.update(p for p in base.rglob(GAME_FILE) if not _skipped(p.relative_to(base)))
        else:
            raise EnvError(f"no such ALFWorld game file or folder: {path}")
    if not found:
        raise EnvError(f"no {GAME_FILE} files for split {split!r} under {', '.join(map(str, sources))}")
    return sorted(found)


def load_game_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EnvError(f"cannot read ALFWorld game file {path}: {exc}") from exc
    if not isinstance(data, dict) or not {"pddl_domain", "grammar", "pddl_problem"} <= set(data):
        raise EnvError(f"{path} lacks pddl_domain / grammar / pddl_problem: not an ALFWorld game file")
    return data


def task_type_of(path: Path, game: dict) -> str:
    """From `traj_data.json` next to the game, else the task folder's name, else the PDDL goal."""
    traj = path.parent / "traj_data.json"
    if traj.is_file():
        try:
            task_type = json.loads(traj.read_text()).get("task_type")
        except (OSError, ValueError, AttributeError):
            task_type = None
        if task_type in TASK_TYPES:
            return task_type
    for folder in (path.parent.name, path.parent.parent.name):
        prefix = folder.split("-", 1)[0]
        if prefix in TASK_TYPES:
            return prefix
    return task_type_from_goal(game["pddl_problem"])


def default_data_path() -> Path | None:
    """`$ALFWORLD_DATA/json_2.1.1` (ALFWorld's own default) when the variable is set."""
    root = os.environ.get("ALFWORLD_DATA")
    return Path(root).expanduser() / "json_2.1.1" if root else None
