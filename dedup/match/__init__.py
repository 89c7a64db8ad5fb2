"""Find which units (blocks, sentences, documents) repeat which."""
