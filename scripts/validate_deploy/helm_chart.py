"""Lint and render deploy/helm/janua with helm-python-sdk (Helm's Go SDK via ctypes; no helm
binary, no cluster, no chart repository). Writes one multi-document YAML per value set into
OUT_DIR for kubernetes-validate and checkov.

usage: helm_chart.py CHART_DIR OUT_DIR
"""
import pathlib
import sys

import helm_python as helm

# Value sets that exercise every branch of the templates.
VALUE_SETS = {
    "defaults": {},
    "external-services": {
        "postgresql": {"enabled": False},
        "redis": {"enabled": False},
        "autoscaling": {"enabled": False},
        "secrets": {
            "databaseUrl": "postgresql://janua:pw@db.example.internal:5432/janua",
            "redisUrl": "rediss://:pw@cache.example.internal:6379/0",
        },
    },
    "existing-secret-no-ingress": {
        "postgresql": {"enabled": False},
        "redis": {"enabled": False},
        "ingress": {"enabled": False},
        "backup": {"enabled": False},
        "networkPolicy": {"enabled": False},
        "secrets": {"existingSecret": "janua-managed"},
    },
}


def main() -> int:
    chart_dir, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0

    report = helm.lint(str(chart_dir), strict=True, namespace="janua", kube_version="v1.30.0")
    for message in report.get("messages", []):
        print(f"  lint [{message.get('severity')}] {message.get('path')}: {message.get('error')}")
    lint_errors = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
    if lint_errors:
        print(f"FAIL helm lint: {len(lint_errors)} warning(s)/error(s)")
        failures += 1
    else:
        print(f"ok   helm lint (strict): {report.get('total_charts_linted')} chart(s)")

    # A drain shorter than the readiness window must be refused.
    try:
        with helm.Chart.load(str(chart_dir)) as chart:
            chart.render({"shutdown": {"drainSeconds": 1}}, name="janua", namespace="janua")
        print("FAIL helm render accepted shutdown.drainSeconds=1 (< readiness window)")
        failures += 1
    except helm.HelmError as err:  # type: ignore[attr-defined]
        print(f"ok   helm render refuses a drain shorter than the readiness window ({type(err).__name__})")

    for name, values in VALUE_SETS.items():
        try:
            with helm.Chart.load(str(chart_dir)) as chart:
                manifests = chart.render(values, name="janua", namespace="janua", is_upgrade=True)
        except Exception as err:  # noqa: BLE001 - report and continue with the other sets
            print(f"FAIL helm render [{name}]: {err}")
            failures += 1
            continue
        docs = [body for path, body in sorted(manifests.items()) if path.endswith(".yaml") and body.strip()]
        (out_dir / f"{name}.yaml").write_text("\n---\n".join(docs) + "\n")
        print(f"ok   helm render [{name}]: {len(docs)} template(s) -> {out_dir / (name + '.yaml')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
