import sys
from pathlib import Path

# Modules import `ansible_collections.aigateway.foundry...`; .collections links the repository there.
COLLECTIONS = str(Path(__file__).resolve().parents[2] / ".collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
