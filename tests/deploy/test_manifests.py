"""Every manifest under deploy/ passes an offline schema check against a pinned Kubernetes version.

kubernetes-validate ships the Kubernetes JSON schemas in its wheel, so nothing is fetched at run time; the
OpenFaaS Function CRDs (not a built-in kind) are checked against deploy/openfaas/function-crd.schema.yaml.
The committed CRDs must be exactly what `faas-cli generate -f stack.yml` makes today.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import DEPLOY, REPO, run_faas_cli, stack_copy

KUBERNETES_VERSION = "1.33.0"
GENERATED = DEPLOY / "openfaas" / "functions.yaml"
CRD_SCHEMA = DEPLOY / "openfaas" / "function-crd.schema.yaml"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_there_are_manifests() -> None:
    kinds = {doc["kind"] for path in MANIFESTS for doc in documents(path)}
    assert {"Namespace", "Secret", "ConfigMap", "Deployment", "StatefulSet", "Service",
            "HorizontalPodAutoscaler", "Ingress"} <= kinds


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid(path: Path) -> None:
    for doc in documents(path):
        k8s_validate(doc)


def test_the_validator_does_reject() -> None:
    """Guard against a validator that silently accepts anything (e.g. a missing schema)."""
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replicas": "two", "selector": {}, "template": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_secret_templates_hold_no_values() -> None:
    for path in MANIFESTS:
        for doc in documents(path):
            if doc["kind"] == "Secret":
                assert not doc.get("data"), f"{path.name}: {doc['metadata']['name']} must not carry data"
                assert all(value == "" for value in doc.get("stringData", {}).values())


def test_every_container_is_sized_and_unprivileged() -> None:
    for path in MANIFESTS:
        for doc in documents(path):
            if doc["kind"] not in {"Deployment", "StatefulSet"}:
                continue
            pod = doc["spec"]["template"]["spec"]
            assert pod.get("securityContext", {}).get("runAsNonRoot") is True, doc["metadata"]["name"]
            for container in pod["containers"]:
                resources = container.get("resources", {})
                assert {"cpu", "memory"} <= set(resources.get("requests", {})), container["name"]
                assert "memory" in resources.get("limits", {}), container["name"]
                assert ":" in container["image"] and not container["image"].endswith(":latest")


def test_workers_scale_on_queue_length() -> None:
    hpas = [doc for path in MANIFESTS for doc in documents(path) if doc["kind"] == "HorizontalPodAutoscaler"]
    queues = {hpa["spec"]["metrics"][0]["external"]["metric"]["selector"]["matchLabels"]["queue"] for hpa in hpas}
    assert queues == {"transcode", "downscale"}


def generate_crds(tmp_path: Path) -> str:
    answer = run_faas_cli(["generate", "-f", "stack.yml"], stack_copy(tmp_path))
    assert answer.returncode == 0, answer.stderr
    return answer.stdout


def strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def test_generated_crds_are_current(tmp_path: Path) -> None:
    fresh = generate_crds(tmp_path)
    assert strip_comments(fresh) == strip_comments(GENERATED.read_text()), (
        "deploy/openfaas/functions.yaml is stale: run deploy/openfaas/generate.sh")


def test_generated_crds_match_the_function_schema() -> None:
    schema = yaml.safe_load(CRD_SCHEMA.read_text())
    stack = yaml.safe_load((REPO / "stack.yml").read_text())
    docs = documents(GENERATED)
    assert sorted(doc["metadata"]["name"] for doc in docs) == sorted(stack["functions"])
    assert len(docs) <= 15, "OpenFaaS CE deploys at most 15 functions"
    for doc in docs:
        jsonschema.validate(doc, schema)
        # the object metadata is Kubernetes' own: check it against the pinned schema too
        k8s_validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": doc["metadata"]})
