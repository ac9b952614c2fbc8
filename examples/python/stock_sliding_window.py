"""The managed Flink guide's Python sliding-window example on spate: the lowest price per
ticker in 10-second event-time windows every 5 seconds, with the Table API in its string form
and a Python function formatting each window's end.

The guide reads and writes Kinesis streams; here the same tables read a JSON-lines file and
write JSON-lines part files (spate has no Kinesis connector). Settings from the environment:
INPUT_PATH (a file of {"event_time", "ticker", "price"} lines, as `spate local
produce_stock_prices --output file:PATH` writes them) and OUTPUT_PATH (a directory).
"""

import os

from spate.table import DataTypes, EnvironmentSettings, TableEnvironment
from spate.table.udf import udf
from spate.table.window import Slide

table_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
input_table_name = "input_table"
output_table_name = "output_table"


def create_input_table(table_name, path):
    return f"""
        CREATE TABLE {table_name} (
            ticker VARCHAR(6),
            price DOUBLE,
            event_time TIMESTAMP(3),
            WATERMARK FOR event_time AS event_time - INTERVAL '5' SECOND
        ) WITH (
            'connector' = 'filesystem',
            'path' = '{path}',
            'format' = 'json',
            'json.timestamp-format.standard' = 'ISO-8601'
        )"""


def create_output_table(table_name, path):
    return f"""
        CREATE TABLE {table_name} (
            ticker VARCHAR(6),
            price DOUBLE,
            event_time VARCHAR(64)
        ) WITH (
            'connector' = 'filesystem',
            'path' = '{path}',
            'format' = 'json'
        )"""


def perform_sliding_window_aggregation(input_table_name):
    input_table = table_env.from_path(input_table_name)
    return (
        input_table.window(
            Slide.over("10.seconds").every("5.seconds").on("event_time").alias("ten_second_window"))
        .group_by("ticker, ten_second_window")
        .select("ticker, price.min as price, to_string(ten_second_window.end) as event_time")
    )


@udf(input_types=[DataTypes.TIMESTAMP(3)], result_type=DataTypes.STRING())
def to_string(i):
    return str(i)


table_env.create_temporary_system_function("to_string", to_string)


def main():
    table_env.execute_sql(create_input_table(input_table_name, os.environ["INPUT_PATH"]))
    table_env.execute_sql(create_output_table(output_table_name, os.environ["OUTPUT_PATH"]))
    sliding_window_table = perform_sliding_window_aggregation(input_table_name)
    table_env.create_temporary_view("sliding_window_table", sliding_window_table)
    table_result = table_env.execute_sql(
        f"INSERT INTO {output_table_name} SELECT * FROM sliding_window_table")
    print(table_result.get_job_client().get_job_status())
    table_result.wait()


if __name__ == "__main__":
    main()
