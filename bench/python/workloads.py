"""The Python workloads measured beside PyFlink (scripts/compare-pyflink.sh): one script for
both engines, which differ only in their imports. Prints "records=N seconds=S" (the job's
wall time from building to its end).

  python workloads.py ENGINE WORKLOAD N     ENGINE: spate or pyflink
  WORKLOAD: map (a Python map UDF), sql_udf (SQL calling a Python scalar UDF),
            keyed_reduce (a keyed Python reduce over 100 keys)
"""

import sys
import time

engine, workload, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if engine == "pyflink":
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource
    from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
    from pyflink.table.udf import udf
else:
    from spate.common import Types, WatermarkStrategy
    from spate.datastream import StreamExecutionEnvironment
    from spate.datastream.connectors import NumberSequenceSource
    from spate.table import DataTypes, EnvironmentSettings, TableEnvironment
    from spate.table.udf import udf


def datastream(build):
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.set_python_executable(sys.executable)
    numbers = env.from_source(NumberSequenceSource(1, n), WatermarkStrategy.no_watermarks(),
                              "numbers")
    build(numbers).filter(lambda x: False).print()
    env.execute(workload)


def map_udf():
    datastream(lambda s: s.map(lambda x: x + 1, output_type=Types.LONG()))


def keyed_reduce():
    datastream(lambda s: s.map(lambda x: (x % 100, 1),
                               output_type=Types.TUPLE([Types.LONG(), Types.LONG()]))
               .key_by(lambda t: t[0], key_type=Types.LONG())
               .reduce(lambda a, b: (a[0], a[1] + b[1])))


def sql_udf():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    t_env.get_config().set("python.executable", sys.executable)
    t_env.create_temporary_function(
        "plus_one", udf(lambda x: x + 1, result_type=DataTypes.BIGINT()))
    t_env.execute_sql(f"""
        CREATE TABLE numbers (x BIGINT) WITH (
          'connector' = 'datagen', 'rows-per-second' = '1000000000', 'number-of-rows' = '{n}',
          'fields.x.kind' = 'sequence', 'fields.x.start' = '1', 'fields.x.end' = '{n}')""")
    t_env.execute_sql("CREATE TABLE sink_table (y BIGINT) WITH ('connector' = 'blackhole')")
    t_env.execute_sql("INSERT INTO sink_table SELECT plus_one(x) FROM numbers").wait()


start = time.perf_counter()
{"map": map_udf, "keyed_reduce": keyed_reduce, "sql_udf": sql_udf}[workload]()
print(f"records={n} seconds={time.perf_counter() - start:.3f}")
