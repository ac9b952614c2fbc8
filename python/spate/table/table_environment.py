"""PyFlink's ``TableEnvironment``: Flink SQL and the Table API on spate, jobs in this
process."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Union

from spate import _spate
from spate.table.expressions import literal_sql, quote
from spate.table.table import Table
from spate.table.table_result import TableResult
from spate.table.types import DataType
from spate.table.udf import UserDefinedScalarFunctionWrapper

if TYPE_CHECKING:
    from spate.datastream import StreamExecutionEnvironment


class EnvironmentSettings:
    """``EnvironmentSettings.in_streaming_mode()``; spate runs every job in streaming mode."""

    def __init__(self, configuration: Optional[Mapping[str, Any]] = None) -> None:
        self._configuration = dict(configuration or {})

    @staticmethod
    def in_streaming_mode() -> "EnvironmentSettings":
        return EnvironmentSettings()

    @staticmethod
    def in_batch_mode() -> "EnvironmentSettings":
        raise ValueError("not supported yet: batch mode (spate runs bounded input in streaming "
                         "mode: use EnvironmentSettings.in_streaming_mode())")

    @staticmethod
    def new_instance() -> "EnvironmentSettings.Builder":
        return EnvironmentSettings.Builder()

    def is_streaming_mode(self) -> bool:
        return True

    class Builder:
        def __init__(self) -> None:
            self._configuration: Dict[str, str] = {}

        def in_streaming_mode(self) -> "EnvironmentSettings.Builder":
            return self

        def in_batch_mode(self) -> "EnvironmentSettings.Builder":
            EnvironmentSettings.in_batch_mode()
            return self

        def use_blink_planner(self) -> "EnvironmentSettings.Builder":
            return self

        def with_configuration(self, configuration: Mapping[str, Any]) -> "EnvironmentSettings.Builder":
            self._configuration.update({str(k): str(v) for k, v in dict(configuration).items()})
            return self

        def build(self) -> "EnvironmentSettings":
            return EnvironmentSettings(self._configuration)


class Configuration:
    """Flink's keys and values (PyFlink's ``Configuration``), kept by the TableConfig."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle  # the environment's native half (no cycle back to it)

    def set_string(self, key: str, value: str) -> "Configuration":
        self._handle.set(key, str(value))
        return self

    def get_string(self, key: str, default_value: str) -> str:
        return self._handle.get(key, default_value)

    def set_integer(self, key: str, value: int) -> "Configuration":
        return self.set_string(key, str(int(value)))

    def set_boolean(self, key: str, value: bool) -> "Configuration":
        return self.set_string(key, "true" if value else "false")


class TableConfig:
    def __init__(self, handle: Any) -> None:
        self._configuration = Configuration(handle)

    def set(self, key: str, value: str) -> "TableConfig":
        self._configuration.set_string(key, value)
        return self

    def get(self, key: str, default_value: str) -> str:
        return self._configuration.get_string(key, default_value)

    def get_configuration(self) -> Configuration:
        return self._configuration

    def set_local_timezone(self, timezone_id: str) -> None:
        self.set("table.local-time-zone", timezone_id)


class StatementSet:
    """INSERTs run as one job (``EXECUTE STATEMENT SET``)."""

    def __init__(self, t_env: "TableEnvironment") -> None:
        self._t_env = t_env
        self._inserts: List[str] = []

    def add_insert_sql(self, stmt: str) -> "StatementSet":
        self._inserts.append(stmt.strip().rstrip(";"))
        return self

    def add_insert(self, target_path: str, table: Table, overwrite: bool = False) -> "StatementSet":
        if overwrite:
            raise ValueError("not supported yet: INSERT OVERWRITE")
        self._inserts.append(f"INSERT INTO {target_path} {table.get_sql()}")
        return self

    def execute(self) -> TableResult:
        if not self._inserts:
            raise ValueError("a statement set needs at least one INSERT")
        body = ";\n".join(self._inserts)
        self._inserts = []
        return self._t_env.execute_sql(f"EXECUTE STATEMENT SET BEGIN\n{body};\nEND")


class TableEnvironment:
    """``TableEnvironment.create(EnvironmentSettings.in_streaming_mode())``."""

    def __init__(self, configuration: Optional[Mapping[str, Any]] = None) -> None:
        options = [(str(k), str(v)) for k, v in (configuration or {}).items()]
        self._handle = _spate._TableEnvironment(options)
        self._config = TableConfig(self._handle)
        # Python functions used inline in Table API expressions: their SQL names here.
        self._inline: Dict[int, str] = {}
        self._inline_functions: List[UserDefinedScalarFunctionWrapper] = []

    @staticmethod
    def create(environment_settings: Union[EnvironmentSettings, Mapping[str, Any], None] = None
               ) -> "TableEnvironment":
        if isinstance(environment_settings, EnvironmentSettings):
            return TableEnvironment(environment_settings._configuration)
        return TableEnvironment(environment_settings)

    def get_config(self) -> TableConfig:
        return self._config

    def execute_sql(self, stmt: str) -> TableResult:
        """Runs one statement: DDL, SHOW, DESCRIBE, SET, EXPLAIN at once; an INSERT or a query
        starts a job and returns (``wait()``, ``collect()`` or ``print()`` the result)."""
        return TableResult(self._handle.execute_sql(stmt))

    def sql_query(self, query: str) -> Table:
        return Table(self, query)

    def from_path(self, path: str) -> Table:
        return Table(self, f"SELECT * FROM {path}")

    def from_elements(self, elements: Iterable[Any],
                      schema: Union[List[str], DataType, None] = None) -> Table:
        """A bounded table of the given rows (tuples, Rows or single values). ``schema`` names
        the columns (``['id', 'name']``) or is a ``DataTypes.ROW`` with names and types."""
        rows = [e if isinstance(e, (tuple, list)) else (e,) for e in elements]
        if not rows:
            raise ValueError("from_elements needs at least one row")
        width = len(rows[0])
        names: List[str]
        types: Optional[List[str]] = None
        if schema is None:
            names = [f"_{i + 1}" for i in range(width)]
        elif isinstance(schema, list):
            names = [str(n) for n in schema]
        elif isinstance(schema, DataType) and schema.sql().startswith("ROW<"):
            inner = schema.sql()[4:schema.sql().rindex(">")]
            parts = _split_fields(inner)
            names = [p.split(" ", 1)[0].strip("`") for p in parts]
            types = [p.split(" ", 1)[1] for p in parts]
        else:
            raise TypeError("schema: a list of names or DataTypes.ROW([...])")
        if any(len(r) != width for r in rows) or len(names) != width:
            raise ValueError("every row of from_elements needs as many values as the schema")

        def value(v: Any, i: int) -> str:
            text = literal_sql(v)
            return f"CAST({text} AS {types[i]})" if types else text

        values = ", ".join("(" + ", ".join(value(v, i) for i, v in enumerate(r)) + ")"
                           for r in rows)
        cols = ", ".join(quote(n) for n in names)
        return Table(self, f"SELECT * FROM (VALUES {values}) AS T({cols})")

    def create_temporary_view(self, view_path: str, table: Table) -> None:
        self.execute_sql(f"CREATE TEMPORARY VIEW {view_path} AS {table.get_sql()}")

    def create_temporary_function(self, path: str, function: UserDefinedScalarFunctionWrapper
                                  ) -> None:
        """Makes a Python function (``@udf``) callable from SQL as ``path``."""
        self._create_function(path, function, "TEMPORARY")

    def create_temporary_system_function(self, name: str,
                                         function: UserDefinedScalarFunctionWrapper) -> None:
        self._create_function(name, function, "TEMPORARY SYSTEM")

    def _create_function(self, name: str, function: Any, kind: str) -> None:
        if not isinstance(function, UserDefinedScalarFunctionWrapper):
            raise TypeError("expected a Python function made with @udf, got "
                            f"{type(function).__name__}")
        class_name = function._register()
        self.execute_sql(f"CREATE {kind} FUNCTION {name} AS '{class_name}'")

    def drop_temporary_function(self, path: str) -> bool:
        self.execute_sql(f"DROP TEMPORARY FUNCTION {path}")
        return True

    def drop_temporary_system_function(self, name: str) -> bool:
        self.execute_sql(f"DROP TEMPORARY SYSTEM FUNCTION {name}")
        return True

    def _function_name(self, function: UserDefinedScalarFunctionWrapper) -> str:
        """The SQL name of a Python function called inline in a Table API expression."""
        name = self._inline.get(id(function))
        if name is None:
            name = f"__python_{function._name}_{len(self._inline)}"
            self.create_temporary_system_function(quote(name), function)
            self._inline[id(function)] = name
            self._inline_functions.append(function)  # keeps its id() this function's
        return quote(name)

    def create_statement_set(self) -> StatementSet:
        return StatementSet(self)

    def list_tables(self) -> List[str]:
        return [r[0] for r in self.execute_sql("SHOW TABLES")._handle.table_rows()]

    def list_views(self) -> List[str]:
        return [r[0] for r in self.execute_sql("SHOW VIEWS")._handle.table_rows()]

    def list_user_defined_functions(self) -> List[str]:
        return [r[0] for r in self.execute_sql("SHOW USER FUNCTIONS")._handle.table_rows()]

    def explain_sql(self, stmt: str) -> str:
        return "\n".join(r[0] for r in self.execute_sql(f"EXPLAIN {stmt}")._handle.table_rows())


class StreamTableEnvironment(TableEnvironment):
    """``StreamTableEnvironment.create(env)``: the Table API with a StreamExecutionEnvironment's
    parallelism."""

    @staticmethod
    def create(stream_execution_environment: Optional["StreamExecutionEnvironment"] = None,
               environment_settings: Optional[EnvironmentSettings] = None
               ) -> "StreamTableEnvironment":
        config: Dict[str, str] = {}
        if environment_settings is not None:
            config.update(environment_settings._configuration)
        if stream_execution_environment is not None:
            config["parallelism.default"] = str(stream_execution_environment.get_parallelism())
        return StreamTableEnvironment(config)


def _split_fields(inner: str) -> List[str]:
    """Top-level fields of ``ROW<...>``'s inside (commas in nested types are kept)."""
    parts, depth, current = [], 0, ""
    for ch in inner:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts
