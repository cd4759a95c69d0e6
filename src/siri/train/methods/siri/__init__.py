"""SIRI (docs/algorithms.md §4): GiGPO warm-up, self-skill mining with paired validation, and
advantage-weighted internalization of the skill-guided tokens into the plain policy."""
