"""The Foundry project data plane: agents, threads, runs (plane.py, runs.py)."""
