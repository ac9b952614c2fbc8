"""The PyFlink job spate replaces: sensor readings from Kafka, each sensor marked active in
Redis by a Python UDF, the readings with their status to a print sink.

The same script runs on spate with only its imports changed (../sensor_to_redis.py).
Settings come from the environment: KAFKA_BOOTSTRAP (127.0.0.1:9092), KAFKA_TOPIC (sensors),
REDIS_HOST (127.0.0.1), REDIS_PORT (6379), REDIS_DB (0), and BOUNDED=1 to stop at the topic's
end instead of running on.
"""

import os

import redis
from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf

REDIS_HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
REDIS_DB = int(os.environ.get("REDIS_DB", "0"))


@udf(result_type=DataTypes.STRING())
def write_to_redis(sensor_id, status):
    # One connection per call, as the original job does.
    r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    r.set(f"sensor_id_{sensor_id}", status)
    r.close()
    return status


def main():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    bounded = ", 'scan.bounded.mode' = 'latest-offset'" if os.environ.get("BOUNDED") else ""
    t_env.execute_sql(f"""
        CREATE TABLE sensor_readings (
            sensor_id INT,
            temperature DOUBLE,
            humidity DOUBLE,
            `timestamp` DOUBLE
        ) WITH (
            'connector' = 'kafka',
            'topic' = '{os.environ.get("KAFKA_TOPIC", "sensors")}',
            'properties.bootstrap.servers' = '{os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")}',
            'properties.group.id' = 'sensor-status',
            'scan.startup.mode' = 'earliest-offset',
            'format' = 'json'{bounded}
        )""")
    t_env.execute_sql("""
        CREATE TABLE sensor_status (
            sensor_id INT,
            status STRING,
            temperature DOUBLE,
            `timestamp` DOUBLE
        ) WITH ('connector' = 'print')""")
    t_env.create_temporary_function("write_to_redis", write_to_redis)
    t_env.execute_sql("""
        INSERT INTO sensor_status
        SELECT sensor_id, write_to_redis(sensor_id, 'CLUSTER_ACTIVE'), temperature, `timestamp`
        FROM sensor_readings""").wait()


if __name__ == "__main__":
    main()
