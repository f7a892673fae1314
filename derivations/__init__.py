"""SymPy derivations of convolutional-network gradients."""
