"""Acts on alikafka-emulator beside Terraform with Alibaba's official 2019-09-16 SDK, as
another tool or a person at the console would.

Usage: sasl_access.py COMMAND HOST:PORT ACCESS_KEY_ID ACCESS_KEY_SECRET INSTANCE_ID ARGS...
  set-password USERNAME TYPE       CreateSaslUser with the password in $SASL_PASSWORD
  password-is USERNAME TYPE        whether DescribeSaslUsers lists $SASL_PASSWORD for the user
  add-allowed-ips TYPE PORT IPS DESCRIPTION   UpdateAllowedIp add (IPS: a comma list)
Prints one JSON document. Passwords are never printed, nor taken from the command line.
"""
import json
import os
import sys

from alibabacloud_alikafka20190916 import models
from alibabacloud_alikafka20190916.client import Client
from alibabacloud_tea_openapi import models as open_api_models

REGION = "cn-hangzhou"


def main():
    command, endpoint, ak, sk, instance = sys.argv[1:6]
    args = sys.argv[6:]
    client = Client(open_api_models.Config(
        access_key_id=ak, access_key_secret=sk, endpoint=endpoint, protocol="http", region_id=REGION))
    base = {"instance_id": instance, "region_id": REGION}
    password = os.environ.get("SASL_PASSWORD", "")
    if command == "set-password":
        username, user_type = args
        client.create_sasl_user(models.CreateSaslUserRequest(
            username=username, type=user_type, password=password, **base))
        out = {"done": True}
    elif command == "password-is":
        username, user_type = args
        body = client.describe_sasl_users(models.DescribeSaslUsersRequest(**base)).body
        users = body.sasl_user_list.sasl_user_vo if body.sasl_user_list else []
        mine = [u for u in users if u.username == username and (u.type or "plain").lower() == user_type]
        out = {"listed": len(mine), "matches": any(u.password == password for u in mine)}
    elif command == "add-allowed-ips":
        list_type, port, ips, description = args
        client.update_allowed_ip(models.UpdateAllowedIpRequest(
            allowed_list_type=list_type, port_range=port, update_type="add",
            allowed_list_ip=ips, description=description, **base))
        out = {"done": True}
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
