"""Check what the deployment guide promises across the kit, beyond what the linters see:

- every Janua setting any artifact sets is a variable of docs/configuration.md (or its alias,
  or NAME_FILE of one);
- Dockerfile: multi-stage, cached dependency layer, non-root, EXPOSE 8000, HEALTHCHECK via
  `janua healthcheck` (no curl), WORKER_THREADS=4;
- Kubernetes (raw manifests and every rendered Helm value set): 3 replicas, probes on /health
  and /ready, the guide's resources, restricted security context, drain >= readiness
  period x failure threshold, terminationGracePeriodSeconds >= preStop + drain + timeout,
  secrets through secretKeyRef, no service account token;
- no image is `latest` or untagged; the ECS task definition and Terraform check /ready,
  use `janua healthcheck`, Fargate, and name only real settings.

usage: guarantees.py REPO_ROOT RENDERED_HELM_DIR
"""
import glob
import json
import os
import re
import sys

import hcl2
import yaml

ROOT = sys.argv[1]
RENDERED = sys.argv[2]
failures: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


def path(*parts: str) -> str:
    return os.path.join(ROOT, *parts)


def unquote(value):
    """python-hcl2 8 keeps HCL's quotes on string keys and values: drop them."""
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


# ------------------------------------------------------------------ settings Janua accepts
def documented_settings() -> set[str]:
    names = set()
    for line in open(path("docs", "configuration.md")):
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].startswith("`"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1] + " " + cells[2]))
    return names


SETTINGS = documented_settings()
# Variables of other programs that appear next to Janua's in the kit.
NOT_JANUA = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "PGDATA",
             "REDIS_PASSWORD", "HOME", "BACKUP_RETENTION_DAYS",
             "GF_SECURITY_ADMIN_USER", "GF_SECURITY_ADMIN_PASSWORD", "GF_USERS_ALLOW_SIGN_UP"}


def check_setting(name: str, where: str) -> None:
    base = name[:-5] if name.endswith("_FILE") and name not in SETTINGS else name
    check(base in SETTINGS or name in NOT_JANUA, f"{where}: {name} is not a setting in docs/configuration.md")


def load_docs(file: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(open(file)) if isinstance(d, dict)]


def containers(doc: dict) -> list[dict]:
    spec = doc.get("spec", {})
    if doc.get("kind") == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec.get("template", {}).get("spec", {})
    return pod.get("containers", []) + pod.get("initContainers", [])


def pod_spec(doc: dict) -> dict:
    spec = doc.get("spec", {})
    if doc.get("kind") == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec.get("template", {}).get("spec", {})


def image_pinned(image: str, where: str) -> None:
    tag = image.split("@")[0].rsplit("/", 1)[-1]
    check("@sha256:" in image or (":" in tag and not tag.endswith(":latest")), f"{where}: image {image} is not pinned")


def is_janua(container: dict) -> bool:
    return "janua" in container.get("image", "") and "postgres" not in container.get("image", "")


def check_kubernetes(docs: list[dict], label: str) -> None:
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d.get("kind") == "ConfigMap"}
    for doc in docs:
        kind, name = doc.get("kind"), doc.get("metadata", {}).get("name")
        where = f"{label} {kind}/{name}"
        if kind == "ServiceAccount":
            check(doc.get("automountServiceAccountToken") is False, f"{where}: automountServiceAccountToken must be false")
        if kind == "ConfigMap" and "janua" in name:
            for key in doc.get("data", {}):
                check_setting(key, where)
        if kind not in ("Deployment", "StatefulSet", "Job", "CronJob"):
            continue
        pod = pod_spec(doc)
        check(pod.get("automountServiceAccountToken") is False, f"{where}: automountServiceAccountToken must be false")
        psc = pod.get("securityContext", {})
        check(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
              f"{where}: pod must run as non-root with seccomp RuntimeDefault")
        for c in containers(doc):
            cwhere = f"{where} container {c['name']}"
            image_pinned(c["image"], cwhere)
            sc = c.get("securityContext", {})
            check(sc.get("readOnlyRootFilesystem") is True, f"{cwhere}: readOnlyRootFilesystem")
            check(sc.get("allowPrivilegeEscalation") is False, f"{cwhere}: allowPrivilegeEscalation false")
            check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{cwhere}: drop ALL capabilities")
            check(sc.get("runAsNonRoot") is True, f"{cwhere}: runAsNonRoot")
            check("resources" in c and "limits" in c["resources"], f"{cwhere}: resources with limits")
            if is_janua(c):
                check(sc.get("runAsUser") == 10001, f"{cwhere}: runs as uid 10001")
                for env in c.get("env", []):
                    check_setting(env["name"], cwhere)
                    if any(s in env["name"] for s in ("URL", "SECRET", "TOKEN", "PASSWORD")) and env["name"] != "BASE_URL":
                        check("secretKeyRef" in env.get("valueFrom", {}), f"{cwhere}: {env['name']} must come from secretKeyRef")
        if kind != "Deployment":
            continue
        api = next(c for c in containers(doc) if is_janua(c))
        check(doc["spec"].get("replicas", 3) == 3, f"{where}: 3 replicas")
        check(api["resources"] == {"requests": {"memory": "512Mi", "cpu": "250m"}, "limits": {"memory": "1Gi", "cpu": "500m"}},
              f"{where}: resources must be the guide's (requests 250m/512Mi, limits 500m/1Gi)")
        check(api["livenessProbe"]["httpGet"]["path"] == "/health", f"{where}: liveness on /health")
        check(api["readinessProbe"]["httpGet"]["path"] == "/ready", f"{where}: readiness on /ready")
        check("startupProbe" in api, f"{where}: startup probe")
        check(any(p["containerPort"] == 8000 for p in api["ports"]), f"{where}: container port 8000")
        settings = {}
        for ref in api.get("envFrom", []):
            settings.update(configmaps.get(ref.get("configMapRef", {}).get("name"), {}))
        settings.update({e["name"]: e["value"] for e in api.get("env", []) if "value" in e})
        drain = int(settings.get("SHUTDOWN_DRAIN_SECONDS", 5))
        timeout = int(settings.get("SHUTDOWN_TIMEOUT_SECONDS", 30))
        rp = api["readinessProbe"]
        window = rp.get("periodSeconds", 10) * rp.get("failureThreshold", 3)
        pre_stop = api.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        grace = pod.get("terminationGracePeriodSeconds", 30)
        check(drain >= window, f"{where}: SHUTDOWN_DRAIN_SECONDS {drain} < readiness period x failureThreshold {window}")
        check(grace >= pre_stop + drain + timeout,
              f"{where}: terminationGracePeriodSeconds {grace} < preStop {pre_stop} + drain {drain} + timeout {timeout}")
        print(f"     {label}: drain {drain}s >= readiness window {window}s; grace {grace}s >= {pre_stop}+{drain}+{timeout}s")


def main() -> int:
    # Dockerfile
    dockerfile = open(path("Dockerfile")).read()
    check(len(re.findall(r"^FROM ", dockerfile, re.M)) >= 3, "Dockerfile: multi-stage build")
    check("cargo chef cook" in dockerfile, "Dockerfile: cached dependency layer (cargo chef cook)")
    check(re.search(r"^USER 10001", dockerfile, re.M) is not None, "Dockerfile: USER 10001")
    check(re.search(r"^EXPOSE 8000", dockerfile, re.M) is not None, "Dockerfile: EXPOSE 8000")
    check('CMD ["janua", "healthcheck"]' in dockerfile and "curl" not in dockerfile.split("HEALTHCHECK", 1)[1],
          "Dockerfile: HEALTHCHECK via janua healthcheck")
    check("WORKER_THREADS=4" in dockerfile, "Dockerfile: WORKER_THREADS=4 (the guide's 4 workers)")
    check(re.search(r"^FROM rust:1-bookworm|^FROM rust:\$\{RUST_VERSION\}-bookworm", dockerfile, re.M) is not None, "Dockerfile: rust bookworm builder")
    for name in re.findall(r"^\s+([A-Z][A-Z0-9_]+)=", dockerfile.split("ENV ", 1)[1].split("WORKDIR")[0], re.M) + ["HOST"]:
        check_setting(name, "Dockerfile ENV")

    # Compose
    for file, prod in (("docker-compose.yml", False), (os.path.join("deploy", "docker-compose.prod.yml"), True)):
        compose = yaml.safe_load(open(path(file)))
        for svc_name, svc in compose["services"].items():
            image = svc.get("image", "")
            if image:
                image_pinned(image.replace("${JANUA_VERSION:-", "").rstrip("}") if "${" in image else image, f"{file} {svc_name}")
            if "janua" in image or svc.get("build"):
                for key in (svc.get("environment") or {}):
                    check_setting(key, f"{file} {svc_name}")
                if svc_name == "api":
                    check(svc.get("healthcheck", {}).get("test") == ["CMD", "janua", "healthcheck"], f"{file} api: healthcheck via janua")
            if prod and svc_name in ("db", "redis"):
                check("ports" not in svc, f"{file} {svc_name}: must not publish ports")
            if prod:
                check("restart" in svc, f"{file} {svc_name}: restart policy")
        if not prod:
            check({"api", "db", "redis", "prometheus", "grafana"} <= set(compose["services"]), f"{file}: api, db, redis, prometheus, grafana")
        else:
            check("secrets" in compose, f"{file}: secrets from files")

    # Kubernetes manifests and rendered chart
    raw = [d for f in sorted(glob.glob(path("deploy", "k8s", "*.yaml"))) for d in load_docs(f)]
    kinds = {d["kind"] for d in raw}
    expected = {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
                "PodDisruptionBudget", "NetworkPolicy", "Job", "CronJob", "ServiceAccount", "PersistentVolumeClaim"}
    check(expected <= kinds, f"deploy/k8s: missing kinds {sorted(expected - kinds)}")
    check_kubernetes(raw, "deploy/k8s")
    ingress = next(d for d in raw if d["kind"] == "Ingress")
    check("tls" in ingress["spec"] and "cert-manager.io/cluster-issuer" in ingress["metadata"].get("annotations", {}),
          "deploy/k8s ingress: TLS and cert-manager annotation")
    for file in sorted(glob.glob(os.path.join(RENDERED, "*.yaml"))):
        check_kubernetes(load_docs(file), f"helm[{os.path.basename(file)[:-5]}]")
    values = yaml.safe_load(open(path("deploy", "helm", "janua", "values.yaml")))
    for key in ("replicaCount", "image", "service", "ingress", "resources", "autoscaling", "postgresql", "redis"):
        check(key in values, f"helm values.yaml: guide key {key}")
    check(values["image"]["tag"] not in ("", "latest"), "helm values.yaml: image.tag pinned")
    for key in values.get("env", {}):
        check_setting(key, "helm values.yaml env")

    # ECS task definition
    task = json.load(open(path("deploy", "aws", "ecs-task-definition.json")))
    check(task["requiresCompatibilities"] == ["FARGATE"], "ECS: Fargate")
    for c in task["containerDefinitions"]:
        check(c["healthCheck"]["command"] == ["CMD", "janua", "healthcheck"], "ECS: health check via janua healthcheck")
        check(c.get("readonlyRootFilesystem") is True, "ECS: read-only root filesystem")
        check(not c["image"].endswith(":latest"), "ECS: image pinned")
        for item in c.get("environment", []) + c.get("secrets", []):
            check_setting(item["name"], "ECS task definition")
        env = {e["name"]: e["value"] for e in c.get("environment", [])}
        check(c.get("stopTimeout", 30) >= int(env.get("SHUTDOWN_DRAIN_SECONDS", 5)) + int(env.get("SHUTDOWN_TIMEOUT_SECONDS", 30)),
              "ECS: stopTimeout >= drain + timeout")

    # Terraform (parsed with python-hcl2)
    tf = {}
    for file in sorted(glob.glob(path("deploy", "terraform", "*.tf"))):
        tf[os.path.basename(file)] = unquote(hcl2.load(open(file)))
    resources = {}
    for block in tf["main.tf"].get("resource", []):
        for rtype, named in block.items():
            for rname, body in named.items():
                resources[f"{rtype}.{rname}"] = body
    tg = resources["aws_lb_target_group.janua"]
    check(tg["health_check"][0]["path"] == "/ready", "terraform: target group health check on /ready")
    check(resources["aws_db_instance.main"]["storage_encrypted"] is True, "terraform: RDS encrypted")
    redis = resources["aws_elasticache_replication_group.main"]
    check(redis["transit_encryption_enabled"] is True and "auth_token" in redis, "terraform: Redis TLS + auth token")
    check(resources["aws_lb_listener.https"]["protocol"] == "HTTPS", "terraform: HTTPS listener")
    tf_text = open(path("deploy", "terraform", "main.tf")).read()
    container_block = tf_text.split("container_definitions = jsonencode(", 1)[1].split("\n  ])", 1)[0]
    for name in re.findall(r'\{ name = "([A-Z][A-Z0-9_]+)"', container_block):
        check_setting(name, "terraform container_definitions")
    check('["CMD", "janua", "healthcheck"]' in container_block, "terraform: container health check via janua healthcheck")
    for var in ("aws_region", "acm_certificate_arn", "db_multi_az"):
        check(any(var in v for v in tf["variables.tf"]["variable"]), f"terraform: variable {var}")

    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{'ok  ' if not failures else 'FAIL'} deployment guarantees ({len(SETTINGS)} documented settings known)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
