package spate.bench.flink;

import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A Kafka topic copied to a Kafka topic exactly once, as spate's {@code kafka_replicate} job:
 * every record value of --input (a topic, read from its earliest offsets up to the end offsets
 * it had when the job started) written to --output-topic by a transactional sink that commits
 * on checkpoints.
 */
final class Kafka {
  private Kafka() {}

  static void replicate(StreamExecutionEnvironment env, Main.Options o) {
    KafkaSource<String> source =
        KafkaSource.<String>builder()
            .setBootstrapServers(o.bootstrap)
            .setTopics(o.input)
            .setGroupId("compare-flink")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setBounded(OffsetsInitializer.latest())
            .setValueOnlyDeserializer(new SimpleStringSchema())
            .build();
    DataStream<String> lines =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "Kafka " + o.input);
    Properties producer = new Properties();
    // Below the broker's transaction.max.timeout.ms (15 minutes by default).
    producer.setProperty("transaction.timeout.ms", "600000");
    KafkaSink<String> sink =
        KafkaSink.<String>builder()
            .setBootstrapServers(o.bootstrap)
            .setKafkaProducerConfig(producer)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.builder()
                    .setTopic(o.outputTopic)
                    .setValueSerializationSchema(new SimpleStringSchema())
                    .build())
            .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .setTransactionalIdPrefix("compare-flink-" + o.outputTopic)
            .build();
    lines.sinkTo(sink).name("Kafka " + o.outputTopic);
  }
}
