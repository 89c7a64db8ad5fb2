"""Decide what to cut: which copy of each repeat is kept, and the exact spans removed."""
