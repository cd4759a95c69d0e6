"""Held-out evaluation of a policy under the plain prompt (or a skill prompt), and its tables."""
