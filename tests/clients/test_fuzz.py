"""schemathesis against the embedded ember (ember-all, as ``make run`` starts it) and its OpenAPI document.

Every phase (examples, coverage, fuzzing, stateful through the document's links), every
operation, bounded in examples and time. The checks: no 5xx, every status documented, every
answer matching its documented schema — every 4xx is a Cinder fault, since that is what the
document says of them — and every schema-violating request refused. The run prints its counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.stack import EmbeddedStack

pytestmark = pytest.mark.clients

ST = str(Path(sys.executable).parent / "st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection")
MAX_EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "20"))
MAX_TIME_S = int(os.environ.get("EMBER_FUZZ_SECONDS", "240"))
SEED = os.environ.get("EMBER_FUZZ_SEED", "20261202")  # fixed, so that a CI failure can be replayed


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[EmbeddedStack]:
    # no quota: the fuzzer creates as many volumes, snapshots and types as it likes
    stack = EmbeddedStack(driver="file", quota_volumes=-1).start()
    yield stack
    stack.close()


@pytest.mark.timeout(MAX_TIME_S + 360)
def test_schemathesis_finds_nothing(fuzzed: EmbeddedStack, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    run = subprocess.run(
        [ST, "--config-file", str(CONFIG), "run", f"{fuzzed.endpoint}/openapi.json",
         "--header", "X-Auth-Token: fuzz:fuzz", "--checks", ",".join(CHECKS),
         "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(MAX_EXAMPLES),
         # one worker: with two threads hypothesis hits CPython 3.11.7's ast.parse race (a SystemError)
         "--max-time", str(MAX_TIME_S), "--seed", SEED, "--workers", "1", "--no-color",
         "--report", "json", "--report-json-path", str(report)],
        capture_output=True, text=True, timeout=MAX_TIME_S + 300, check=False, cwd=tmp_path)  # its cache too
    summary = json.loads(report.read_text()) if report.exists() else {}
    cases = summary.get("test_cases", {})
    operations = summary.get("operations", {})
    with capsys.disabled():
        print(f"\nschemathesis: {operations.get('tested')} of {operations.get('total')} operations, "
              f"{cases.get('generated')} cases, {cases.get('unique_failures')} unique failures, "
              f"{summary.get('running_time', 0):.0f} s (seed {SEED})")
    server_log = fuzzed.processes["ember-all"].log_tail(60) if "ember-all" in fuzzed.processes else ""
    assert run.returncode == 0, f"{run.stdout[-12000:]}\n{run.stderr[-3000:]}\n--- ember-all:\n{server_log}"
    assert operations.get("tested") == operations.get("total") and cases.get("generated", 0) > 0
