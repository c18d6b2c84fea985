import os
import sys
import tempfile
from pathlib import Path

# Modules import `ansible_collections.aigateway.foundry...`; .collections links the repository there.
COLLECTIONS = str(Path(__file__).resolve().parents[2] / ".collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# Modules keep Resource Manager tokens in the user's cache (plugins/module_utils/token_cache.py): the unit tests keep
# theirs in a directory of their own, never in the user's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="aigw-unit-cache-")
