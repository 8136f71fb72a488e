"""Cold import of every Lambda handler against ``import boto3``, in the same run.

Each figure is the best wall time of ``repeat`` fresh interpreters (``python -c ...``, started and
waited for), so interpreter start-up is in every figure, boto3's too. A handler is imported the way
Lambda and the embedded runtime load it: ``functions/<name>/app.py`` with the layer and the
function's folder on ``sys.path``. The rounds are interleaved (boto3, then every handler, per
round) so a busy machine slows all of them alike. Target: every ``action_*`` handler at most 1.5 times
``import boto3``; tests/test_cold_import.py asserts what the handlers import, this measures it.

    python -m benchmarks.cold_import
"""

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "common"
REPEAT = 5
BOTO3 = "import boto3"


def handlers() -> list[str]:
    return sorted(path.parent.name for path in FUNCTIONS.glob("*/app.py"))


def _code(name: str) -> str:
    return f"import sys; sys.path[:0] = [{str(LAYER)!r}, {str(FUNCTIONS / name)!r}]; import app"


def _wall_ms(code: str, cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=cwd, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - began) * 1000


def run(repeat: int = REPEAT, names: list[str] | None = None) -> dict[str, Any]:
    """Best-of-``repeat`` wall times (ms) of ``import boto3`` and of each handler's cold import, and
    each handler's ratio to boto3; ``worst_action_ratio`` is the highest among ``action_*``."""
    names = names if names is not None else handlers()
    best = {name: float("inf") for name in [BOTO3, *names]}
    for _ in range(repeat):
        best[BOTO3] = min(best[BOTO3], _wall_ms(BOTO3, ROOT))
        for name in names:
            best[name] = min(best[name], _wall_ms(_code(name), FUNCTIONS / name))
    boto3_ms = best[BOTO3]
    figures = {name: {"ms": round(best[name], 1), "ratio": round(best[name] / boto3_ms, 2)} for name in names}
    actions = {name: figure["ratio"] for name, figure in figures.items() if name.startswith("action_")}
    worst = max(actions, key=lambda name: actions[name]) if actions else None
    return {
        "boto3_ms": round(boto3_ms, 1),
        "repeat": repeat,
        "handlers": figures,
        "worst_action": worst,
        "worst_action_ratio": actions[worst] if worst else None,
    }


def main() -> None:
    result = run()
    print(f"import boto3: {result['boto3_ms']} ms (best of {result['repeat']})")
    for name, figure in result["handlers"].items():
        print(f"  {name:>26}: {figure['ms']:7.1f} ms  {figure['ratio']:.2f}x")
    print(f"worst action handler: {result['worst_action']} {result['worst_action_ratio']}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
