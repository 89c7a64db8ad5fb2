"""The work of one partition in each step of the distributed engine, as pure functions.

Ray Data (``dedup.engine.ray_engine``) only moves data between these steps; each function
here takes and returns plain columns (numpy arrays or pandas frames) and calls the same
code as the single-machine path, so it can be tested without a cluster. Group-bys use a
coarse bucket of the key (a few hundred per run) with numpy inside, never one Python call
per band key, node or component.
"""
