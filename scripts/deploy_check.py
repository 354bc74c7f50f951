"""Checks the deploy files the way their platforms read them.

Usage: python deploy_check.py REPO_ROOT
- infra/template.yaml translated by AWS's own SAM translator (PyPI aws-sam-translator): images built
  by `sam build` from the Dockerfiles, review-job given LLM_API_KEY from the secret when a hosted
  model is configured (and not otherwise).
- infra/cloudrun/*.yaml against a JSON schema of the Knative Serving v1 Service fields they use,
  with Knative's default ceiling of 600 seconds for timeoutSeconds.
Prints one line per check; exits non-zero on the first failure.
"""
import json
import os
import sys

import jsonschema
import yaml
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


def check(name, ok, detail=""):
    if not ok:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"ok   {name}")


class NoManagedPolicies:
    def load(self):
        return {}


def sam(root):
    with open(os.path.join(root, "infra/template.yaml")) as f:
        template = yaml_parse(f.read())
    check("template: no image URI parameters (sam build makes the images)",
          not any("ImageUri" in name for name in template.get("Parameters", {})))
    for logical, dockerfile in [("WebhookIngestFunction", "functions/webhook-ingest/Dockerfile"),
                                ("ReviewJobFunction", "functions/review-job/Dockerfile")]:
        metadata = template["Resources"][logical].get("Metadata", {})
        check(f"template: {logical} built from {dockerfile}",
              metadata.get("Dockerfile") == dockerfile and os.path.exists(os.path.join(root, "infra", metadata.get("DockerContext", ""), dockerfile)))
    # sam build fills ImageUri; the translator needs one to translate.
    for logical in ["WebhookIngestFunction", "ReviewJobFunction"]:
        template["Resources"][logical]["Properties"]["ImageUri"] = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{logical}:latest"
    translated = transform(template, {"SecretsArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pr-review"}, NoManagedPolicies())
    function = translated["Resources"]["ReviewJobFunction"]
    check("template: review-job is a Lambda function", function["Type"] == "AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]
    key = variables.get("LLM_API_KEY")
    expected = {"Fn::If": ["UsesHostedModel", {"Fn::Sub": "{{resolve:secretsmanager:${SecretsArn}:SecretString:LLM_API_KEY}}"}, {"Ref": "AWS::NoValue"}]}
    check("template: review-job reads LLM_API_KEY from the secret for a hosted model", key == expected, json.dumps(key))
    condition = translated["Conditions"]["UsesHostedModel"]
    check("template: ...and only when LlmProvider is not rules", condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "LlmProvider"}, "rules"]}]}, json.dumps(condition))
    check("template: review-job's timeout fits Lambda's 900 s", function["Properties"]["Timeout"] <= 900)
    ingest = translated["Resources"]["WebhookIngestFunction"]["Properties"]["Environment"]["Variables"]
    check("template: ingest kicks review-job", ingest.get("REVIEW_JOB_KICK") == {"Fn::Sub": "lambda:${ReviewJobFunction}"}, json.dumps(ingest.get("REVIEW_JOB_KICK")))


KNATIVE_SERVICE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.knative.dev/v1"},
        "kind": {"const": "Service"},
        "metadata": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}}},
        "spec": {
            "type": "object", "required": ["template"], "additionalProperties": False,
            "properties": {"template": {
                "type": "object", "required": ["spec"], "additionalProperties": False,
                "properties": {
                    "metadata": {"type": "object", "properties": {"annotations": {
                        "type": "object", "additionalProperties": {"type": "string"},
                        "properties": {
                            "autoscaling.knative.dev/minScale": {"type": "string", "pattern": "^[0-9]+$"},
                            "autoscaling.knative.dev/maxScale": {"type": "string", "pattern": "^[0-9]+$"},
                        }}}},
                    "spec": {
                        "type": "object", "required": ["containers"], "additionalProperties": False,
                        "properties": {
                            "serviceAccountName": {"type": "string"},
                            "containerConcurrency": {"type": "integer", "minimum": 0, "maximum": 1000},
                            "timeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 600},
                            "containers": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
                                "type": "object", "required": ["image"], "additionalProperties": False,
                                "properties": {
                                    "image": {"type": "string", "minLength": 1},
                                    "args": {"type": "array", "items": {"type": "string"}},
                                    "ports": {"type": "array", "maxItems": 1, "items": {
                                        "type": "object", "required": ["containerPort"], "additionalProperties": False,
                                        "properties": {"containerPort": {"type": "integer", "minimum": 1, "maximum": 65535}, "name": {"enum": ["http1", "h2c"]}}}},
                                    "resources": {"type": "object", "properties": {"limits": {"type": "object", "additionalProperties": {"type": "string"}}}},
                                    "env": {"type": "array", "items": {
                                        "type": "object", "required": ["name"], "additionalProperties": False,
                                        "properties": {
                                            "name": {"type": "string", "pattern": "^[A-Z_][A-Z0-9_]*$"},
                                            "value": {"type": "string"},
                                            "valueFrom": {"type": "object", "required": ["secretKeyRef"], "additionalProperties": False, "properties": {
                                                "secretKeyRef": {"type": "object", "required": ["name", "key"], "additionalProperties": False,
                                                                 "properties": {"name": {"type": "string"}, "key": {"type": "string"}}}}},
                                        },
                                        "oneOf": [{"required": ["value"]}, {"required": ["valueFrom"]}]}},
                                }}},
                        }},
                }}},
        },
    },
}


def knative(root):
    folder = os.path.join(root, "infra/cloudrun")
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as f:
            document = yaml.safe_load(f)
        try:
            jsonschema.validate(document, KNATIVE_SERVICE)
            check(f"knative: {name}", True)
        except jsonschema.ValidationError as error:
            check(f"knative: {name}", False, f"{'/'.join(map(str, error.absolute_path))}: {error.message}")


if __name__ == "__main__":
    # The translator asks for a region (pseudo parameters); no AWS call is made.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    sam(sys.argv[1])
    knative(sys.argv[1])
