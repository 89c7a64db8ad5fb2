"""Shingles and their hashes: the numeric form every matcher works on."""
