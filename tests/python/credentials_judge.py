"""Alibaba's official credentials library (alibabacloud-credentials) as the judge of our
credentials resolver: runs its default chain in the environment this process was given
(HOME, ALIBABA_CLOUD_* ...) and prints, as one JSON line, which provider answered, the
AccessKeyId it got, and the STS endpoint it chose.

Usage: credentials_judge.py STS_URL METADATA_URL

The library talks to fixed hosts; the emulator stands in for them, and only loopback is
reached: STS calls go to STS_URL (the endpoint the library chose is recorded first), the
ECS metadata service is METADATA_URL (a closed loopback port plays "not on ECS").
"""

import json
import sys

sts_url, metadata_url = sys.argv[1], sys.argv[2]

from alibabacloud_credentials.provider import ecs_ram_role, oidc, ram_role_arn  # noqa: E402

chosen = {"sts_endpoints": []}


def redirect_sts(cls):
    original = cls.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        chosen["sts_endpoints"].append(self._sts_endpoint)
        self._sts_endpoint = sts_url

    cls.__init__ = init


redirect_sts(ram_role_arn.RamRoleArnCredentialsProvider)
redirect_sts(oidc.OIDCRoleArnCredentialsProvider)

original_ecs = ecs_ram_role.EcsRamRoleCredentialsProvider.__init__


def ecs_init(self, *args, **kwargs):
    # The chain builds it with background refresh; a one-shot judge needs none.
    kwargs["async_update_enabled"] = False
    original_ecs(self, *args, **kwargs)
    self._EcsRamRoleCredentialsProvider__metadata_service_host = metadata_url


ecs_ram_role.EcsRamRoleCredentialsProvider.__init__ = ecs_init

from alibabacloud_credentials.provider.default import DefaultCredentialsProvider  # noqa: E402

try:
    credentials = DefaultCredentialsProvider().get_credentials()
    print(
        json.dumps(
            {
                "ok": True,
                "provider": credentials.get_provider_name(),
                "access_key_id": credentials.get_access_key_id(),
                "has_token": bool(credentials.get_security_token()),
                **chosen,
            }
        )
    )
except Exception as error:  # the chain found nothing: say so, the test decides
    print(json.dumps({"ok": False, "error": str(error)[:2000], **chosen}))
