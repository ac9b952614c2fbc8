"""Type hints for outputs (PyFlink's ``Types``).

spate keeps Python values as they are (pickled between processes and in
state), so a declared type documents the stream and is checked by nothing;
it is accepted so PyFlink code that passes ``output_type=`` runs unchanged.
"""

from __future__ import annotations


class TypeInformation:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeInformation) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class Types:
    @staticmethod
    def STRING() -> TypeInformation:
        return TypeInformation("STRING")

    @staticmethod
    def INT() -> TypeInformation:
        return TypeInformation("INT")

    @staticmethod
    def LONG() -> TypeInformation:
        return TypeInformation("LONG")

    @staticmethod
    def FLOAT() -> TypeInformation:
        return TypeInformation("FLOAT")

    @staticmethod
    def DOUBLE() -> TypeInformation:
        return TypeInformation("DOUBLE")

    @staticmethod
    def BOOLEAN() -> TypeInformation:
        return TypeInformation("BOOLEAN")

    @staticmethod
    def PICKLED_BYTE_ARRAY() -> TypeInformation:
        return TypeInformation("PICKLED_BYTE_ARRAY")

    @staticmethod
    def TUPLE(field_types: list[TypeInformation]) -> TypeInformation:
        return TypeInformation("TUPLE(" + ", ".join(map(repr, field_types)) + ")")

    @staticmethod
    def ROW(field_types: list[TypeInformation]) -> TypeInformation:
        return TypeInformation("ROW(" + ", ".join(map(repr, field_types)) + ")")
