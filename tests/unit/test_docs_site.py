"""docs/build (make docs) fails on a broken cross-reference: a copy of the collection whose module docs name a module
that does not exist is refused before any HTML is written."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.skipif(not (BIN / "antsibull-docs").exists(), reason="antsibull-docs (requirements-dev.txt) missing")
def test_a_broken_module_reference_fails_the_docs_build(tmp_path):
    copy = tmp_path / "foundry"
    for name in ("galaxy.yml", "README.md"):
        shutil.copy(ROOT / name, copy / name if copy.exists() else (copy.mkdir() or copy / name))
    for name in ("plugins", "meta", "roles", "docs"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    module = copy / "plugins" / "modules" / "await_job.py"
    text = module.read_text()
    module.write_text(text.replace("  - Looking at the job reads", "  - See M(aigateway.foundry.no_such_module).\n"
                                   "  - Looking at the job reads", 1))
    proc = subprocess.run(["bash", str(copy / "docs" / "build"), str(copy), str(tmp_path / "out")],
                          env={"PATH": "%s:/usr/bin:/bin" % BIN, "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0
    assert "no_such_module" in proc.stdout + proc.stderr
    assert not (tmp_path / "out" / "html").exists()
