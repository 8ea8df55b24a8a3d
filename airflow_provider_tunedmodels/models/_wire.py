"""The base of every resource model: Google's proto3 JSON on the wire, Python names in code.

* Keys are camelCase on the wire; snake_case (and camelCase) are accepted on input.
* Fields left unset are omitted when serialising (proto3 omits defaults).
* Unknown fields are kept and written back, so a newer API never breaks a DAG.
* Enums are written as names and read from names or numbers; an unknown name is
  kept as a plain string rather than rejected.
* int64 values are written as JSON strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.alias_generators import to_camel

__all__ = ["INT64_MARKER", "Int64", "WireEnum", "WireModel", "enum_field"]

E = TypeVar("E", bound=Enum)


class WireEnum(str, Enum):
    """An API enum: prints as its wire name (``ACTIVE``), not as ``State.ACTIVE``."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class WireModel(BaseModel):
    """Base class of the API's messages."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="allow",
        use_enum_values=False,
        ser_json_inf_nan="strings",
    )

    @model_serializer(mode="wrap")
    def _camel_case_extras(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        data = handler(self)
        if info.by_alias and isinstance(data, dict) and self.__pydantic_extra__:
            for key in list(self.__pydantic_extra__):
                if key in data and "_" in key:
                    data[to_camel(key)] = data.pop(key)
        return data

    def to_wire(self) -> dict[str, Any]:
        """The JSON object to send: camelCase keys, unset fields omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @classmethod
    def from_wire(cls, data: Any) -> Any:
        """Parse an API answer (a dict) into this model."""
        return cls.model_validate(data if data is not None else {})


def _enum_coercer(enum: type[E], numbers: Mapping[int, E] | None) -> Callable[[Any], Any]:
    if numbers is None:
        numbers = {index: member for index, member in enumerate(enum)}

    def coerce(value: Any) -> Any:
        if isinstance(value, enum) or value is None:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return numbers.get(value, str(value))
        if isinstance(value, str):
            if value.isdigit():
                return numbers.get(int(value), value)
            try:
                return enum[value]
            except KeyError:
                return value
        return value

    return coerce


def _enum_name(value: Any) -> Any:
    return value.name if isinstance(value, Enum) else value


def enum_field(enum: type[E], numbers: Mapping[int, E] | None = None) -> Any:
    """An annotation for an enum field: names or numbers in, names out, unknown names kept.

    :param numbers: the proto number of each member, for enums whose numbers do not
        follow declaration order; without it the members must be declared in the
        order of their proto numbers (0, 1, 2, ...).
    """
    return Annotated[
        enum | str,
        BeforeValidator(_enum_coercer(enum, numbers)),
        PlainSerializer(_enum_name, return_type=str),
    ]


class _Int64Marker:
    """Marks an int64 field, so range checks know it is not an int32 (the default)."""

    def __repr__(self) -> str:
        return "INT64_MARKER"


INT64_MARKER = _Int64Marker()

#: An int64 field: read from numbers or strings, written as a string (proto3 JSON).
Int64 = Annotated[
    int, INT64_MARKER, PlainSerializer(lambda v: str(v), return_type=str, when_used="json")
]
