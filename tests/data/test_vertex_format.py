"""Conversion of examples and chat transcripts into Vertex AI tuning JSONL."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.data import (
    Conversation,
    Example,
    InvalidRecordError,
    Message,
    PreferenceExample,
    conversation_from_messages,
    iter_examples,
    preference_record,
    supervised_record,
    validate_vertex_dataset,
    write_preference_jsonl,
    write_supervised_jsonl,
)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def user(*texts: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text} for text in texts]}


def model(*texts: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"text": text} for text in texts]}


class TestSupervisedRecord:
    @pytest.mark.parametrize(
        "item",
        [
            Example("What is AI?", "Software that learns."),
            ("What is AI?", "Software that learns."),
            {"prompt": "What is AI?", "completion": "Software that learns."},
            [
                {"role": "user", "text": "What is AI?"},
                {"role": "model", "text": "Software that learns."},
            ],
            Conversation(
                (Message("user", "What is AI?"), Message("model", "Software that learns."))
            ),
        ],
    )
    def test_every_kind_of_item_gives_the_same_line(self, item: object) -> None:
        assert supervised_record(item) == {
            "contents": [user("What is AI?"), model("Software that learns.")]
        }

    def test_a_system_instruction_is_added_where_the_item_has_none(self) -> None:
        line = supervised_record(("q", "a"), system_instruction="Answer briefly.")
        assert line == {
            "systemInstruction": {"parts": [{"text": "Answer briefly."}]},
            "contents": [user("q"), model("a")],
        }

    def test_a_transcript_keeps_its_own_system_messages(self) -> None:
        transcript = {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "System", "content": "Be kind."},
                {"role": "human", "content": "hi"},
                {"role": "assistant", "content": "hello"},
            ]
        }
        assert supervised_record(transcript, system_instruction="ignored") == {
            "systemInstruction": {"parts": [{"text": "Be brief.\n\nBe kind."}]},
            "contents": [user("hi"), model("hello")],
        }

    def test_a_system_key_is_the_transcripts_instruction(self) -> None:
        item = {"system": "Be brief.", "messages": [{"role": "user", "text": "q"}, ("model", "a")]}
        with pytest.raises(InvalidRecordError, match="message 2 must be an object"):
            supervised_record(item)
        item["messages"][1] = {"role": "model", "text": "a"}  # type: ignore[index]
        assert supervised_record(item)["systemInstruction"] == {"parts": [{"text": "Be brief."}]}

    def test_consecutive_messages_of_one_role_become_one_turn(self) -> None:
        messages = [
            {"role": "user", "text": "one"},
            {"role": "user", "text": "two"},
            {"role": "model", "text": "three"},
            {"role": "model", "text": "four"},
            {"role": "user", "text": "five"},
        ]
        assert supervised_record(messages)["contents"] == [
            user("one", "two"),
            model("three", "four"),
            user("five"),
        ]

    @pytest.mark.parametrize(
        ("item", "message"),
        [
            (("", "answer"), "input is empty"),
            (("question", "  "), "output is empty"),
            ([{"role": "user", "text": "q"}], "the conversation has no model message"),
            ([{"role": "bot", "text": "q"}], "message 1 has role 'bot'; use one of user, human"),
            ([{"text": "q"}], "message 1 has role None"),
            ([{"role": "user", "text": "q", "content": "q"}], "message 1 is given twice"),
            ([{"role": "user"}], "message 1 is missing"),
            (
                [{"role": "user", "text": "q"}, {"role": "system", "text": "late"}],
                "message 2 is a system message after the conversation began",
            ),
            ({"messages": "hello"}, "messages must be a list, got str"),
            ({"input": "q"}, "output is missing"),
        ],
    )
    def test_what_cannot_be_converted_is_explained(self, item: object, message: str) -> None:
        with pytest.raises(InvalidRecordError, match=message):
            supervised_record(item)


class TestPreferenceRecord:
    def test_a_prompt_and_two_answers(self) -> None:
        item = {"prompt": "A joke?", "chosen": "Knock knock.", "rejected": "No."}
        assert preference_record(item, system_instruction="Be funny.") == {
            "systemInstruction": {"parts": [{"text": "Be funny."}]},
            "contents": [user("A joke?")],
            "completions": [
                {"score": 1, "completion": model("Knock knock.")},
                {"score": 0, "completion": model("No.")},
            ],
        }

    def test_a_conversation_prompt_and_other_spellings(self) -> None:
        item = {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
            ],
            "preferred": "good",
            "dispreferred": "bad",
            "system": "Be brief.",
        }
        line = preference_record(item)
        assert line["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
        assert line["contents"] == [user("a"), model("b"), user("c")]
        assert [c["completion"]["parts"][0]["text"] for c in line["completions"]] == [
            "good",
            "bad",
        ]

    def test_a_preference_example_object(self) -> None:
        example = PreferenceExample(prompt="q", chosen="yes", rejected="no")
        assert preference_record(example)["contents"] == [user("q")]

    @pytest.mark.parametrize(
        ("item", "message"),
        [
            ({"prompt": "q", "chosen": "a"}, "rejected is missing"),
            ({"prompt": "q", "chosen": "a", "preferred": "b", "rejected": "c"}, "given twice"),
            ({"chosen": "a", "rejected": "b"}, "prompt is missing"),
            (
                {"messages": [{"role": "user", "text": "q"}, {"role": "model", "text": "a"}]}
                | {"chosen": "x", "rejected": "y"},
                "the prompt must end with a user message",
            ),
            ({"prompt": "q", "chosen": "", "rejected": "b"}, "chosen is empty"),
            ("just text", "expected a preference example"),
        ],
    )
    def test_what_cannot_be_converted_is_explained(self, item: object, message: str) -> None:
        with pytest.raises(InvalidRecordError, match=message):
            preference_record(item)


class TestWriters:
    def test_written_files_pass_validation(self, tmp_path: Path) -> None:
        source = tmp_path / "gemini.jsonl"
        source.write_text(
            '{"text_input": "q1", "output": "a1"}\n{"text_input": "q2", "output": "a2"}\n',
            encoding="utf-8",
        )
        count = write_supervised_jsonl(iter_examples(source), tmp_path / "vertex.jsonl")
        assert count == 2
        assert read_jsonl(tmp_path / "vertex.jsonl")[1] == {"contents": [user("q2"), model("a2")]}
        assert validate_vertex_dataset(tmp_path / "vertex.jsonl").valid == 2

        items = [{"prompt": f"q{n}", "chosen": "yes", "rejected": "no"} for n in range(3)]
        assert write_preference_jsonl(items, tmp_path / "prefs.jsonl") == 3
        report = validate_vertex_dataset(tmp_path / "prefs.jsonl", kind="preference")
        assert report.valid == 3

    def test_lines_are_compact_and_keep_non_ascii_text(self, tmp_path: Path) -> None:
        write_supervised_jsonl([("Grüße?", "日本")], tmp_path / "out.jsonl")
        assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == (
            '{"contents":[{"role":"user","parts":[{"text":"Grüße?"}]},'
            '{"role":"model","parts":[{"text":"日本"}]}]}\n'
        )

    def test_a_bad_item_is_located_and_nothing_is_written(self, tmp_path: Path) -> None:
        target = tmp_path / "out.jsonl"
        with pytest.raises(InvalidRecordError, match=r"^item 3: output is missing$"):
            write_supervised_jsonl([("a", "b"), ("c", "d"), {"input": "e"}], target)
        assert list(tmp_path.iterdir()) == []

    def test_object_storage_paths(self, tmp_path: Path) -> None:
        count = write_supervised_jsonl([("a", "b")], f"file://{tmp_path}/out/train.jsonl")
        assert count == 1
        assert read_jsonl(tmp_path / "out" / "train.jsonl") == [
            {"contents": [user("a"), model("b")]}
        ]

    def test_items_are_streamed(self, tmp_path: Path) -> None:
        def peak_for(count: int) -> int:
            def items() -> Iterator[tuple[str, str]]:
                for n in range(count):
                    yield f"question {n} " * 5, f"answer {n}"

            tracemalloc.start()
            try:
                write_supervised_jsonl(items(), tmp_path / f"{count}.jsonl")
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        small, large = peak_for(1_000), peak_for(10_000)
        assert large < small + 100 * 1024, (small, large)


def test_conversation_from_messages_accepts_message_objects() -> None:
    conversation = conversation_from_messages(
        [Message("user", "q"), {"role": "model", "content": "a"}], system_instruction="S"
    )
    assert conversation == Conversation((Message("user", "q"), Message("model", "a")), "S")
