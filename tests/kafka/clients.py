"""Real Kafka clients (kafka-python, confluent-kafka) driven by the Rust tests against the
emulator's Kafka listener. One command per call; prints one JSON line with what happened.

  clients.py produce LIB BOOTSTRAP TOPIC COUNT [--codec C] [--prefix P]
  clients.py consume LIB BOOTSTRAP TOPIC GROUP COUNT [--commit] [--timeout S]
  clients.py members LIB BOOTSTRAP TOPIC GROUP      (join, report assignments as they change)
"""
import argparse
import json
import sys
import time


def produce(args):
    values = [f"{args.prefix}-{i}" for i in range(args.count)]
    if args.lib == "kafka-python":
        from kafka import KafkaProducer
        # The guide's producer settings: acks=all, retries, a bounded wait.
        producer = KafkaProducer(
            bootstrap_servers=args.bootstrap,
            acks="all",
            retries=5,
            compression_type=None if args.codec == "none" else args.codec,
            request_timeout_ms=10000,
            max_block_ms=10000,
        )
        futures = [producer.send(args.topic, key=v.encode(), value=v.encode()) for v in values]
        producer.flush(timeout=20)
        offsets = [f.get(timeout=10) for f in futures]
        producer.close()
        out = {"sent": len(offsets), "partitions": sorted({o.partition for o in offsets})}
    else:
        from confluent_kafka import Producer
        errors = []
        delivered = []
        producer = Producer({
            "bootstrap.servers": args.bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "compression.type": args.codec,
            "message.timeout.ms": 20000,
        })
        def on_delivery(err, msg):
            (errors if err else delivered).append(str(err) if err else msg.partition())
        for v in values:
            producer.produce(args.topic, key=v.encode(), value=v.encode(), on_delivery=on_delivery)
            producer.poll(0)
        left = producer.flush(30)
        out = {"sent": len(delivered), "errors": errors[:5], "left": left,
               "partitions": sorted(set(delivered))}
    print(json.dumps(out))


def consume(args):
    got = []
    deadline = time.time() + args.timeout
    if args.lib == "kafka-python":
        from kafka import KafkaConsumer, TopicPartition
        consumer = KafkaConsumer(
            args.topic,
            bootstrap_servers=args.bootstrap,
            group_id=args.group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            max_poll_records=args.count,
        )
        while len(got) < args.count and time.time() < deadline:
            batch = consumer.poll(timeout_ms=500, max_records=args.count - len(got))
            for records in batch.values():
                got.extend(r.value.decode() for r in records)
        if args.commit:
            consumer.commit()
        consumer.close()
    else:
        from confluent_kafka import Consumer
        consumer = Consumer({
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        })
        consumer.subscribe([args.topic])
        while len(got) < args.count and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                print(json.dumps({"error": str(msg.error())}))
                sys.exit(1)
            got.append(msg.value().decode())
            if args.commit:
                consumer.commit(message=msg, asynchronous=False)
        consumer.close()
    print(json.dumps({"received": len(got), "values": got}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("produce")
    p.add_argument("lib")
    p.add_argument("bootstrap")
    p.add_argument("topic")
    p.add_argument("count", type=int)
    p.add_argument("--codec", default="none")
    p.add_argument("--prefix", default="m")
    c = sub.add_parser("consume")
    c.add_argument("lib")
    c.add_argument("bootstrap")
    c.add_argument("topic")
    c.add_argument("group")
    c.add_argument("count", type=int)
    c.add_argument("--commit", action="store_true")
    c.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    {"produce": produce, "consume": consume}[args.command](args)


if __name__ == "__main__":
    main()
