"""PrepareTuningDatasetOperator: unit behaviour and a real ``dag.test()`` run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from airflow_provider_tunedmodels.operators.dataset import PrepareTuningDatasetOperator
from tests.support.dag_runs import dags_folder, import_dag_file, task_states_and_tries, xcom_value

REPOSITORY = Path(__file__).resolve().parents[2]
SUPPORT_TICKETS = REPOSITORY / "example_dags" / "data" / "support_tickets.jsonl"


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


class TestOperator:
    def test_templated_fields(self) -> None:
        assert tuple(PrepareTuningDatasetOperator.template_fields) == (
            "source",
            "train_path",
            "eval_path",
            "seed",
        )

    def test_execute_returns_json_safe_statistics(self, tmp_path: Path) -> None:
        source = write_jsonl(
            tmp_path / "in.jsonl",
            [{"input": f"q{n}", "output": f"a{n}"} for n in range(30)] + [{"input": "x"}],
        )
        operator = PrepareTuningDatasetOperator(
            task_id="prepare",
            source=str(source),
            train_path=str(tmp_path / "train.jsonl"),
            eval_path=str(tmp_path / "eval.jsonl"),
            eval_fraction=0.2,
            drop_invalid=True,
            seed="s",
        )
        result = operator.execute(context={})  # type: ignore[arg-type]
        assert json.loads(json.dumps(result)) == result
        assert result["invalid"] == 1
        assert result["errors"] == [{"line": 31, "message": "output is missing"}]
        assert result["train_count"] + result["eval_count"] == 30
        assert result["seed"] == "s"
        assert result["train_path"] == str(tmp_path / "train.jsonl")

    def test_bad_data_fails_without_retrying(self, tmp_path: Path) -> None:
        from airflow_provider_tunedmodels._compat import AirflowFailException

        source = write_jsonl(tmp_path / "in.jsonl", [{"input": "q", "output": ""}])
        operator = PrepareTuningDatasetOperator(
            task_id="prepare",
            source=str(source),
            train_path=str(tmp_path / "train.jsonl"),
            eval_path=str(tmp_path / "eval.jsonl"),
        )
        with pytest.raises(AirflowFailException, match="line 1: output is empty"):
            operator.execute(context={})  # type: ignore[arg-type]
        assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl"]

    def test_eval_fraction_is_documented_as_approximate_and_behaves_so(
        self, tmp_path: Path
    ) -> None:
        doc = PrepareTuningDatasetOperator.__doc__ or ""
        assert "The share is approximate" in doc
        assert "sqrt(n * f * (1 - f))" in doc
        source = write_jsonl(
            tmp_path / "in.jsonl", [{"input": f"q{n}", "output": f"a{n}"} for n in range(400)]
        )
        counts = set()
        for seed in ("a", "b", "c"):
            operator = PrepareTuningDatasetOperator(
                task_id="prepare",
                source=str(source),
                train_path=str(tmp_path / f"train-{seed}.jsonl"),
                eval_path=str(tmp_path / f"eval-{seed}.jsonl"),
                eval_fraction=0.15,
                seed=seed,
            )
            counts.add(operator.execute(context={})["eval_count"])  # type: ignore[arg-type]
        # 400 * 0.15 = 60, standard deviation about 7.1: every count within 4 of them.
        assert all(60 - 29 <= count <= 60 + 29 for count in counts)

    def test_default_error_cap_matches_the_function(self) -> None:
        from airflow_provider_tunedmodels.data.prepare import DEFAULT_MAX_REPORTED_ERRORS

        operator = PrepareTuningDatasetOperator(
            task_id="prepare", source="in.jsonl", train_path="t.jsonl", eval_path="e.jsonl"
        )
        assert operator.max_reported_errors == DEFAULT_MAX_REPORTED_ERRORS

    def test_importing_the_module_does_not_load_the_data_package(self) -> None:
        code = (
            "import sys\n"
            "import airflow_provider_tunedmodels.operators.dataset\n"
            "print('\\n'.join(sorted(sys.modules)))\n"
        )
        completed = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        )
        loaded = set(completed.stdout.split())
        assert "airflow_provider_tunedmodels.operators.dataset" in loaded
        heavy = ("data", "models", "evaluation", "hooks")
        assert not {
            name
            for name in loaded
            if name.startswith(tuple(f"airflow_provider_tunedmodels.{part}" for part in heavy))
        }


DAG_SOURCE = '''
"""DAGs preparing tuning data, for the dataset operator's tests."""

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_tunedmodels.operators.dataset import PrepareTuningDatasetOperator

OUT = "{{ dag_run.conf['out'] }}/{{ ds }}"

with DAG("dataset_prepare_dag", schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as dag:

    @task
    def records():
        rows = [{"prompt": f"ticket {n}", "completion": f"label {n % 4}"} for n in range(40)]
        return rows + rows[:3] + [{"prompt": "no answer"}]

    from_upstream = PrepareTuningDatasetOperator(
        task_id="from_upstream",
        source=records(),
        train_path=OUT + "/upstream/train.jsonl",
        eval_path=OUT + "/upstream/eval.jsonl",
        eval_fraction=0.25,
        drop_invalid=True,
        seed="{{ ds }}",
    )
    from_uri = PrepareTuningDatasetOperator(
        task_id="from_uri",
        source="{{ dag_run.conf['tickets_uri'] }}",
        train_path="file://" + OUT + "/tickets/train.jsonl",
        eval_path="file://" + OUT + "/tickets/eval.jsonl",
        eval_fraction=0.2,
        drop_invalid=True,
    )

    @task
    def count_lines(prepared):
        from airflow.sdk import ObjectStoragePath

        return {
            split: len(ObjectStoragePath(prepared[split + "_path"]).read_text().splitlines())
            for split in ("train", "eval")
        }

    count_lines(from_uri.output)

with DAG("dataset_strict_dag", schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as strict_dag:
    PrepareTuningDatasetOperator(
        task_id="strict",
        source="{{ dag_run.conf['tickets_uri'] }}",
        train_path="{{ dag_run.conf['out'] }}/strict/train.jsonl",
        eval_path="{{ dag_run.conf['out'] }}/strict/eval.jsonl",
        retries=2,
    )
'''


@pytest.fixture
def dataset_dags(airflow_db: Path) -> Iterator[ModuleType]:
    """The DAG file above, written to the DAGs folder (``dag.test()`` parses it there)."""
    placed = dags_folder() / "tunedmodels_dataset_dags.py"
    placed.write_text(textwrap.dedent(DAG_SOURCE), encoding="utf-8")
    yield import_dag_file(placed, "tunedmodels_dataset_dags")
    placed.unlink()


def test_dag_prepares_upstream_records_and_a_file_uri(
    dataset_dags: ModuleType, tmp_path: Path
) -> None:
    import pendulum

    dag_run = dataset_dags.dag.test(
        logical_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        run_conf={"out": str(tmp_path), "tickets_uri": f"file://{SUPPORT_TICKETS}"},
    )
    assert str(dag_run.state) == "success", task_states_and_tries(dag_run)

    upstream = xcom_value(dag_run, "from_upstream")
    run_folder = tmp_path / "2025-01-01" / "upstream"
    assert upstream["source"] == "<in-memory records>"
    assert upstream["train_path"] == str(run_folder / "train.jsonl")
    assert upstream["seed"] == "2025-01-01"
    assert (upstream["rows_read"], upstream["invalid"], upstream["duplicates_removed"]) == (
        44,
        1,
        3,
    )
    assert upstream["errors"] == [{"line": 44, "message": "output is missing"}]
    assert upstream["train_count"] + upstream["eval_count"] == 40
    train_lines = (run_folder / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(train_lines) == upstream["train_count"]

    tickets = xcom_value(dag_run, "from_uri")
    assert tickets["source"] == f"file://{SUPPORT_TICKETS}"
    assert tickets["train_path"] == f"file://{tmp_path}/2025-01-01/tickets/train.jsonl"
    assert (tickets["invalid"], tickets["duplicates_removed"]) == (3, 5)
    assert xcom_value(dag_run, "count_lines") == {
        "train": tickets["train_count"],
        "eval": tickets["eval_count"],
    }


def test_invalid_rows_fail_the_task_once_and_write_nothing(
    dataset_dags: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dag_run = dataset_dags.strict_dag.test(
        run_conf={"out": str(tmp_path), "tickets_uri": str(SUPPORT_TICKETS)},
    )
    assert str(dag_run.state) == "failed"
    # AirflowFailException: no retry despite retries=2.
    assert task_states_and_tries(dag_run) == {"strict": ("failed", 1)}
    assert not (tmp_path / "strict" / "train.jsonl").exists()
    assert not (tmp_path / "strict" / "eval.jsonl").exists()
    captured = capsys.readouterr()
    task_output = captured.out + captured.err
    assert "3 of 398 records in" in task_output
    assert "line 366: output is missing" in task_output
