#!/usr/bin/env bash
# The Kafka listener's throughput: a release alikafka-emulator (state in a temporary SQLite
# file), one topic of 12 partitions made through the API, 100,000 small messages produced
# and consumed with confluent-kafka (librdkafka). Prints messages/s each way and the
# emulator's peak RSS. BENCH_KAFKA_N and BENCH_KAFKA_SIZE change the count and size;
# BENCH_EMULATOR runs another emulator binary (no build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
n="${BENCH_KAFKA_N:-100000}"
size="${BENCH_KAFKA_SIZE:-100}"
bash scripts/install-tools.sh >/dev/null
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
if [ -z "${BENCH_EMULATOR:-}" ]; then cargo build --release --locked --bin alikafka-emulator; fi
py="${ALIKAFKA_TOOLS_DIR:-$root/.tools}/venv/bin/python"
work="$(mktemp -d)"
emulator="${BENCH_EMULATOR:-$target_dir/release/alikafka-emulator}"
coproc EMU { exec "$emulator" --listen 127.0.0.1:0 --data "$work/state.db" --visibility-delay-ms 0 --qps 100 2>"$work/emulator.log"; }
pid=$EMU_PID
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
read -r first <&"${EMU[0]}"
read -r kafka <&"${EMU[0]}"
url="${first#alikafka-emulator listening on }"
bootstrap="${kafka##* }"
"$py" - "$url" <<'PY'
import sys
from alibabacloud_alikafka20181015 import models
from alibabacloud_alikafka20181015.client import Client
from alibabacloud_tea_openapi import models as om
c = Client(om.Config(access_key_id="emulator-demo-ak", access_key_secret="emulator-demo-sk",
                     endpoint=sys.argv[1].replace("http://", ""), protocol="http", region_id="cn-hangzhou"))
i = "alikafka_post-cn-emulator01"
c.create_topic(models.CreateTopicRequest(instance_id=i, region_id="cn-hangzhou", topic="bench", remark="bench"))
c.create_consumer_group(models.CreateConsumerGroupRequest(instance_id=i, region_id="cn-hangzhou", consumer_id="bench-readers"))
PY
rss_before="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
result="$("$py" benches/kafka/throughput.py "$bootstrap" bench bench-readers "$n" "$size")"
peak="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
db_kib="$(du -k "$work/state.db" | cut -f1)"
echo "$result"
"$py" - "$result" "$rss_before" "$peak" "$db_kib" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print()
print("| messages | size (B) | produce msg/s | consume msg/s | emulator RSS idle → peak (MiB) | SQLite file (MiB) |")
print("|---|---|---|---|---|---|")
print(f"| {r['messages']:,} | {r['size']} | {r['produce_per_s']:,} ({r['produce_s']} s) | {r['consume_per_s']:,} ({r['consume_s']} s, join included) | {int(sys.argv[2])/1024:.1f} → {int(sys.argv[3])/1024:.1f} | {int(sys.argv[4])/1024:.1f} |")
PY
