"""Tables, billing arithmetic and data access for billbot."""
