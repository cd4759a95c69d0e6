"""GRPO and GiGPO (docs/algorithms.md §1, §2): the advantage methods every other method builds on."""
