"""The code stays easy to read (issue 7, STYLE): every function in src/ fits on a screen, or
says beside it why it does not."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "bandeau"
MAX_LINES = 60
REASON = "# long:"  # in the comment just above the `def` (or on it), followed by the reason


def long_functions(root: Path) -> list[str]:
    """`file:line name (N lines)` of each function over MAX_LINES without a reason beside it
    (decorators count: they are part of what a reader has to take in)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_LINES and REASON not in comment_above(lines, first) + lines[first - 1]:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def comment_above(lines: list[str], first: int) -> str:
    """The comment lines right above line `first` (1-based), joined."""
    above = first - 2
    while above >= 0 and lines[above].strip().startswith("#"):
        above -= 1
    return "\n".join(lines[above + 1 : first - 1])


def test_every_function_fits_on_a_screen() -> None:
    assert long_functions(SRC) == []


def test_a_long_function_is_found_unless_it_says_why(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "a.py").write_text(f"def short():\n    pass\n\n\ndef too_long():\n{body}\n")
    (tmp_path / "b.py").write_text(
        f"# long: one table,\n# read top to bottom\ndef table():\n{body}\n"
    )
    (tmp_path / "c.py").write_text(f"# long: not beside it\n\ndef other():\n{body}\n")
    assert long_functions(tmp_path) == [
        f"a.py:5 too_long ({MAX_LINES + 1} lines)",
        f"c.py:3 other ({MAX_LINES + 1} lines)",
    ]
