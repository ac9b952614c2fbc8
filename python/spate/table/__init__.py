"""The Table API and SQL (PyFlink's ``pyflink.table``)."""

from spate.table.expressions import Expression
from spate.table.table import GroupedTable, GroupWindowedTable, Table, WindowGroupedTable
from spate.table.table_environment import (
    EnvironmentSettings,
    StatementSet,
    StreamTableEnvironment,
    TableConfig,
    TableEnvironment,
)
from spate.table.table_result import JobClient, ResultKind, TableResult
from spate.table.types import DataType, DataTypes
from spate.table.udf import FunctionContext, ScalarFunction, udf

__all__ = [
    "DataType",
    "DataTypes",
    "EnvironmentSettings",
    "Expression",
    "FunctionContext",
    "GroupWindowedTable",
    "GroupedTable",
    "JobClient",
    "ResultKind",
    "ScalarFunction",
    "StatementSet",
    "StreamTableEnvironment",
    "Table",
    "TableConfig",
    "TableEnvironment",
    "TableResult",
    "WindowGroupedTable",
    "udf",
]
