"""Small side-effecting helpers shared by every layer: atomic files, metrics, progress, errors, and
reading text files a user hands in (one-line errors)."""
