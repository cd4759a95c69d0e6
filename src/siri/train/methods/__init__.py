"""Training methods: one subpackage each (`rl`, `siri`, `distill`), found by name in `registry`.

This package imports nothing heavy: the registry loads a method's modules when its name is used.
"""
