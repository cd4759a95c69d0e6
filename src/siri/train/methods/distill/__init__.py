"""Skill-SD and the baselines that share its machinery, OPD and OPSD (docs/algorithms.md §5)."""
