"""Every bash block of docs/tutorial.md runs, in order, from a copy of the repository root."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from environment import bare_environment

from lopt_lammps.references import references_fingerprint

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_tutorial_runs(tmp_path):
    text = (ROOT / "docs" / "tutorial.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    for item in ("Snakefile", "workflows"):
        source = ROOT / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / item)
    env_path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    script = "set -euo pipefail\n" + "\n".join(blocks)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env=bare_environment(tmp_path, env_path, LOPT_LAMMPS_CACHE=str(tmp_path / "cache")))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Ag6Cu2" in done.stdout and "found by" in done.stdout
    report = (tmp_path / "tutorial" / "results" / "agcu" / "report.md").read_text()
    assert "Excess energy" in report and "Refinement rounds" in report
    assert "pyiron_base records: 9 jobs" in report  # 6 search chunks, 3 refinement chunks
    assert f"fingerprint {references_fingerprint()}" in report  # which best-known energies it used
