"""Produce and consume N small messages through one emulated instance with confluent-kafka
(librdkafka). Prints one JSON line: messages per second each way.

  throughput.py BOOTSTRAP TOPIC GROUP N SIZE
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, topic, group, n, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
payload = b"x" * size

producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
failed = []
start = time.perf_counter()
for i in range(n):
    while True:
        try:
            producer.produce(topic, payload, key=str(i).encode(),
                             on_delivery=lambda err, _msg: err and failed.append(err))
            break
        except BufferError:  # local queue full: let deliveries drain
            producer.poll(0.05)
    if i % 1000 == 0:
        producer.poll(0)
left = producer.flush(120)
produce_s = time.perf_counter() - start
assert left == 0 and not failed, (left, failed[:3])

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "auto.offset.reset": "earliest", "enable.auto.commit": True})
consumer.subscribe([topic])
received = 0
start = time.perf_counter()
first = None
while received < n and time.perf_counter() - start < 300:
    for msg in consumer.consume(num_messages=10000, timeout=1.0):
        if msg.error():
            raise SystemExit(str(msg.error()))
        if first is None:
            first = time.perf_counter()
        received += 1
consume_s = time.perf_counter() - start
consumer.close()
assert received == n, received
print(json.dumps({
    "messages": n, "size": size,
    "produce_s": round(produce_s, 2), "produce_per_s": round(n / produce_s),
    "consume_s": round(consume_s, 2), "consume_per_s": round(n / consume_s),
    "consume_after_join_per_s": round(n / (time.perf_counter() - first)) if first else 0,
}))
