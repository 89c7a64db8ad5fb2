"""Review what was removed: load a run's report with its texts, render it as HTML or terminal diffs."""
