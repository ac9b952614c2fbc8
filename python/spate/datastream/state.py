"""Keyed state (PyFlink's ``pyflink.datastream.state``): descriptors and the states a
RuntimeContext gives, kept per key in the subtask's RocksDB and checkpointed."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Tuple

from spate.common.typeinfo import TypeInformation


class StateDescriptor:
    def __init__(self, name: str) -> None:
        if not name:
            raise ValueError("a state needs a name")
        self.name = name

    def get_name(self) -> str:
        return self.name


class ValueStateDescriptor(StateDescriptor):
    def __init__(self, name: str, value_type_info: Optional[TypeInformation] = None) -> None:
        super().__init__(name)


class ListStateDescriptor(StateDescriptor):
    def __init__(self, name: str, elem_type_info: Optional[TypeInformation] = None) -> None:
        super().__init__(name)


class MapStateDescriptor(StateDescriptor):
    def __init__(self, name: str, key_type_info: Optional[TypeInformation] = None,
                 value_type_info: Optional[TypeInformation] = None) -> None:
        super().__init__(name)


class ValueState:
    """One value per key; None when there is none."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def value(self) -> Any:
        return self._native.value()

    def update(self, value: Any) -> None:
        self._native.update(value)

    def clear(self) -> None:
        self._native.clear()


class ListState:
    def __init__(self, native: Any) -> None:
        self._native = native

    def get(self) -> List[Any]:
        return self._native.get()

    def add(self, value: Any) -> None:
        self._native.add(value)

    def add_all(self, values: Iterable[Any]) -> None:
        self._native.add_all(list(values))

    def update(self, values: Iterable[Any]) -> None:
        self._native.update(list(values))

    def clear(self) -> None:
        self._native.clear()


class MapState:
    def __init__(self, native: Any) -> None:
        self._native = native

    def get(self, key: Any) -> Any:
        return self._native.get(key)

    def put(self, key: Any, value: Any) -> None:
        self._native.put(key, value)

    def put_all(self, dict_value: dict) -> None:
        for k, v in dict_value.items():
            self._native.put(k, v)

    def remove(self, key: Any) -> None:
        self._native.remove(key)

    def contains(self, key: Any) -> bool:
        return self._native.contains(key)

    def items(self) -> List[Tuple[Any, Any]]:
        return self._native.items()

    def keys(self) -> List[Any]:
        return [k for k, _ in self._native.items()]

    def values(self) -> List[Any]:
        return [v for _, v in self._native.items()]

    def is_empty(self) -> bool:
        return self._native.is_empty()

    def clear(self) -> None:
        self._native.clear()

    def __iter__(self):
        return iter(self.keys())
