"""The APIM gateway data plane: routing, keys and scopes (plane.py), the policy pipeline and its expressions, the
runtime counters (token windows, quotas, breakers, cache)."""
