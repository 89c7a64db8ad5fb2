"""Writers: cleaned texts, reports, all written atomically."""
