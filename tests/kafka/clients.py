"""Real Kafka clients (kafka-python, confluent-kafka) driven by the Rust tests against the
emulator's Kafka listener. One command per call; prints one JSON line with what happened.

  clients.py produce LIB BOOTSTRAP TOPIC COUNT [--codec C] [--prefix P] [--age-ms MS]
  clients.py consume LIB BOOTSTRAP TOPIC GROUP COUNT [--commit] [--timeout S]
  clients.py share BOOTSTRAP TOPIC GROUP PARTITIONS  (two kafka-python consumers share a topic,
                                                     then one leaves and the other takes over)
  clients.py hold BOOTSTRAP TOPIC GROUP SECONDS      (a member of the group for a while)
Expected refusals are reported as {"error": ...} with exit code 0.
"""
import argparse
import json
import sys
import time


def sasl_settings(args):
    """--sasl MECHANISM:USER:PASSWORD as each library spells it (none: PLAINTEXT)."""
    if not args.sasl:
        return {}, {}
    mechanism, user, password = args.sasl.split(":", 2)
    kafka_python = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism,
                    "sasl_plain_username": user, "sasl_plain_password": password}
    confluent = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": mechanism,
                 "sasl.username": user, "sasl.password": password}
    return kafka_python, confluent


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
            max_block_ms=args.max_block_ms,
            **sasl_settings(args)[0],
        )
        try:
            # --age-ms: records stamped (CreateTime) that long ago, as a late producer does.
            stamp = int(time.time() * 1000) - args.age_ms if args.age_ms else None
            futures = [producer.send(args.topic, key=v.encode(), value=v.encode(), timestamp_ms=stamp)
                       for v in values]
            producer.flush(timeout=20)
            offsets = [f.get(timeout=10) for f in futures]
        except Exception as exc:  # an unknown topic: metadata never arrives
            print(json.dumps({"error": type(exc).__name__ + ": " + str(exc)}))
            producer.close(timeout=1)
            return
        producer.close()
        out = {"sent": len(offsets), "partitions": sorted({o.partition for o in offsets})}
    else:
        from confluent_kafka import Producer
        errors = []
        delivered = []
        producer = Producer({
            "bootstrap.servers": args.bootstrap,
            "acks": "all",
            "enable.idempotence": not args.no_idempotence,
            "compression.type": args.codec,
            "message.timeout.ms": args.message_timeout_ms,
            **sasl_settings(args)[1],
        })
        def on_delivery(err, msg):
            (errors if err else delivered).append(str(err) if err else msg.partition())
        for v in values:
            producer.produce(args.topic, key=v.encode(), value=v.encode(), on_delivery=on_delivery)
            producer.poll(0)
        try:
            left = producer.flush(30)
        except Exception as exc:  # a fatal refusal (e.g. no idempotent-write grant)
            print(json.dumps({"sent": len(delivered), "errors": [str(exc.__cause__ or exc)]}))
            return
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
            **sasl_settings(args)[0],
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
            **sasl_settings(args)[1],
        })
        consumer.subscribe([args.topic])
        while len(got) < args.count and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                print(json.dumps({"error": str(msg.error()), "received": len(got)}))
                consumer.close()
                return
            got.append(msg.value().decode())
            if args.commit:
                consumer.commit(message=msg, asynchronous=False)
        consumer.close()
    print(json.dumps({"received": len(got), "values": got}))


def share(args):
    """Two consumers of one group share the partitions; the second leaves; the first
    takes over all of them and reads what is produced next. Each consumer polls in a thread
    of its own, as two processes would."""
    import threading
    from kafka import KafkaConsumer, KafkaProducer

    everything = list(range(args.partitions))
    stop_second, stop_first = threading.Event(), threading.Event()
    got = []
    consumers = {}

    def run(name, stop, collect):
        c = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group,
                          client_id=name, auto_offset_reset="latest", session_timeout_ms=6000,
                          heartbeat_interval_ms=500, max_poll_interval_ms=10000)
        consumers[name] = c
        while not stop.is_set():
            for records in c.poll(timeout_ms=100).values():
                if collect:
                    got.extend(r.value.decode() for r in records)
        c.close()  # LeaveGroup

    def assigned(name):
        c = consumers.get(name)
        return sorted(tp.partition for tp in c.assignment()) if c else []

    threads = [threading.Thread(target=run, args=("first", stop_first, True)),
               threading.Thread(target=run, args=("second", stop_second, False))]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    shared = None
    while time.time() < deadline:
        a, b = assigned("first"), assigned("second")
        if a and b and sorted(a + b) == everything:
            shared = [a, b]
            break
        time.sleep(0.05)
    stop_second.set()
    threads[1].join()
    alone = []
    while time.time() < deadline:
        alone = assigned("first")
        if alone == everything:
            break
        time.sleep(0.05)
    producer = KafkaProducer(bootstrap_servers=args.bootstrap)
    for i in range(20):
        producer.send(args.topic, key=str(i).encode(), value=f"after-{i}".encode())
    producer.flush()
    producer.close()
    while len(got) < 20 and time.time() < deadline:
        time.sleep(0.05)
    stop_first.set()
    threads[0].join()
    print(json.dumps({"shared": shared, "alone": alone, "received_after": len(got)}))


def hold(args):
    """Stays a member of the group (polling) for a while, then leaves without a word
    (the process is usually killed before)."""
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group,
                             session_timeout_ms=6000, heartbeat_interval_ms=500)
    end = time.time() + args.seconds
    joined = False
    while time.time() < end:
        consumer.poll(timeout_ms=200)
        if not joined and consumer.assignment():
            joined = True
            print(json.dumps({"joined": True}), flush=True)
    print(json.dumps({"joined": joined}))


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
    p.add_argument("--max-block-ms", type=int, default=10000)
    p.add_argument("--age-ms", type=int, default=0)
    p.add_argument("--sasl", default="")
    p.add_argument("--no-idempotence", action="store_true")
    p.add_argument("--message-timeout-ms", type=int, default=20000)
    c = sub.add_parser("consume")
    c.add_argument("lib")
    c.add_argument("bootstrap")
    c.add_argument("topic")
    c.add_argument("group")
    c.add_argument("count", type=int)
    c.add_argument("--commit", action="store_true")
    c.add_argument("--timeout", type=float, default=30)
    c.add_argument("--sasl", default="")
    s = sub.add_parser("share")
    s.add_argument("bootstrap")
    s.add_argument("topic")
    s.add_argument("group")
    s.add_argument("partitions", type=int)
    h = sub.add_parser("hold")
    h.add_argument("bootstrap")
    h.add_argument("topic")
    h.add_argument("group")
    h.add_argument("seconds", type=float)
    args = parser.parse_args()
    {"produce": produce, "consume": consume, "share": share, "hold": hold}[args.command](args)


if __name__ == "__main__":
    main()
