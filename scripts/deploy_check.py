"""Checks the deploy files the way their platforms read them.

Usage: python deploy_check.py REPO_ROOT
- infra/template.yaml translated by AWS's own SAM translator (PyPI aws-sam-translator): images built
  by `sam build` from the Dockerfiles, review-job given LLM_API_KEY from the secret when a hosted
  model is configured (and not otherwise).
- infra/cloudrun/*.yaml against a JSON schema of the Knative Serving v1 Service fields they use,
  with Knative's default ceiling of 600 seconds for timeoutSeconds.
- infra/keda/pr-review.yaml: its ScaledJob and TriggerAuthentication against the fields and types of
  KEDA's published CRDs (keda.sh/v1alpha1, config/crd/bases/keda.sh_scaledjobs.yaml and
  keda.sh_triggerauthentications.yaml, restated below for the fields used), its Deployment and
  Service against the Kubernetes fields used, and that the pieces fit: the trigger polls ingest's
  Service at /queue/depth for `unfinished` with the bearer token ingest checks, one Job per
  DRAIN_CONCURRENCY jobs, a Job deadline past DRAIN_MAX_SECONDS.
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
    check("template: review-job wakes itself through EventBridge Scheduler, as the wake role",
          variables.get("REVIEW_JOB_WAKE") == "scheduler:self" and variables.get("REVIEW_JOB_WAKE_ROLE_ARN") == {"Fn::GetAtt": ["ReviewJobWakeRole", "Arn"]})
    role = translated["Resources"]["ReviewJobWakeRole"]["Properties"]
    trusted = role["AssumeRolePolicyDocument"]["Statement"][0]
    invokes = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    check("template: the wake role is EventBridge Scheduler's and may invoke review-job only",
          trusted["Principal"] == {"Service": "scheduler.amazonaws.com"} and invokes["Action"] == "lambda:InvokeFunction"
          and "ReviewJobFunction" in json.dumps(invokes["Resource"]))
    policies = json.dumps(translated["Resources"]["ReviewJobFunctionRole"]["Properties"].get("Policies", []))
    check("template: review-job may create its wakes and pass the wake role, nothing wider",
          "scheduler:CreateSchedule" in policies and "schedule/default/prreview-*" in policies and "iam:PassRole" in policies)
    ingest = translated["Resources"]["WebhookIngestFunction"]["Properties"]["Environment"]["Variables"]
    check("template: ingest kicks review-job", ingest.get("REVIEW_JOB_KICK") == {"Fn::Sub": "lambda:${ReviewJobFunction}"}, json.dumps(ingest.get("REVIEW_JOB_KICK")))


# A container's environment: values, or references to a secret's key.
ENV_LIST = {"type": "array", "items": {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z_][A-Z0-9_]*$"},
        "value": {"type": "string"},
        "valueFrom": {"type": "object", "required": ["secretKeyRef"], "additionalProperties": False, "properties": {
            "secretKeyRef": {"type": "object", "required": ["name", "key"], "additionalProperties": False,
                             "properties": {"name": {"type": "string"}, "key": {"type": "string"}}}}},
    },
    "oneOf": [{"required": ["value"]}, {"required": ["valueFrom"]}]}}
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
                                    "env": ENV_LIST,
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


CONTAINER = {
    "type": "object", "required": ["name", "image"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string"}, "image": {"type": "string", "minLength": 1},
        "args": {"type": "array", "items": {"type": "string"}},
        "ports": {"type": "array", "items": {"type": "object", "required": ["containerPort"], "additionalProperties": False,
                                             "properties": {"containerPort": {"type": "integer", "minimum": 1, "maximum": 65535}}}},
        "readinessProbe": {"type": "object", "properties": {"httpGet": {"type": "object", "required": ["path", "port"]}}},
        "resources": {"type": "object", "additionalProperties": False, "properties": {"limits": {"type": "object", "additionalProperties": {"type": "string"}}}},
        "env": ENV_LIST,
    }}
NAME = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}}}


def resource(api_version, kind, spec):
    """A Kubernetes object of `kind` whose spec follows the schema `spec`."""
    return {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
            "properties": {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": NAME, "spec": spec}}


DEPLOYMENT = resource("apps/v1", "Deployment", {"type": "object", "required": ["selector", "template"], "additionalProperties": False, "properties": {
            "replicas": {"type": "integer", "minimum": 1},
            "selector": {"type": "object", "required": ["matchLabels"]},
            "template": {"type": "object", "required": ["metadata", "spec"], "additionalProperties": False, "properties": {
                "metadata": {"type": "object", "required": ["labels"]},
                "spec": {"type": "object", "required": ["containers"], "additionalProperties": False,
                         "properties": {"containers": {"type": "array", "minItems": 1, "items": CONTAINER}}}}}}})
SERVICE = resource("v1", "Service", {"type": "object", "required": ["selector", "ports"], "additionalProperties": False, "properties": {
            "selector": {"type": "object", "additionalProperties": {"type": "string"}},
            "ports": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["port"], "additionalProperties": False, "properties": {
                "port": {"type": "integer", "minimum": 1, "maximum": 65535}, "targetPort": {"type": ["integer", "string"]}}}}}})
# KEDA's CRDs, for the fields used: names, types, enums, minimums and required lists as published.
TRIGGER_AUTHENTICATION = resource("keda.sh/v1alpha1", "TriggerAuthentication", {"type": "object", "additionalProperties": False, "properties": {
            "secretTargetRef": {"type": "array", "items": {"type": "object", "required": ["key", "name", "parameter"], "additionalProperties": False,
                                                           "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "parameter": {"type": "string"}}}}}})
SCALED_JOB = resource("keda.sh/v1alpha1", "ScaledJob", {"type": "object", "required": ["jobTargetRef", "triggers"], "additionalProperties": False, "properties": {
            "pollingInterval": {"type": "integer", "minimum": 1},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "successfulJobsHistoryLimit": {"type": "integer", "minimum": 0},
            "failedJobsHistoryLimit": {"type": "integer", "minimum": 0},
            "scalingStrategy": {"type": "object", "additionalProperties": False, "properties": {
                "strategy": {"enum": ["default", "custom", "accurate", "eager"]}}},
            "jobTargetRef": {"type": "object", "required": ["template"], "additionalProperties": False, "properties": {
                "backoffLimit": {"type": "integer", "minimum": 0},
                "activeDeadlineSeconds": {"type": "integer", "minimum": 1},
                "template": {"type": "object", "required": ["spec"], "additionalProperties": False, "properties": {
                    "spec": {"type": "object", "required": ["containers", "restartPolicy"], "additionalProperties": False, "properties": {
                        "restartPolicy": {"enum": ["Never", "OnFailure"]},
                        "terminationGracePeriodSeconds": {"type": "integer", "minimum": 0},
                        "containers": {"type": "array", "minItems": 1, "maxItems": 1, "items": CONTAINER}}}}}}},
            "triggers": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["metadata", "type"], "additionalProperties": False, "properties": {
                    "type": {"type": "string"},
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    "authenticationRef": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
                        "name": {"type": "string"}, "kind": {"enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]}}}}}},
        }})


def keda(root):
    with open(os.path.join(root, "infra/keda/pr-review.yaml")) as f:
        documents = {d["kind"]: d for d in yaml.safe_load_all(f) if d}
    schemas = {"Deployment": DEPLOYMENT, "Service": SERVICE, "TriggerAuthentication": TRIGGER_AUTHENTICATION, "ScaledJob": SCALED_JOB}
    check("keda: a Deployment, a Service, a TriggerAuthentication and a ScaledJob", set(documents) == set(schemas), str(sorted(documents)))
    for kind, schema in schemas.items():
        try:
            jsonschema.validate(documents[kind], schema)
            check(f"keda: {kind} {documents[kind]['metadata']['name']}", True)
        except jsonschema.ValidationError as error:
            check(f"keda: {kind}", False, f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
    job = documents["ScaledJob"]["spec"]
    container = job["jobTargetRef"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    check("keda: each Job drains (`review-job drain`)", container["args"] == ["drain"])
    trigger = job["triggers"][0]
    service = documents["Service"]
    check("keda: the trigger polls ingest's Service at /queue/depth for `unfinished`",
          trigger["type"] == "metrics-api" and trigger["metadata"]["url"] == f"http://{service['metadata']['name']}/queue/depth"
          and trigger["metadata"]["valueLocation"] == "unfinished" and service["spec"]["ports"][0]["port"] == 80)
    auth = documents["TriggerAuthentication"]
    ingest_env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in documents["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    check("keda: with the bearer token ingest checks (METRICS_TOKEN)",
          trigger["metadata"].get("authMode") == "bearer" and trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
          and auth["spec"]["secretTargetRef"][0]["parameter"] == "token"
          and {k: auth["spec"]["secretTargetRef"][0][k] for k in ("name", "key")} == ingest_env.get("METRICS_TOKEN"))
    check("keda: one Job per DRAIN_CONCURRENCY unfinished jobs", trigger["metadata"]["targetValue"] == env.get("DRAIN_CONCURRENCY"))
    check("keda: a Job's deadline is past DRAIN_MAX_SECONDS", job["jobTargetRef"]["activeDeadlineSeconds"] > int(env.get("DRAIN_MAX_SECONDS", "300")))


if __name__ == "__main__":
    # The translator asks for a region (pseudo parameters); no AWS call is made.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    sam(sys.argv[1])
    knative(sys.argv[1])
    keda(sys.argv[1])
