"""Drives the emulator's STS with Alibaba's official Python SDKs: the STS SDK
(alibabacloud-sts20150401, V3 signatures; AssumeRoleWithOIDC anonymous), the credentials
library's providers (V1 signatures, form-encoded), and the alikafka SDK signing with the
temporary credentials they got.

Usage: sts_sdk.py BASE_URL ECS_METADATA_URL CREDENTIALS_URI STRANGER_AK STRANGER_SK
       sts_sdk.py BASE_URL expiry SECONDS_TO_WAIT
Prints one JSON document of what the SDKs saw; the Rust test asserts on it.
"""
import json
import sys
import tempfile
import time
import urllib.request

from alibabacloud_alikafka20181015 import models as kafka_models
from alibabacloud_alikafka20181015.client import Client as KafkaClient
from alibabacloud_credentials.provider import (
    EcsRamRoleCredentialsProvider,
    OIDCRoleArnCredentialsProvider,
    RamRoleArnCredentialsProvider,
    StaticAKCredentialsProvider,
    URLCredentialsProvider,
)
from alibabacloud_sts20150401 import models
from alibabacloud_sts20150401.client import Client
from alibabacloud_tea_openapi import models as open_api_models

REGION = "cn-hangzhou"
INSTANCE = "alikafka_post-cn-emulator01"
ACCOUNT = "1000000000000000"
ROLE = f"acs:ram::{ACCOUNT}:role/emulator-demo-role"
READONLY = f"acs:ram::{ACCOUNT}:role/emulator-demo-readonly"
OIDC = f"acs:ram::{ACCOUNT}:oidc-provider/emulator-demo-oidc"
POLICY = '{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "alikafka:*", "Resource": "*"}]}'

base = sys.argv[1]
endpoint = base.replace("http://", "")


def config(ak=None, sk=None, token=None):
    return open_api_models.Config(
        access_key_id=ak, access_key_secret=sk, security_token=token,
        endpoint=endpoint, protocol="http", region_id=REGION)


def sts(ak=None, sk=None, token=None):
    return Client(config(ak, sk, token))


def kafka(creds):
    return KafkaClient(config(creds.access_key_id, creds.access_key_secret, creds.security_token))


def error_of(call):
    try:
        call()
    except Exception as exc:
        return {"code": getattr(exc, "code", None), "status": getattr(exc, "status_code", None),
                "message": str(getattr(exc, "message", ""))[:300]}
    return {"code": None, "status": None, "message": ""}


def control(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/_emulator/{path}", data=data, method="POST" if data else "GET")
    return json.load(urllib.request.urlopen(request))


def token(**kwargs):
    return control("oidc/token", kwargs)["token"]


def oidc_request(token_text, role=ROLE, provider=OIDC, **kwargs):
    return models.AssumeRoleWithOIDCRequest(
        oidcprovider_arn=provider, role_arn=role, oidctoken=token_text, role_session_name="sdk-oidc", **kwargs)


def topics(client):
    body = client.get_topic_list(kafka_models.GetTopicListRequest(instance_id=INSTANCE, region_id=REGION)).body
    return [t.topic for t in body.topic_list.topic_vo] if body.topic_list else []


def create_topic(client, name):
    return client.create_topic(kafka_models.CreateTopicRequest(
        instance_id=INSTANCE, region_id=REGION, topic=name, remark="from sts sdk"))


demo = sts("emulator-demo-ak", "emulator-demo-sk")
if sys.argv[2] == "expiry":
    # Issued credentials stop working when they expire (the emulator's lifetime is short).
    creds = demo.assume_role(models.AssumeRoleRequest(role_arn=ROLE, role_session_name="short")).body.credentials
    before = topics(kafka(creds))
    time.sleep(float(sys.argv[3]))
    print(json.dumps({"before": before, "after": error_of(lambda: topics(kafka(creds))),
                      "expiration": creds.expiration}))
    sys.exit(0)
metadata_url, credentials_uri, stranger_ak, stranger_sk = sys.argv[2:6]
out = {}

# AssumeRole (V3 signature), with a session policy containing spaces.
body = demo.assume_role(models.AssumeRoleRequest(
    role_arn=ROLE, role_session_name="sdk-session", duration_seconds=900, policy=POLICY)).body
creds = body.credentials
out["assume_role"] = {"arn": body.assumed_role_user.arn, "id_prefix": creds.access_key_id[:4],
                      "expiration": creds.expiration, "request_id": bool(body.request_id)}
identity = sts(creds.access_key_id, creds.access_key_secret, creds.security_token).get_caller_identity().body
out["caller"] = {"arn": identity.arn, "type": identity.identity_type, "account": identity.account_id}
client = kafka(creds)
create_topic(client, "sts-role-topic")
out["role_topics"] = topics(client)

# The read-only role reads, and its writes answer alikafka's permission error.
readonly = demo.assume_role(models.AssumeRoleRequest(role_arn=READONLY, role_session_name="sdk-reader")).body.credentials
reader = kafka(readonly)
out["readonly_topics"] = topics(reader)
out["readonly_create"] = error_of(lambda: create_topic(reader, "denied-topic"))

# A session policy narrows the role.
narrowed = demo.assume_role(models.AssumeRoleRequest(
    role_arn=ROLE, role_session_name="narrowed",
    policy='{"Version":"1","Statement":[{"Effect":"Allow","Action":"alikafka:List*","Resource":"*"}]}')).body.credentials
out["narrowed_create"] = error_of(lambda: create_topic(kafka(narrowed), "narrowed-topic"))

# AssumeRole errors.
out["errors"] = {
    "no_such_role": error_of(lambda: demo.assume_role(models.AssumeRoleRequest(
        role_arn=f"acs:ram::{ACCOUNT}:role/nope", role_session_name="s1"))),
    "bad_session_name": error_of(lambda: demo.assume_role(models.AssumeRoleRequest(
        role_arn=ROLE, role_session_name="x"))),
    "duration_too_short": error_of(lambda: demo.assume_role(models.AssumeRoleRequest(
        role_arn=ROLE, role_session_name="s2", duration_seconds=600))),
    "duration_too_long": error_of(lambda: demo.assume_role(models.AssumeRoleRequest(
        role_arn=ROLE, role_session_name="s3", duration_seconds=7200))),
    "bad_policy": error_of(lambda: demo.assume_role(models.AssumeRoleRequest(
        role_arn=ROLE, role_session_name="s4", policy="{nope"))),
    "untrusted_account": error_of(lambda: sts(stranger_ak, stranger_sk).assume_role(models.AssumeRoleRequest(
        role_arn=ROLE, role_session_name="s5"))),
    "wrong_secret": error_of(lambda: sts("emulator-demo-ak", "wrong").assume_role(models.AssumeRoleRequest(
        role_arn=ROLE, role_session_name="s6"))),
}

# AssumeRoleWithOIDC: anonymous, with a token as a file holds it (newline included).
anonymous = sts()
body = anonymous.assume_role_with_oidc(oidc_request(token() + "\n")).body
out["oidc"] = {"arn": body.assumed_role_user.arn, "issuer": body.oidctoken_info.issuer,
               "client_ids": body.oidctoken_info.client_ids, "subject": body.oidctoken_info.subject}
out["oidc_topics"] = topics(kafka(body.credentials))
out["oidc_errors"] = {
    "expired": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request(token(expires_in=-120)))),
    "bad_signature": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request(token(untrusted_key=True)))),
    "wrong_audience": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request(token(audience="someone-else")))),
    "wrong_issuer": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request(token(issuer="https://evil.invalid")))),
    "garbage": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request("not-a-jwt"))),
    "untrusting_role": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request(token(), role=READONLY))),
    "no_such_provider": error_of(lambda: anonymous.assume_role_with_oidc(oidc_request(
        token(), provider=f"acs:ram::{ACCOUNT}:oidc-provider/nope"))),
}

# The credentials library's providers (V1 signatures, the ECS and URI protocols).
def works(provider):
    c = provider.get_credentials()
    client = KafkaClient(config(c.get_access_key_id(), c.get_access_key_secret(), c.get_security_token()))
    return {"provider": c.get_provider_name(), "id_prefix": c.get_access_key_id()[:4], "topics": len(topics(client))}


with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as token_file:
    token_file.write(token() + "\n")
out["library"] = {
    "ram_role_arn": works(RamRoleArnCredentialsProvider(
        credentials_provider=StaticAKCredentialsProvider(
            access_key_id="emulator-demo-ak", access_key_secret="emulator-demo-sk"),
        role_arn=ROLE, role_session_name="library", policy=POLICY, sts_endpoint=base)),
    "oidc_role_arn": works(OIDCRoleArnCredentialsProvider(
        role_arn=ROLE, oidc_provider_arn=OIDC, oidc_token_file_path=token_file.name,
        role_session_name="library-oidc", sts_endpoint=base)),
    "credentials_uri": works(URLCredentialsProvider(uri=credentials_uri)),
}
ecs = EcsRamRoleCredentialsProvider(role_name="emulator-demo-role", async_update_enabled=False)
ecs._EcsRamRoleCredentialsProvider__metadata_service_host = metadata_url
out["library"]["ecs_ram_role"] = works(ecs)
discovering = EcsRamRoleCredentialsProvider(async_update_enabled=False)
discovering._EcsRamRoleCredentialsProvider__metadata_service_host = metadata_url
out["library"]["ecs_discovered"] = works(discovering)

print(json.dumps(out))
