"""Engines run the pipeline over many documents: locally on all cores (later: on a cluster)."""
