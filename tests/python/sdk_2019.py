"""Drives alikafka-emulator with Alibaba's official Python SDK for API version 2019-09-16.

Usage: sdk_2019.py HOST:PORT ACCESS_KEY_ID ACCESS_KEY_SECRET INSTANCE_ID
Every action of issues 13 and 14 (topic settings, tags, SASL users, ACLs, allowlists) goes
through the SDK's own request models and client. Prints one JSON document describing what
the SDK saw; the Rust test asserts on it. SASL passwords are never printed: only whether
the SDK read back the one it set.
"""
import json
import sys
import urllib.request

from alibabacloud_alikafka20190916 import models
from alibabacloud_alikafka20190916.client import Client
from alibabacloud_tea_openapi import models as open_api_models

REGION = "cn-hangzhou"
PASSWORD = "sdk-Password-2019"
NEW_PASSWORD = "sdk-Password-rotated"


def error_of(call):
    """Runs call, expecting a service error; returns its code and HTTP status."""
    try:
        call()
    except Exception as exc:  # the SDK raises for HTTP >= 400
        status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
        return {"code": getattr(exc, "code", None), "status": status}
    return {"code": None, "status": None}


def main():
    endpoint, ak, sk, instance = sys.argv[1:5]
    client = Client(open_api_models.Config(
        access_key_id=ak, access_key_secret=sk, endpoint=endpoint, protocol="http", region_id=REGION))
    out = {}
    base = {"instance_id": instance, "region_id": REGION}

    body = client.get_instance_list(models.GetInstanceListRequest(region_id=REGION)).body
    vo = body.instance_list.instance_vo[0]
    out["instance"] = {"id": vo.instance_id, "series": vo.series, "msg_retain": vo.msg_retain,
                       "topic_limit": vo.topic_num_limit, "view_status": vo.view_instance_status_code}

    # Topics: settings, replication and tags at creation; one setting changed after.
    client.create_topic(models.CreateTopicRequest(
        topic="sdk.orders", remark="sdk topic", partition_num="6", local_topic=True,
        replication_factor=2, min_insync_replicas=1,
        config=json.dumps({"retention.ms": "86400000", "message.timestamp.type": "LogAppendTime"}),
        tag=[models.CreateTopicRequestTag(key="team", value="payments"),
             models.CreateTopicRequestTag(key="cost", value="")],
        **base))
    client.create_topic(models.CreateTopicRequest(topic="sdk-cloud", remark="cloud topic", **base))
    client.update_topic_config(models.UpdateTopicConfigRequest(
        topic="sdk.orders", config="max.message.bytes", value="2097152", **base))
    out["cloud_config"] = error_of(lambda: client.update_topic_config(models.UpdateTopicConfigRequest(
        topic="sdk-cloud", config="retention.ms", value="86400000", **base)))
    out["unknown_key"] = error_of(lambda: client.update_topic_config(models.UpdateTopicConfigRequest(
        topic="sdk.orders", config="retention.hours", value="24", **base)))
    out["retention_too_short"] = error_of(lambda: client.update_topic_config(models.UpdateTopicConfigRequest(
        topic="sdk.orders", config="retention.ms", value="60000", **base)))
    body = client.get_topic_list(models.GetTopicListRequest(
        current_page="1", page_size="100", **base)).body
    out["topics"] = {t.topic: {
        "local": t.local_topic, "auto_create": t.auto_create, "config": json.loads(t.topic_config),
        "tags": {tag.key: tag.value for tag in t.tags.tag_vo}} for t in body.topic_list.topic_vo}
    out["topic_page"] = {"total": body.total, "page_size": body.page_size}

    # Groups with tags; subscriptions.
    client.create_consumer_group(models.CreateConsumerGroupRequest(
        consumer_id="sdk.billing", remark="bills",
        tag=[models.CreateConsumerGroupRequestTag(key="team", value="billing")], **base))
    body = client.get_consumer_list(models.GetConsumerListRequest(current_page=1, page_size=10, **base)).body
    out["groups"] = [{"id": g.consumer_id, "remark": g.remark, "auto": g.automatically_created_group,
                      "has_create_time": g.create_time is not None and g.create_time > 0,
                      "tags": {tag.key: tag.value for tag in g.tags.tag_vo}}
                     for g in body.consumer_list.consumer_vo]
    out["group_total"] = body.total
    # A committed offset (through the emulator's control API) makes the group a subscriber.
    urllib.request.urlopen(urllib.request.Request(
        "http://%s/_emulator/offsets" % endpoint, method="POST",
        headers={"content-type": "application/json"},
        data=json.dumps({"instance_id": instance, "consumer_id": "sdk.billing", "topic": "sdk.orders",
                         "partition": 0, "offset": 0}).encode())).read()
    body = client.get_topic_subscribe_status(models.GetTopicSubscribeStatusRequest(topic="sdk.orders", **base)).body
    out["subscribers"] = {"topic": body.topic_subscribe_status.topic,
                          "groups": body.topic_subscribe_status.consumer_groups}

    # Tags through the tag actions.
    topic_id = "Kafka_%s_sdk.orders" % instance
    group_id = "Kafka_%s_sdk.billing" % instance
    client.tag_resources(models.TagResourcesRequest(
        region_id=REGION, resource_type="topic", resource_id=[topic_id, "Kafka_%s_sdk-cloud" % instance],
        tag=[models.TagResourcesRequestTag(key="env", value="prod")]))
    client.untag_resources(models.UntagResourcesRequest(
        region_id=REGION, resource_type="TOPIC", resource_id=[topic_id], tag_key=["cost"]))
    body = client.list_tag_resources(models.ListTagResourcesRequest(
        region_id=REGION, resource_type="TOPIC", resource_id=[topic_id])).body
    out["topic_tags"] = sorted([t.resource_id, t.resource_type, t.tag_key, t.tag_value]
                               for t in body.tag_resources.tag_resource)
    body = client.list_tag_resources(models.ListTagResourcesRequest(
        region_id=REGION, resource_type="TOPIC", tag=[models.ListTagResourcesRequestTag(key="env", value="prod")])).body
    out["tagged_prod"] = sorted({t.resource_id for t in body.tag_resources.tag_resource})
    client.untag_resources(models.UntagResourcesRequest(
        region_id=REGION, resource_type="CONSUMERGROUP", resource_id=[group_id], all=True))
    body = client.list_tag_resources(models.ListTagResourcesRequest(
        region_id=REGION, resource_type="CONSUMERGROUP", resource_id=[group_id])).body
    out["group_tags_after_untag_all"] = len(body.tag_resources.tag_resource)
    out["reserved_key"] = error_of(lambda: client.tag_resources(models.TagResourcesRequest(
        region_id=REGION, resource_type="TOPIC", resource_id=[topic_id],
        tag=[models.TagResourcesRequestTag(key="aliyun:owner", value="x")])))
    # Paging: 60 tags over 3 topics, 50 pairs a page.
    for n in range(3):
        name = "sdk-page-%d" % n
        client.create_topic(models.CreateTopicRequest(topic=name, remark="paging", **base))
        client.tag_resources(models.TagResourcesRequest(
            region_id=REGION, resource_type="TOPIC", resource_id=["Kafka_%s_%s" % (instance, name)],
            tag=[models.TagResourcesRequestTag(key="k%02d" % k, value=str(k)) for k in range(20)]))
    pages, token, pairs = 0, None, 0
    while True:
        body = client.list_tag_resources(models.ListTagResourcesRequest(
            region_id=REGION, resource_type="TOPIC", next_token=token,
            resource_id=["Kafka_%s_sdk-page-%d" % (instance, n) for n in range(3)])).body
        pages += 1
        pairs += len(body.tag_resources.tag_resource)
        token = body.next_token
        if not token:
            break
    out["tag_paging"] = {"pages": pages, "pairs": pairs}

    # SASL users: creating again changes the password; the answer carries passwords.
    client.create_sasl_user(models.CreateSaslUserRequest(username="sdk-user", password=PASSWORD, type="scram", **base))
    client.create_sasl_user(models.CreateSaslUserRequest(username="sdk-plain", password=PASSWORD, **base))
    client.create_sasl_user(models.CreateSaslUserRequest(username="sdk-user", password=NEW_PASSWORD, type="scram", **base))
    body = client.describe_sasl_users(models.DescribeSaslUsersRequest(**base)).body
    users = body.sasl_user_list.sasl_user_vo
    out["users"] = sorted([u.username, u.type] for u in users)
    out["passwords_read_back"] = {u.username: (u.password == (NEW_PASSWORD if u.username == "sdk-user" else PASSWORD))
                                  for u in users}
    out["ldap_user"] = error_of(lambda: client.create_sasl_user(models.CreateSaslUserRequest(
        username="sdk-ldap", password=PASSWORD, type="LDAP", **base)))
    client.delete_sasl_user(models.DeleteSaslUserRequest(username="sdk-plain", **base))
    body = client.describe_sasl_users(models.DescribeSaslUsersRequest(**base)).body
    out["users_after_delete"] = sorted(u.username for u in body.sasl_user_list.sasl_user_vo)

    # ACLs.
    acl = dict(username="sdk-user", acl_resource_type="Topic", acl_resource_name="sdk.orders",
               acl_resource_pattern_type="LITERAL", acl_operation_type="Write", **base)
    client.create_acl(models.CreateAclRequest(**acl))
    client.create_acl(models.CreateAclRequest(**dict(acl, acl_resource_name="sdk", acl_resource_pattern_type="PREFIXED")))
    client.create_acl(models.CreateAclRequest(**dict(acl, acl_resource_type="Group", acl_resource_name="sdk.billing",
                                                       acl_operation_type="Read")))
    body = client.describe_acls(models.DescribeAclsRequest(
        username="sdk-user", acl_resource_type="Topic", acl_resource_name="sdk.orders", **base)).body
    out["acls"] = [[a.username, a.acl_resource_type, a.acl_resource_name, a.acl_resource_pattern_type,
                    a.acl_operation_type, a.acl_permission_type, a.host] for a in body.kafka_acl_list.kafka_acl_vo]
    out["deny_on_reserved"] = error_of(lambda: client.create_acl(models.CreateAclRequest(
        **dict(acl, acl_permission_type="DENY"))))
    out["missing_group"] = error_of(lambda: client.create_acl(models.CreateAclRequest(
        **dict(acl, acl_resource_type="Group", acl_resource_name="no-such-group", acl_operation_type="Read"))))
    client.delete_acl(models.DeleteAclRequest(**acl))
    body = client.describe_acls(models.DescribeAclsRequest(
        username="sdk-user", acl_resource_type="Topic", acl_resource_name="sdk.orders", **base)).body
    out["acls_after_delete"] = len(body.kafka_acl_list.kafka_acl_vo)

    # Allowlists: two addresses added together are one entry; deleting one keeps the other.
    client.update_allowed_ip(models.UpdateAllowedIpRequest(
        allowed_list_type="vpc", update_type="add", port_range="9092/9092",
        allowed_list_ip="10.1.0.0/16,192.168.7.7", description="apps", **base))
    client.update_allowed_ip(models.UpdateAllowedIpRequest(
        allowed_list_type="internet", update_type="add", port_range="9093/9093",
        allowed_list_ip="203.0.113.9", **base))
    client.update_allowed_ip(models.UpdateAllowedIpRequest(
        allowed_list_type="vpc", update_type="delete", port_range="9092/9092",
        allowed_list_ip="192.168.7.7", **base))
    body = client.get_allowed_ip_list(models.GetAllowedIpListRequest(**base)).body
    allowed = body.allowed_list
    out["allowlist"] = {
        "deploy_type": allowed.deploy_type,
        "vpc": {v.port_range: [v.allowed_ip_list, v.allowed_ip_group] for v in allowed.vpc_list},
        "internet": {v.port_range: v.allowed_ip_list for v in allowed.internet_list},
    }
    out["wrong_port"] = error_of(lambda: client.update_allowed_ip(models.UpdateAllowedIpRequest(
        allowed_list_type="vpc", update_type="add", port_range="9093/9093", allowed_list_ip="10.0.0.1", **base)))

    print(json.dumps(out))


if __name__ == "__main__":
    main()
