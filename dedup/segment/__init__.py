"""Normalise text and cut it into blocks (lines) and sentences."""
