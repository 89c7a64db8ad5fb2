"""Readers: turn files and streams into Documents, refusing bad input with a clear reason."""
