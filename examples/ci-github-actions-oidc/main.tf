# GitHub Actions: the job's OIDC token becomes temporary credentials of a RAM role.
#
# In the workflow (permissions: id-token: write), a step fetches the token for the audience
# the OIDC provider in RAM expects and puts it in the environment, never in a variable:
#
#   - run: |
#       TOKEN=$(curl -sSf -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
#         "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.aliyuncs.com" | jq -r .value)
#       echo "::add-mask::$TOKEN"
#       echo "ALIBABA_CLOUD_OIDC_TOKEN=$TOKEN" >> "$GITHUB_ENV"
#   - run: terraform apply -auto-approve
terraform {
  required_providers {
    alikafka = {
      source  = "alikafka/alikafka"
      version = "~> 0.1"
    }
  }
}

provider "alikafka" {
  region = "cn-hangzhou"

  assume_role_with_oidc {
    oidc_provider_arn = "acs:ram::1000000000000000:oidc-provider/github-actions"
    role_arn          = "acs:ram::1000000000000000:role/terraform-ci"
    role_session_name = "github-actions"
    # The token comes from ALIBABA_CLOUD_OIDC_TOKEN (or set oidc_token_file).
  }
}
