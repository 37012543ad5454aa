// Deployment policies over rendered Kubernetes manifests and over the chart's values files: what a reviewer
// would otherwise check by eye on every change of the chart. Each rule names the object and what is wrong.
//
// Usage: npx node scripts/deploy/policy.ts --schema helm/pacs/values.schema.json \
//          --manifests rendered.yaml ... --values helm/pacs/values.yaml ...
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

/** A Kubernetes object as rendered (only the fields the rules read are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}
export interface Violation {
  readonly rule: string;
  readonly object: string;
  readonly message: string;
}
export interface PolicyOptions {
  /** Settings that are secret (values.schema.json definitions.secretSettingName). */
  readonly secretSettings: readonly string[];
  /** The component that alone may be exposed outside the cluster. */
  readonly entryComponent?: string;
}

const componentLabel = 'app.kubernetes.io/component';
const hookAnnotation = 'helm.sh/hook';
const writableVolumeKinds = ['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI'];

export function parseManifests(text: string): K8sObject[] {
  return yaml.loadAll(text).filter((d): d is K8sObject => d !== null && typeof d === 'object' && 'kind' in d);
}

const idOf = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Workloads and their pod templates. */
function podsOf(objects: readonly K8sObject[]): { owner: K8sObject; pod: any; labels: Record<string, string> }[] {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind))
    .map((o) => ({ owner: o, pod: o.spec?.template?.spec ?? {}, labels: o.spec?.template?.metadata?.labels ?? {} }));
}

/** An image reference is pinned when it names a digest, or a tag that is not a moving one. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return false;
  const tag = image.slice(colon + 1);
  return tag !== '' && !['latest', 'main', 'master', 'edge', 'nightly'].includes(tag);
}

export function checkManifests(objects: readonly K8sObject[], options: PolicyOptions): Violation[] {
  const out: Violation[] = [];
  const entry = options.entryComponent ?? 'gateway';
  const fail = (rule: string, o: K8sObject, message: string): void => {
    out.push({ rule, object: idOf(o), message });
  };
  const secretSettings = new Set(options.secretSettings);
  const byKind = (kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
  const serviceAccounts = new Set(byKind('ServiceAccount').map((o) => o.metadata.name));

  if (byKind('Secret').length > 0) {
    for (const o of byKind('Secret'))
      fail('no-secret-objects', o, 'the chart renders a Secret: secrets must exist beforehand');
  }

  for (const { owner, pod, labels } of podsOf(objects)) {
    const isJob = owner.kind === 'Job';
    if (!pod.serviceAccountName || pod.serviceAccountName === 'default') {
      fail('service-account', owner, 'the pod has no dedicated serviceAccountName');
    } else if (!serviceAccounts.has(pod.serviceAccountName)) {
      fail('service-account', owner, `ServiceAccount ${pod.serviceAccountName} is not rendered`);
    }
    if (pod.automountServiceAccountToken !== false) {
      fail('no-token', owner, 'automountServiceAccountToken must be false');
    }
    if (pod.enableServiceLinks !== false) {
      fail('no-service-links', owner, 'enableServiceLinks must be false (service variables collide with PACS_*)');
    }
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail('no-host', owner, 'host namespaces are shared');
    for (const volume of pod.volumes ?? []) {
      const kind = Object.keys(volume).find((k) => k !== 'name');
      if (!kind || !writableVolumeKinds.includes(kind)) {
        fail('volumes', owner, `volume ${volume.name} is ${kind}: only ${writableVolumeKinds.join(', ')}`);
      }
    }
    const podSc = pod.securityContext ?? {};
    if (podSc.runAsUser === 0) fail('non-root', owner, 'the pod runs as UID 0');
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const where = `container ${container.name}`;
      const sc = container.securityContext ?? {};
      if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) fail('non-root', owner, `${where}: runAsNonRoot is not true`);
      if (sc.runAsUser === 0) fail('non-root', owner, `${where}: runs as UID 0`);
      if (sc.readOnlyRootFilesystem !== true) fail('read-only-root', owner, `${where}: readOnlyRootFilesystem`);
      if (sc.allowPrivilegeEscalation !== false) fail('no-escalation', owner, `${where}: allowPrivilegeEscalation`);
      if (sc.privileged) fail('no-escalation', owner, `${where}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail('drop-all', owner, `${where}: capabilities.drop ALL`);
      if ((sc.capabilities?.add ?? []).length > 0) fail('drop-all', owner, `${where}: adds capabilities`);
      const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') fail('seccomp', owner, `${where}: seccompProfile`);
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          if (container.resources?.[kind]?.[resource] === undefined) {
            fail('resources', owner, `${where}: no resources.${kind}.${resource}`);
          }
        }
      }
      if (!isJob && !container.livenessProbe) fail('probes', owner, `${where}: no livenessProbe`);
      if (!isJob && !container.readinessProbe) fail('probes', owner, `${where}: no readinessProbe`);
      if (!isPinnedImage(container.image ?? '')) fail('pinned-image', owner, `${where}: image ${container.image}`);
      for (const port of container.ports ?? []) {
        if (port.hostPort) fail('exposure', owner, `${where}: hostPort ${port.hostPort}`);
      }
      for (const env of container.env ?? []) {
        if (secretSettings.has(env.name) && env.value !== undefined) {
          fail('secret-from-secret', owner, `${where}: ${env.name} is a secret and must come from a Secret`);
        }
      }
    }

    // Every pod is covered by a policy denying by default and by one that allows its flows.
    const policies = byKind('NetworkPolicy').filter((p) => matches(p.spec?.podSelector?.matchLabels, labels));
    const types = new Set(policies.flatMap((p) => p.spec?.policyTypes ?? []));
    if (!types.has('Ingress') || !types.has('Egress')) {
      fail('network-policy', owner, 'no NetworkPolicy restricts both its ingress and egress');
    }
    for (const p of policies) {
      for (const rule of p.spec?.ingress ?? []) {
        if (rule.from === undefined && rule.ports === undefined) {
          fail('network-policy', p, 'an ingress rule allows every source on every port');
        }
      }
      for (const rule of p.spec?.egress ?? []) {
        if (rule.to === undefined && rule.ports === undefined) {
          fail('network-policy', p, 'an egress rule allows every destination on every port');
        }
      }
    }

    if (owner.kind === 'Deployment') {
      const pdb = byKind('PodDisruptionBudget').find((p) => matches(p.spec?.selector?.matchLabels, labels));
      if (!pdb) fail('pdb', owner, 'no PodDisruptionBudget selects its pods');
      else if (pdb.spec?.minAvailable !== undefined && (owner.spec?.replicas ?? 1) <= Number(pdb.spec.minAvailable)) {
        fail('pdb', owner, 'its PodDisruptionBudget would block every eviction');
      }
      const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.name === owner.metadata.name);
      if (hpa && owner.spec?.replicas !== undefined) {
        fail('hpa-owns-replicas', owner, 'sets replicas although an HPA scales it (every upgrade would reset it)');
      }
    }
    if (isJob && !owner.metadata.annotations?.[hookAnnotation]?.includes('pre-upgrade')) {
      fail('migrations-hook', owner, 'a Job that is not a pre-install/pre-upgrade hook');
    }
  }

  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const target = hpa.spec?.scaleTargetRef;
    if (!objects.some((o) => o.kind === target?.kind && o.metadata.name === target?.name)) {
      fail('hpa-target', hpa, `scales ${target?.kind}/${target?.name}, which is not rendered`);
    }
  }

  // Only the entry component is reachable from outside: through Ingress/HTTPRoute, LoadBalancer or NodePort.
  const services = byKind('Service');
  const componentOf = (serviceName: string): string | undefined =>
    services.find((s) => s.metadata.name === serviceName)?.spec?.selector?.[componentLabel];
  for (const s of services) {
    const type = s.spec?.type ?? 'ClusterIP';
    if (type === 'ClusterIP') continue;
    const component = s.spec?.selector?.[componentLabel];
    if (component === entry) continue;
    if (component === 'hl7' && type === 'LoadBalancer' && isMllpOnly(s)) continue;
    fail('exposure', s, `${type} Service of ${component ?? 'unknown pods'}: only the ${entry} may be exposed`);
  }
  for (const ingress of byKind('Ingress')) {
    const backends = [
      ingress.spec?.defaultBackend,
      ...(ingress.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend)),
    ].filter(Boolean);
    for (const backend of backends) {
      if (componentOf(backend.service?.name) !== entry) {
        fail('exposure', ingress, `routes to ${backend.service?.name ?? 'a resource'}, not the ${entry}`);
      }
    }
  }
  for (const route of objects.filter((o) => o.kind.endsWith('Route'))) {
    for (const ref of (route.spec?.rules ?? []).flatMap((r: any) => r.backendRefs ?? [])) {
      if ((ref.kind ?? 'Service') !== 'Service' || componentOf(ref.name) !== entry) {
        fail('exposure', route, `routes to ${ref.name}, not the ${entry}`);
      }
    }
  }

  for (const cm of byKind('ConfigMap')) {
    for (const key of Object.keys(cm.data ?? {})) {
      if (secretSettings.has(key)) fail('secret-from-secret', cm, `${key} is a secret and must come from a Secret`);
    }
  }
  return out;
}

/** The hl7 MLLP Service: MLLP alone, and only from listed source ranges. */
function isMllpOnly(service: K8sObject): boolean {
  const ports: any[] = service.spec?.ports ?? [];
  const ranges: string[] = service.spec?.loadBalancerSourceRanges ?? [];
  return (
    ports.length > 0 &&
    ports.every((p) => p.name === 'mllp') &&
    ranges.length > 0 &&
    !ranges.some((r) => r === '0.0.0.0/0' || r === '::/0')
  );
}

const credentialPatterns: readonly [RegExp, string][] = [
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'a URL with a password'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/^AKIA[0-9A-Z]{16}$/, 'an AWS access key id'],
];
const secretLikeKey = /(password|passwd|secret|token|private.?key|credential)/i;

/**
 * Values files hold no secret values: a secret setting is only ever a { name, key } reference to a Secret, and
 * no string looks like a credential. Keys that name Secrets (secretName, secretEnv, existingSecret) are fine.
 */
export function checkValues(file: string, values: unknown, options: PolicyOptions): Violation[] {
  const out: Violation[] = [];
  const secretSettings = new Set(options.secretSettings);
  const walk = (node: unknown, path: string[]): void => {
    const here = path.join('.') || '(root)';
    if (typeof node === 'string') {
      for (const [pattern, what] of credentialPatterns) {
        if (pattern.test(node)) out.push({ rule: 'no-secret-values', object: `${file}:${here}`, message: what });
      }
      const key = path[path.length - 1] ?? '';
      if (node !== '' && (secretSettings.has(key) || (secretLikeKey.test(key) && !/name$|^secretEnv$/i.test(key)))) {
        out.push({ rule: 'no-secret-values', object: `${file}:${here}`, message: `${key} has a literal value` });
      }
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, [...path, String(i)]));
      return;
    }
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      // extraEnv: [{ name: PACS_DATABASE_URL, value: … }] is a secret written into the values as well.
      if (typeof record.name === 'string' && secretSettings.has(record.name) && record.value !== undefined) {
        out.push({
          rule: 'no-secret-values',
          object: `${file}:${here}`,
          message: `${record.name} has a literal value`,
        });
      }
      for (const [k, v] of Object.entries(record)) walk(v, [...path, k]);
    }
  };
  walk(values, []);
  return out;
}

function main(argv: readonly string[]): void {
  const groups: Record<string, string[]> = { '--schema': [], '--manifests': [], '--values': [] };
  let current: string[] | undefined;
  for (const arg of argv) {
    if (arg in groups) current = groups[arg];
    else if (current) current.push(arg);
    else throw new Error(`unexpected argument ${arg}`);
  }
  const [schemaFile] = groups['--schema'];
  if (!schemaFile) throw new Error('usage: policy.ts --schema values.schema.json --manifests FILE... --values FILE...');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const options: PolicyOptions = { secretSettings: schema.definitions.secretSettingName.enum };
  const violations: Violation[] = [];
  let objects = 0;
  for (const file of groups['--manifests']) {
    const parsed = parseManifests(readFileSync(file, 'utf8'));
    objects += parsed.length;
    violations.push(...checkManifests(parsed, options).map((v) => ({ ...v, object: `${file}: ${v.object}` })));
  }
  for (const file of groups['--values']) {
    violations.push(...checkValues(file, yaml.load(readFileSync(file, 'utf8')), options));
  }
  for (const v of violations) console.error(`policy ${v.rule}: ${v.object}: ${v.message}`);
  console.log(
    `policy: ${objects} objects in ${groups['--manifests'].length} renders, ${groups['--values'].length} values files, ` +
      `${violations.length} violations`,
  );
  if (violations.length > 0) process.exitCode = 1;
}

if (process.argv[1]?.endsWith('policy.ts')) main(process.argv.slice(2));
