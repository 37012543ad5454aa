#!/usr/bin/env bash
# Offline validation of the deployment (helm/pacs, k8s/, Dockerfile), run by `npm test`:
#   1. tools: helm, kubeconform, actionlint built from the Go module proxy; checkov, hadolint, shellcheck from PyPI; the
#      Kubernetes API schemas generated from the OpenAPI spec of pinned releases: all cached under
#      ${PACS_CACHE_DIR:-$HOME/.cache/pacs}/deploy, so only the first run downloads or builds anything;
#   2. hadolint on the Dockerfile (its Node version against package.json), actionlint on the deployment
#      workflows, shellcheck on this script;
#   3. helm lint --strict and helm template (and NOTES.txt) with the default, minimal, production and
#      Gateway API values;
#   4. values the schema must refuse are refused;
#   5. kubeconform (strict) of every render against every pinned Kubernetes version;
#   6. the deployment policies (scripts/deploy/policy.ts) over the renders and the values files;
#   7. k8s/pacs.yaml is the chart rendered with its defaults (`--write` re-renders it);
#   8. docs/configuration.md and values.schema.json are generated from settings.ts and up to date;
#   9. checkov over the renders and the Dockerfile (skips with reasons in scripts/deploy/checkov.yaml).
# Idempotent; exits non-zero on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/../.."

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
ACTIONLINT_VERSION=v1.7.12
# The chart's kubeVersion floor (Chart.yaml) and the newest release: what a field needs, both must have.
K8S_VERSIONS=(1.31.14 1.37.2)
GATEWAY_API_VERSION=v1.4.1
NAMESPACE=pacs

write=false
[[ "${1:-}" == "--write" ]] && write=true

cache="${PACS_CACHE_DIR:-$HOME/.cache/pacs}/deploy"
bin="$cache/bin"
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
step() { printf '\n-- %s (%ss)\n' "$*" "$((SECONDS - started))"; }
fail() {
  echo "check.sh: $*" >&2
  exit 1
}

# --- 1. tools ---------------------------------------------------------------------------------------------
step "tools"
go_install() { # module@version binary-name: built once into $bin/<name>-<version>
  local target="$bin/$2-${1##*@}"
  if [[ ! -x "$target" ]]; then
    echo "building $1 (once)" >&2
    GOBIN="$work/gobin" GOFLAGS=-trimpath go install -ldflags "${3:-}" "$1"
    mv "$work/gobin/$2" "$target"
  fi
  echo "$target"
}
helm=$(go_install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" helm \
  "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" | tail -1)
kubeconform=$(go_install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" kubeconform "-s -w" | tail -1)
actionlint=$(go_install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" actionlint "-s -w" | tail -1)

venv="$cache/venv-$(cat scripts/deploy/requirements.txt scripts/deploy/requirements-lock.txt | sha256sum | cut -c1-12)"
if [[ ! -x "$venv/bin/checkov" ]]; then
  echo "installing checkov and hadolint into $venv (once)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r scripts/deploy/requirements.txt -c scripts/deploy/requirements-lock.txt
fi

module_dir() { # module@version → its directory in the Go module cache (downloaded once)
  (cd "$work" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
}
schemas_for() { # kubernetes version → directory of kubeconform schemas (generated once)
  local dir="$cache/schemas/v$1+gateway-api-$GATEWAY_API_VERSION"
  if [[ ! -f "$dir/.complete" ]]; then
    echo "generating the Kubernetes $1 schemas (once)"
    local kubernetes gateway
    kubernetes=$(module_dir "k8s.io/kubernetes@v$1")
    gateway=$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
    [[ -f "$kubernetes/api/openapi-spec/swagger.json" ]] || fail "no OpenAPI spec in k8s.io/kubernetes@v$1"
    rm -rf "$dir"
    npx node scripts/deploy/k8s-schemas.ts --out "$dir" \
      --swagger "$kubernetes/api/openapi-spec/swagger.json" \
      --crd "$gateway/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
    touch "$dir/.complete"
  fi
}
for version in "${K8S_VERSIONS[@]}"; do schemas_for "$version"; done
echo "helm $HELM_VERSION, kubeconform $KUBECONFORM_VERSION, actionlint $ACTIONLINT_VERSION, $(grep -E '^[a-z-]+==' scripts/deploy/requirements.txt | tr '\n' ' ')"
echo "Kubernetes schemas: ${K8S_VERSIONS[*]} (+ Gateway API $GATEWAY_API_VERSION HTTPRoute)"

# --- 2. Dockerfile, workflows, this script ---------------------------------------------------------------
step "Dockerfile, workflows, scripts"
"$venv/bin/hadolint" --config scripts/deploy/hadolint.yaml Dockerfile
node_dev=$(sed -n 's/^ *"node": "\([0-9.]*\)",\{0,1\}$/\1/p' package.json | head -1)
node_image=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9.]*\)-.*$/\1/p' Dockerfile)
[[ -n "$node_dev" && "$node_dev" == "$node_image" ]] ||
  fail "Dockerfile NODE_IMAGE is node $node_image, package.json devDependencies.node is $node_dev"
echo "hadolint clean; Node $node_image as in package.json"
"$actionlint" -shellcheck "$venv/bin/shellcheck" .github/workflows/chart.yml .github/workflows/images.yml
"$venv/bin/shellcheck" scripts/deploy/check.sh
grep -q "NODE_IMAGE: node:$node_image-" .github/workflows/images.yml ||
  fail "images.yml NODE_IMAGE is not the Dockerfile's node:$node_image"
echo "actionlint and shellcheck clean"

# --- 3. lint and render -----------------------------------------------------------------------------------
step "helm lint and template"
declare -A value_sets=(
  [default]=""
  [minimal]="-f helm/pacs/examples/values-minimal.yaml"
  [production]="-f helm/pacs/examples/values-production.yaml"
  [gateway-api]="-f helm/pacs/examples/values-minimal.yaml -f helm/pacs/examples/values-gateway-api.yaml"
)
render() { # extra helm args... → manifests on stdout
  "$helm" template pacs helm/pacs --namespace "$NAMESPACE" --kube-version "${K8S_VERSIONS[0]}" "$@"
}
for name in default minimal production gateway-api; do
  # shellcheck disable=SC2086 # the value files are meant to split into arguments
  "$helm" lint helm/pacs --strict --quiet --namespace "$NAMESPACE" --kube-version "${K8S_VERSIONS[0]}" ${value_sets[$name]} >/dev/null ||
    fail "helm lint failed with the $name values"
  # shellcheck disable=SC2086
  render ${value_sets[$name]} >"$work/$name.yaml"
  echo "$name: $(grep -c '^kind:' "$work/$name.yaml") objects"
done
# NOTES.txt is only rendered by a real install: render it as a template of a copy of the chart.
cp -r helm/pacs "$work/notes-chart"
{ echo 'notes: |'; sed 's/^/  /' helm/pacs/templates/NOTES.txt; } >"$work/notes-chart/templates/notes.yaml"
rm "$work/notes-chart/templates/NOTES.txt"
for name in default minimal production gateway-api; do
  # shellcheck disable=SC2086
  "$helm" template pacs "$work/notes-chart" --namespace "$NAMESPACE" --kube-version "${K8S_VERSIONS[0]}" \
    ${value_sets[$name]} --show-only templates/notes.yaml >/dev/null || fail "NOTES.txt fails with the $name values"
done
echo "NOTES.txt renders with every values file"

# --- 4. values the chart must refuse ----------------------------------------------------------------------
step "refused values"
refused=(
  "config.PACS_DATABASE_URL=postgres://pacs:secret@db/pacs" # a secret among the plain settings
  "config.PACS_S3_SECRET_ACCESS_KEY=abc"                    # idem
  "config.PACS_LOG_LEVEL=loud"                              # not one of the enum
  "config.PACS_QIDO_MAX_LIMIT=many"                         # not a number
  "config.PACS_NO_SUCH_SETTING=1"                           # unknown (misspelt) setting
  "config.PACS_STORAGE=fs"                                  # set by the chart
  "image.tag=latest"                                        # moving tag
  "image.digest=sha256:123"                                 # malformed digest
  "services.qido.resources.limits=null"                     # limits required
  "services.wado.autoscaling.targetCPUUtilizationPercentage=150"
  "services.gateway.autoscaling.minReplicas=9"              # above maxReplicas (validate.yaml)
  "services.stow.unknownKey=1"
  "ingress.tls.enabled=true"                                # without its secretName
  "ingress.host=Not_A_Host"
  "httpRoute.enabled=true"                                  # without parentRefs
  "mllp.service.type=LoadBalancer"                          # open to the world: no source ranges
  "mllp.service.type=NodePort"
  "services.qido.autoscaling.kafkaLag.enabled=true,services.qido.autoscaling.kafkaLag.metricName="
  "postgresql.secretEnv.PACS_DATABASE_URL.name="            # a Secret reference without a name
  "oidc.serviceClient.clientId=pacs,oidc.serviceClient.clientSecret.name=" # idem
  "config.PACS_SERVICE_CLIENT_ID=pacs"                      # set by the chart (oidc.serviceClient.clientId)
  "config.PACS_SERVICE_CLIENT_SECRET=abc"                   # a secret among the plain settings
  "securityContext.runAsUser=0"
)
for set in "${refused[@]}"; do
  if render --set "$set" >/dev/null 2>"$work/refused.err"; then fail "the chart accepted --set $set"; fi
done
echo "${#refused[@]} wrong values refused"

# --- 5. schemas -------------------------------------------------------------------------------------------
step "kubeconform"
for version in "${K8S_VERSIONS[@]}"; do
  dir="$cache/schemas/v$version+gateway-api-$GATEWAY_API_VERSION"
  "$kubeconform" -strict -summary -kubernetes-version "$version" \
    -schema-location "$dir/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$work"/*.yaml k8s/namespace.yaml k8s/pacs.yaml
done

# --- 6. policies ------------------------------------------------------------------------------------------
step "policies"
npx node scripts/deploy/policy.ts --schema helm/pacs/values.schema.json \
  --manifests "$work"/{default,minimal,production,gateway-api}.yaml k8s/pacs.yaml \
  --values helm/pacs/values.yaml helm/pacs/examples/*.yaml

# --- 7. k8s/ in sync with the chart -----------------------------------------------------------------------
step "k8s/pacs.yaml"
{
  echo "# Generated by scripts/deploy/check.sh --write: helm/pacs rendered with its default values for the"
  echo "# namespace $NAMESPACE. Do not edit; change the chart and re-render. Apply order: k8s/README.md."
  cat "$work/default.yaml"
} >"$work/k8s-pacs.yaml"
if $write; then
  cp "$work/k8s-pacs.yaml" k8s/pacs.yaml
  echo "wrote k8s/pacs.yaml"
elif ! diff -u k8s/pacs.yaml "$work/k8s-pacs.yaml" >"$work/k8s.diff"; then
  head -40 "$work/k8s.diff"
  fail "k8s/pacs.yaml is not the chart's default render: run bash scripts/deploy/check.sh --write"
else
  echo "in sync"
fi

# --- 8. generated configuration docs and values schema ----------------------------------------------------
step "configuration docs"
npx node scripts/codegen/config-docs.ts --check
echo "up to date"

# --- 9. security scan -------------------------------------------------------------------------------------
step "checkov"
checkov_files=()
for name in default minimal production gateway-api; do checkov_files+=(-f "$work/$name.yaml"); done
"$venv/bin/checkov" --config-file scripts/deploy/checkov.yaml --framework kubernetes dockerfile \
  "${checkov_files[@]}" -f Dockerfile -o cli >"$work/checkov.out" 2>&1 || {
  cat "$work/checkov.out"
  fail "checkov found problems (fix them, or skip with a reason in scripts/deploy/checkov.yaml)"
}
grep -E 'scan results|Passed checks' "$work/checkov.out" | paste - - || true

step "deployment checks passed"
