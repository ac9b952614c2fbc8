"""PyFlink's ``KafkaSource`` and ``KafkaSink`` builders over spate's Kafka connector (record
values as str; offsets in checkpoints; a sink exactly once with transactions)."""

from __future__ import annotations

from enum import Enum
from typing import Dict, List, Optional

from spate.datastream.connectors import Sink, Source, option_value


class SimpleStringSchema:
    pass


class KafkaOffsetsInitializer:
    def __init__(self, mode: str) -> None:
        self._mode = mode

    @staticmethod
    def earliest() -> "KafkaOffsetsInitializer":
        return KafkaOffsetsInitializer("earliest-offset")

    @staticmethod
    def latest() -> "KafkaOffsetsInitializer":
        return KafkaOffsetsInitializer("latest-offset")

    @staticmethod
    def committed_offsets() -> "KafkaOffsetsInitializer":
        return KafkaOffsetsInitializer("group-offsets")


def _spec(servers: str, topic: str, options: Dict[str, str]) -> str:
    query = "&".join(f"{k}={option_value(v)}" for k, v in options.items())
    return f"kafka://{servers}/{topic}" + (f"?{query}" if query else "")


class KafkaSource(Source):
    class Builder:
        def __init__(self) -> None:
            self._servers: Optional[str] = None
            self._topics: List[str] = []
            self._options: Dict[str, str] = {}

        def set_bootstrap_servers(self, servers: str) -> "KafkaSource.Builder":
            self._servers = servers
            return self

        def set_topics(self, *topics: str) -> "KafkaSource.Builder":
            self._topics = list(topics)
            return self

        def set_group_id(self, group_id: str) -> "KafkaSource.Builder":
            self._options["properties.group.id"] = group_id
            return self

        def set_starting_offsets(self, init: KafkaOffsetsInitializer) -> "KafkaSource.Builder":
            self._options["scan.startup.mode"] = init._mode
            return self

        def set_bounded(self, init: KafkaOffsetsInitializer) -> "KafkaSource.Builder":
            if init._mode != "latest-offset":
                raise ValueError("not supported yet: bounded at other offsets than the latest")
            self._options["scan.bounded.mode"] = "latest-offset"
            return self

        def set_property(self, key: str, value: str) -> "KafkaSource.Builder":
            self._options[f"properties.{key}"] = value
            return self

        def set_value_only_deserializer(self, schema: SimpleStringSchema) -> "KafkaSource.Builder":
            if not isinstance(schema, SimpleStringSchema):
                raise ValueError("not supported yet: Kafka values other than SimpleStringSchema")
            return self

        def build(self) -> "KafkaSource":
            if not self._servers or not self._topics:
                raise ValueError("a KafkaSource needs bootstrap servers and topics")
            return KafkaSource(_spec(self._servers, ";".join(self._topics), self._options))

    @staticmethod
    def builder() -> "KafkaSource.Builder":
        return KafkaSource.Builder()


class DeliveryGuarantee(Enum):
    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"
    NONE = "none"


class KafkaRecordSerializationSchema:
    class Builder:
        def __init__(self) -> None:
            self._topic: Optional[str] = None

        def set_topic(self, topic: str) -> "KafkaRecordSerializationSchema.Builder":
            self._topic = topic
            return self

        def set_value_serialization_schema(
                self, schema: SimpleStringSchema) -> "KafkaRecordSerializationSchema.Builder":
            return self

        def build(self) -> "KafkaRecordSerializationSchema":
            if not self._topic:
                raise ValueError("a KafkaRecordSerializationSchema needs a topic")
            return KafkaRecordSerializationSchema(self._topic)

    def __init__(self, topic: str) -> None:
        self._topic = topic

    @staticmethod
    def builder() -> "KafkaRecordSerializationSchema.Builder":
        return KafkaRecordSerializationSchema.Builder()


class KafkaSink(Sink):
    class Builder:
        def __init__(self) -> None:
            self._servers: Optional[str] = None
            self._serializer: Optional[KafkaRecordSerializationSchema] = None
            self._options: Dict[str, str] = {}

        def set_bootstrap_servers(self, servers: str) -> "KafkaSink.Builder":
            self._servers = servers
            return self

        def set_record_serializer(self, s: KafkaRecordSerializationSchema) -> "KafkaSink.Builder":
            self._serializer = s
            return self

        def set_delivery_guarantee(self, g: DeliveryGuarantee) -> "KafkaSink.Builder":
            if g == DeliveryGuarantee.NONE:
                g = DeliveryGuarantee.AT_LEAST_ONCE
            self._options["sink.delivery-guarantee"] = g.value
            return self

        def set_transactional_id_prefix(self, prefix: str) -> "KafkaSink.Builder":
            self._options["sink.transactional-id-prefix"] = prefix
            return self

        def set_property(self, key: str, value: str) -> "KafkaSink.Builder":
            self._options[f"properties.{key}"] = value
            return self

        def build(self) -> "KafkaSink":
            if not self._servers or self._serializer is None:
                raise ValueError("a KafkaSink needs bootstrap servers and a record serializer")
            return KafkaSink(_spec(self._servers, self._serializer._topic, self._options))

    @staticmethod
    def builder() -> "KafkaSink.Builder":
        return KafkaSink.Builder()
