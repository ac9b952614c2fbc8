"""sensor_to_redis.py with one Redis connection per task instead of one per call: the UDF is
a ScalarFunction that connects in open() and closes in close(). Same settings."""

import os

import redis
from spate.table import DataTypes, EnvironmentSettings, TableEnvironment
from spate.table.udf import ScalarFunction, udf

REDIS_HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
REDIS_DB = int(os.environ.get("REDIS_DB", "0"))


class WriteToRedis(ScalarFunction):
    def open(self, function_context):
        self.redis = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)

    def eval(self, sensor_id, status):
        self.redis.set(f"sensor_id_{sensor_id}", status)
        return status

    def close(self):
        self.redis.close()


write_to_redis = udf(WriteToRedis(), result_type=DataTypes.STRING())


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
