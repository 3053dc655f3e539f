"""Names of the search methods (importable without loading any engine or torch)."""

#: ASE's global optimisers on the same potential and budget (:mod:`.ase_peer`)
ASE_PEERS = ("ase-bh", "ase-mh")
METHODS = ("learned", "bh", "fire", "cg", "adam", "gd", "loop-learned", "loop-fire", "loop-adam", *ASE_PEERS)
