"""Run every benchmark (``make bench``): each ``bench_*.py`` module's ``main()``.

Figures are printed, never asserted: these machines are shared and noisy.
``python benchmarks/run.py core`` runs only ``bench_core.py``.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    print(f"hubplan benchmarks on {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        assert spec and spec.loader
        sys.modules[path.stem] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        print(f"\n=== {path.name} ===", flush=True)
        start = time.perf_counter()
        module.main()
        print(f"({path.name} took {time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
