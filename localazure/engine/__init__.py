"""Generic ARM engine of the local Azure endpoint."""
