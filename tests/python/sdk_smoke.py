"""Drives alikafka-emulator with Alibaba's official Python SDK (V3 signatures).

Usage: sdk_smoke.py HOST:PORT ACCESS_KEY_ID ACCESS_KEY_SECRET INSTANCE_ID
Prints one JSON document describing what the SDK saw; the Rust test asserts on it.
"""
import json
import sys

from alibabacloud_alikafka20181015 import models
from alibabacloud_alikafka20181015.client import Client
from alibabacloud_tea_openapi import models as open_api_models

REGION = "cn-hangzhou"


def error_of(call):
    """Runs call, expecting a service error; returns its code and HTTP status."""
    try:
        call()
    except Exception as exc:  # the SDK raises ClientException for 4xx
        return {"code": getattr(exc, "code", None), "status": getattr(exc, "status_code", None)}
    return {"code": None, "status": None}


def main():
    endpoint, ak, sk, instance = sys.argv[1:5]
    config = open_api_models.Config(
        access_key_id=ak,
        access_key_secret=sk,
        endpoint=endpoint,
        protocol="http",
        region_id=REGION,
    )
    client = Client(config)
    out = {}

    body = client.get_instance_list(models.GetInstanceListRequest(region_id=REGION)).body
    out["instances"] = [i.instance_id for i in body.instance_list.instance_vo]
    out["instance_status"] = [i.service_status for i in body.instance_list.instance_vo]
    out["request_id"] = body.request_id

    body = client.create_topic(models.CreateTopicRequest(
        instance_id=instance, region_id=REGION, topic="sdk-topic", remark="from the python sdk")).body
    out["create_topic"] = {"code": body.code, "success": body.success, "message": body.message}

    body = client.get_topic_list(models.GetTopicListRequest(instance_id=instance, region_id=REGION)).body
    out["topics"] = [[t.topic, t.remark, t.status, t.instance_id] for t in body.topic_list.topic_vo]
    out["total"] = body.total
    out["page_size"] = body.page_size

    body = client.get_topic_status(models.GetTopicStatusRequest(instance_id=instance, topic="sdk-topic")).body
    out["topic_status"] = {
        "total": body.topic_status.total_count,
        "partitions": len(body.topic_status.offset_table.offset_table),
    }

    client.create_consumer_group(models.CreateConsumerGroupRequest(
        instance_id=instance, region_id=REGION, consumer_id="sdk-group"))
    body = client.get_consumer_list(models.GetConsumerListRequest(instance_id=instance, region_id=REGION)).body
    out["groups"] = [g.consumer_id for g in body.consumer_list.consumer_vo]
    body = client.get_consumer_progress(models.GetConsumerProgressRequest(
        instance_id=instance, region_id=REGION, consumer_id="sdk-group")).body
    out["progress_diff"] = body.consumer_progress.total_diff

    out["duplicate_topic"] = error_of(lambda: client.create_topic(models.CreateTopicRequest(
        instance_id=instance, region_id=REGION, topic="sdk-topic", remark="again")))
    out["unknown_instance"] = error_of(lambda: client.get_topic_list(models.GetTopicListRequest(
        instance_id="alikafka_post-cn-nothere", region_id=REGION)))

    client.delete_consumer_group(models.DeleteConsumerGroupRequest(
        instance_id=instance, region_id=REGION, consumer_id="sdk-group"))
    client.delete_topic(models.DeleteTopicRequest(instance_id=instance, region_id=REGION, topic="sdk-topic"))
    body = client.get_topic_list(models.GetTopicListRequest(instance_id=instance, region_id=REGION)).body
    out["topics_after_delete"] = len(body.topic_list.topic_vo)

    bad = Client(open_api_models.Config(
        access_key_id=ak, access_key_secret="wrong-secret", endpoint=endpoint, protocol="http", region_id=REGION))
    out["wrong_secret"] = error_of(lambda: bad.get_instance_list(models.GetInstanceListRequest(region_id=REGION)))

    print(json.dumps(out))


if __name__ == "__main__":
    main()
