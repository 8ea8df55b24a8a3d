"""What the README tells a new user to run or paste works as it says."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

REPOSITORY = Path(__file__).resolve().parents[1]
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")


@pytest.mark.long
def test_the_development_example_selects_tests() -> None:
    examples = re.findall(r"^bash \.ci/test (\S.*?)\s+#", README, flags=re.MULTILINE)
    assert examples, "the README shows how to run a selection"
    for example in examples:
        collected = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", *shlex.split(example)],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            check=False,
        )
        assert re.search(r"^(\d+)(/\d+)? tests? collected", collected.stdout, re.MULTILINE), (
            example,
            collected.stdout[-500:],
        )


def test_the_install_section_claims_no_release() -> None:
    install = README.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "not published on PyPI yet" in install
    assert not re.search(r"pip install airflow-provider-tunedmodels\b", install)
    assert (
        (REPOSITORY / "LICENSE")
        .read_text()
        .startswith("\n                                 Apache License")
    )


def test_the_readme_says_connection_tests_must_be_enabled() -> None:
    assert "[core] test_connection = Enabled" in README


@pytest.mark.parametrize(
    "value",
    re.findall(r"^export AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT='(.*?)'$", README, re.MULTILINE),
)
def test_every_connection_example_is_accepted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    json.loads(value)
    monkeypatch.setenv("AIRFLOW_CONN_FROM_README", value)
    assert GeminiTunedModelsHook("from_readme").settings.root_url.startswith("http")
