"""The commands of docs/tutorial.md run as written (on the bundled data)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_tutorial_commands_run(tmp_path):
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S) if "hubplan serve" not in b]
    assert len(blocks) >= 5
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    state = ""
    for block in blocks:
        script = state + block.replace("out/", f"{tmp_path}/")
        res = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        assert res.returncode == 0, (block, res.stderr[-2000:])
        state += "".join(line + "\n" for line in block.splitlines() if re.match(r"^[A-Z]+=", line))
    assert (tmp_path / "hampshire" / "report.pdf").stat().st_size > 0
    assert (tmp_path / "compare" / "comparison_areas.csv").stat().st_size > 0
