"""Names of the search methods (importable without loading any engine or torch)."""

METHODS = ("learned", "bh", "fire", "cg", "adam", "gd", "loop-learned", "loop-fire", "loop-adam")
