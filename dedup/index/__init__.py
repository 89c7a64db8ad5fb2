"""A persistent index of kept documents' signatures, so each new batch is checked against all earlier ones."""
