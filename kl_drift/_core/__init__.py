"""The engine-free core: divergences and statistics on count vectors (numpy/scipy only)."""
