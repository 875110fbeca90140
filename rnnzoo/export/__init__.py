"""Export of a trained run: SavedModel and .keras (raw inputs in)."""
