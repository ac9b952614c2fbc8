"""PyFlink's ``DataTypes``: SQL types, written as Flink SQL writes them."""

from __future__ import annotations

from typing import List, Optional


class DataType:
    def __init__(self, sql: str, nullable: bool = True) -> None:
        self._sql = sql
        self._nullable = nullable

    def not_null(self) -> "DataType":
        return DataType(self._sql, False)

    def nullable(self) -> "DataType":
        return DataType(self._sql, True)

    def sql(self) -> str:
        """The type as Flink SQL writes it: ``DECIMAL(10, 2) NOT NULL``."""
        return self._sql + ("" if self._nullable else " NOT NULL")

    def __repr__(self) -> str:
        return self.sql()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataType) and other.sql() == self.sql()

    def __hash__(self) -> int:
        return hash(self.sql())


class DataField:
    def __init__(self, name: str, data_type: DataType, description: Optional[str] = None) -> None:
        self.name = name
        self.data_type = data_type


class DataTypes:
    @staticmethod
    def BOOLEAN(nullable: bool = True) -> DataType:
        return DataType("BOOLEAN", nullable)

    @staticmethod
    def TINYINT(nullable: bool = True) -> DataType:
        return DataType("TINYINT", nullable)

    @staticmethod
    def SMALLINT(nullable: bool = True) -> DataType:
        return DataType("SMALLINT", nullable)

    @staticmethod
    def INT(nullable: bool = True) -> DataType:
        return DataType("INT", nullable)

    @staticmethod
    def BIGINT(nullable: bool = True) -> DataType:
        return DataType("BIGINT", nullable)

    @staticmethod
    def FLOAT(nullable: bool = True) -> DataType:
        return DataType("FLOAT", nullable)

    @staticmethod
    def DOUBLE(nullable: bool = True) -> DataType:
        return DataType("DOUBLE", nullable)

    @staticmethod
    def DECIMAL(precision: int = 10, scale: int = 0, nullable: bool = True) -> DataType:
        return DataType(f"DECIMAL({precision}, {scale})", nullable)

    @staticmethod
    def CHAR(length: int, nullable: bool = True) -> DataType:
        return DataType(f"CHAR({length})", nullable)

    @staticmethod
    def VARCHAR(length: int, nullable: bool = True) -> DataType:
        return DataType(f"VARCHAR({length})", nullable)

    @staticmethod
    def STRING(nullable: bool = True) -> DataType:
        return DataType("STRING", nullable)

    @staticmethod
    def BINARY(length: int, nullable: bool = True) -> DataType:
        return DataType(f"BINARY({length})", nullable)

    @staticmethod
    def VARBINARY(length: int, nullable: bool = True) -> DataType:
        return DataType(f"VARBINARY({length})", nullable)

    @staticmethod
    def BYTES(nullable: bool = True) -> DataType:
        return DataType("BYTES", nullable)

    @staticmethod
    def DATE(nullable: bool = True) -> DataType:
        return DataType("DATE", nullable)

    @staticmethod
    def TIME(precision: int = 0, nullable: bool = True) -> DataType:
        return DataType(f"TIME({precision})", nullable)

    @staticmethod
    def TIMESTAMP(precision: int = 6, nullable: bool = True) -> DataType:
        return DataType(f"TIMESTAMP({precision})", nullable)

    @staticmethod
    def TIMESTAMP_LTZ(precision: int = 6, nullable: bool = True) -> DataType:
        return DataType(f"TIMESTAMP_LTZ({precision})", nullable)

    @staticmethod
    def ARRAY(element_type: DataType, nullable: bool = True) -> DataType:
        return DataType(f"ARRAY<{element_type.sql()}>", nullable)

    @staticmethod
    def MAP(key_type: DataType, value_type: DataType, nullable: bool = True) -> DataType:
        return DataType(f"MAP<{key_type.sql()}, {value_type.sql()}>", nullable)

    @staticmethod
    def FIELD(name: str, data_type: DataType, description: Optional[str] = None) -> DataField:
        return DataField(name, data_type, description)

    @staticmethod
    def ROW(row_fields: Optional[List[DataField]] = None, nullable: bool = True) -> DataType:
        fields = ", ".join(f"`{f.name}` {f.data_type.sql()}" for f in row_fields or [])
        return DataType(f"ROW<{fields}>", nullable)


def type_sql(t: "DataType | str") -> str:
    """A DataType or a type string (``'BIGINT'``) as SQL."""
    if isinstance(t, DataType):
        return t.sql()
    if isinstance(t, str):
        return t
    raise TypeError(f"expected a DataType or a SQL type string, got {type(t).__name__}")
