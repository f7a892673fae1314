"""numpy code emitted from the SymPy derivations (do not edit by hand)."""
