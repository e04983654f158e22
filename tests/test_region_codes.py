"""ONS codes beside region names, as a user sees them in ``hubplan evaluate --format json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HUBPLAN = str(Path(sys.executable).with_name("hubplan"))


def run(*args: str) -> dict:
    done = subprocess.run([HUBPLAN, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_icb_and_sub_icb_codes_beside_names() -> None:
    base = ("evaluate", "--service", "thrombectomy", "--region", "NHS Hampshire and Isle of Wight Integrated Care Board",
            "--hubs", "SO166YD", "--format", "json")
    icb = run(*base, "--by", "icb")["regions"]
    # ONS: NHS Hampshire and Isle of Wight ICB is E54000042
    assert [(r["region"], r["region_code"]) for r in icb] == [
        ("NHS Hampshire and Isle of Wight Integrated Care Board", "E54000042")]
    sicbl = run(*base, "--by", "sicbl")["regions"]
    assert {r["region"]: r["region_code"] for r in sicbl} == {  # ONS sub-ICB location codes
        "NHS Hampshire and Isle of Wight ICB - 10R": "E38000137",
        "NHS Hampshire and Isle of Wight ICB - D9Y0V": "E38000253"}
    isdn = run(*base, "--by", "isdn")["regions"]
    assert [r["region_code"] for r in isdn] == [None]  # ISDNs have no ONS code
