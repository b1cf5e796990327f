"""`bandeau tcf decode | encode | validate`, as a user runs them (docs/tcf.md)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bandeau.cli import cli
from bandeau.tcf import decode, model_to_json

from .conftest import vector_params
from .test_codec import REJECT_ALL

DOC = (Path(__file__).parents[2] / "docs" / "tcf.md").read_text(encoding="utf-8")


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bandeau", "tcf", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("vector", vector_params("tcfVectors"))
def test_decode_then_encode_gives_the_model_back(vector: dict[str, Any]) -> None:
    """TCF-01 to TCF-06 through the command line: decode prints JSON that encode turns back
    into a string of the same model (test_vectors.py says when it is the very same string)."""
    runner = CliRunner()  # in process: 22 strings, no need for 44 interpreters
    decoded = runner.invoke(cli, ["tcf", "decode", vector["tcString"]])
    assert decoded.exit_code == 0, decoded.output
    data = json.loads(decoded.stdout)
    assert data == model_to_json(decode(vector["tcString"]))
    encoded = runner.invoke(cli, ["tcf", "encode", "--allow-invalid"], input=decoded.stdout)
    assert encoded.exit_code == 0, encoded.output
    assert decode(encoded.stdout.strip()) == decode(vector["tcString"])


def test_encode_reads_a_file_and_refuses_what_the_tcf_forbids(tmp_path: Path) -> None:
    """TCF-07: encode checks the rules unless told the string is a test string."""
    data = json.loads(run("decode", REJECT_ALL).stdout)
    model = tmp_path / "model.json"
    model.write_text(json.dumps(data))
    assert run("encode", str(model)).stdout.strip() == REJECT_ALL
    model.write_text(json.dumps({**data, "isServiceSpecific": False}))
    refused = run("encode", str(model))
    assert refused.returncode == 1 and refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert line.startswith("bandeau: error: TCF-07 isServiceSpecific: global scope")
    assert run("encode", "--allow-invalid", str(model)).stdout.startswith(
        "CQeEcwAQeEcwAPnAHBFRB4EA"
    )


def test_validate_names_each_broken_rule() -> None:
    """TCF-07: one line per rule broken, exit 1; a valid string says so, exit 0."""
    ok = run("validate", REJECT_ALL)
    assert ok.returncode == 0 and ok.stdout == "valid: no TCF rule broken\n"
    core = REJECT_ALL.split(".")[0]
    bad = run("validate", core)
    assert bad.returncode == 1
    assert bad.stdout == "TCF-05 vendorsDisclosed: the segment is mandatory in TCF 2.3\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("decode", "CQeEcw"), "", "created: the segment ends inside this field"),
        (("decode", "CQ%E"), "", "core: '%' is not a base64url character"),
        (("encode",), '{"cmpId": "999"}', 'cmpId: expected an integer, got "999"'),
        (("encode",), "{", "the model is not JSON"),
        (("encode",), "[]", "model: expected a JSON object"),
        (("validate", "AAAA"), "", "version: bandeau reads version 2 strings, not 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_one(
    args: tuple[str, ...], stdin: str, message: str
) -> None:
    r = run(*args, stdin=stdin)
    assert r.returncode == 1 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith(f"bandeau: error: {message}")


def test_the_examples_of_the_docs_are_true() -> None:
    """docs/tcf.md: the failing commands print what it shows; the JSON it shows is decode's."""
    examples = re.findall(r"^\$ (.+)\n(bandeau: error: .+)$", DOC, re.M)
    for command, output in examples:
        stdin = ""
        if " | " in command:  # echo 'JSON' | bandeau tcf encode
            echo, command = command.split(" | ")
            stdin = shlex.split(echo)[1]
        r = run(*shlex.split(command)[2:], stdin=stdin)
        assert r.stderr.strip() == output, command
    assert len(examples) == 2
    shown = json.loads(DOC.split("```json\n")[1].split("```")[0])
    printed = json.loads(run("decode", REJECT_ALL).stdout)
    assert shown == printed
