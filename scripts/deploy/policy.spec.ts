import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { chartManaged } from '../codegen/config-docs';
import { checkManifests, checkValues, isPinnedImage, type K8sObject, parseManifests, type Violation } from './policy';

const root = join(__dirname, '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'helm/pacs/values.schema.json'), 'utf8'));
const options = { secretSettings: schema.definitions.secretSettingName.enum as string[] };
// k8s/pacs.yaml is the chart rendered with its default values (check.sh keeps it in sync).
const rendered = parseManifests(readFileSync(join(root, 'k8s/pacs.yaml'), 'utf8'));

const fresh = (): K8sObject[] => structuredClone(rendered);
const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not rendered`);
  return found;
};
const container = (objects: K8sObject[], deployment: string): any =>
  find(objects, 'Deployment', deployment).spec.template.spec.containers[0];
const rules = (violations: Violation[]): string[] => [...new Set(violations.map((v) => v.rule))].sort();

describe('deployment policies over the rendered chart', () => {
  it('finds nothing wrong in the default render', () => {
    expect(checkManifests(rendered, options)).toEqual([]);
  });

  it('renders a Deployment, ServiceAccount, PDB and NetworkPolicy for every service', () => {
    for (const service of ['gateway', 'stow', 'qido', 'wado', 'render', 'hl7']) {
      for (const kind of ['Deployment', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy', 'Service']) {
        expect(() => find(rendered, kind, `pacs-${service}`)).not.toThrow();
      }
    }
  });

  it('reports a container without liveness or readiness probe', () => {
    const objects = fresh();
    delete container(objects, 'pacs-qido').livenessProbe;
    delete container(objects, 'pacs-wado').readinessProbe;
    const found = checkManifests(objects, options);
    expect(found.map((v) => v.object).sort()).toEqual(['Deployment/pacs-qido', 'Deployment/pacs-wado']);
    expect(rules(found)).toEqual(['probes']);
  });

  it('reports missing requests or limits', () => {
    const objects = fresh();
    delete container(objects, 'pacs-stow').resources.limits.memory;
    expect(checkManifests(objects, options)).toEqual([
      { rule: 'resources', object: 'Deployment/pacs-stow', message: 'container stow: no resources.limits.memory' },
    ]);
  });

  it('reports each weakened security setting', () => {
    const objects = fresh();
    const sc = container(objects, 'pacs-render').securityContext;
    sc.readOnlyRootFilesystem = false;
    sc.allowPrivilegeEscalation = true;
    sc.capabilities = { drop: ['NET_RAW'] };
    delete sc.seccompProfile;
    delete find(objects, 'Deployment', 'pacs-render').spec.template.spec.securityContext.seccompProfile;
    expect(rules(checkManifests(objects, options))).toEqual(['drop-all', 'no-escalation', 'read-only-root', 'seccomp']);
  });

  it('reports a pod that mounts its token, shares service links or runs as root', () => {
    const objects = fresh();
    const pod = find(objects, 'Deployment', 'pacs-hl7').spec.template.spec;
    pod.automountServiceAccountToken = true;
    delete pod.enableServiceLinks;
    pod.securityContext.runAsUser = 0;
    expect(rules(checkManifests(objects, options))).toEqual(['no-service-links', 'no-token', 'non-root']);
  });

  it('reports a moving or missing image tag', () => {
    const objects = fresh();
    container(objects, 'pacs-gateway').image = 'ghcr.io/pacs/pacs:latest';
    container(objects, 'pacs-stow').image = 'registry.example.org:5000/pacs';
    expect(checkManifests(objects, options).map((v) => `${v.rule} ${v.object}`)).toEqual([
      'pinned-image Deployment/pacs-gateway',
      'pinned-image Deployment/pacs-stow',
    ]);
  });

  it('reports any service but the gateway exposed through a LoadBalancer, a NodePort or an Ingress', () => {
    const objects = fresh();
    find(objects, 'Service', 'pacs-wado').spec.type = 'LoadBalancer';
    find(objects, 'Service', 'pacs-qido').spec.type = 'NodePort';
    find(objects, 'Ingress', 'pacs-gateway').spec.rules[0].http.paths[0].backend.service.name = 'pacs-stow';
    expect(checkManifests(objects, options).map((v) => `${v.rule} ${v.object}`)).toEqual([
      'exposure Service/pacs-qido',
      'exposure Service/pacs-wado',
      'exposure Ingress/pacs-gateway',
    ]);
  });

  it('accepts an MLLP-only LoadBalancer for hl7 with source ranges, and nothing wider', () => {
    const mllp = (ranges: string[], ports: string[]): K8sObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'pacs-hl7-mllp' },
      spec: {
        type: 'LoadBalancer',
        loadBalancerSourceRanges: ranges,
        selector: { 'app.kubernetes.io/component': 'hl7' },
        ports: ports.map((name) => ({ name, port: 2575 })),
      },
    });
    expect(checkManifests([...fresh(), mllp(['10.20.0.5/32'], ['mllp'])], options)).toEqual([]);
    expect(rules(checkManifests([...fresh(), mllp(['0.0.0.0/0'], ['mllp'])], options))).toEqual(['exposure']);
    expect(rules(checkManifests([...fresh(), mllp([], ['mllp'])], options))).toEqual(['exposure']);
    expect(rules(checkManifests([...fresh(), mllp(['10.20.0.5/32'], ['mllp', 'http'])], options))).toEqual([
      'exposure',
    ]);
  });

  it('reports a Deployment without a PodDisruptionBudget or NetworkPolicy', () => {
    const objects = fresh().filter(
      (o) => !(o.metadata.name === 'pacs-wado' && ['PodDisruptionBudget', 'NetworkPolicy'].includes(o.kind)),
    );
    const withoutDeny = objects.filter((o) => o.metadata.name !== 'pacs-default-deny');
    expect(rules(checkManifests(objects, options))).toEqual(['pdb']);
    expect(checkManifests(withoutDeny, options).filter((v) => v.rule === 'network-policy')).toEqual([
      {
        rule: 'network-policy',
        object: 'Deployment/pacs-wado',
        message: 'no NetworkPolicy restricts both its ingress and egress',
      },
    ]);
  });

  it('reports a secret setting given as a literal value or kept in a ConfigMap', () => {
    const objects = fresh();
    container(objects, 'pacs-qido').env = [{ name: 'PACS_DATABASE_URL', value: 'postgres://pacs@db/pacs' }];
    find(objects, 'ConfigMap', 'pacs-config').data!.PACS_S3_SECRET_ACCESS_KEY = 'abc';
    expect(checkManifests(objects, options).map((v) => `${v.rule} ${v.object}`)).toEqual([
      'secret-from-secret Deployment/pacs-qido',
      'secret-from-secret ConfigMap/pacs-config',
    ]);
  });

  it('reports a Secret object and a replica count an HPA owns', () => {
    const objects = fresh();
    find(objects, 'Deployment', 'pacs-gateway').spec.replicas = 2;
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pacs-db' }, data: { url: 'eA==' } });
    expect(rules(checkManifests(objects, options))).toEqual(['hpa-owns-replicas', 'no-secret-objects']);
  });

  it('runs the migrations as a pre-install and pre-upgrade hook with its own ServiceAccount', () => {
    const job = find(rendered, 'Job', 'pacs-migrate');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const account = find(rendered, 'ServiceAccount', job.spec.template.spec.serviceAccountName);
    // A hook runs before the release's ordinary objects exist: its ServiceAccount must be a hook created first.
    expect(account.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(account.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations?.['helm.sh/hook-weight']),
    );
    const env = job.spec.template.spec.containers[0];
    expect(env.envFrom).toBeUndefined();
    expect(env.env.find((e: any) => e.name === 'PACS_SERVICE').value).toBe('migrate');
  });
});

describe('settings the chart sets itself', () => {
  const shared = find(rendered, 'ConfigMap', 'pacs-config').data!;
  const own = (service: string): Record<string, string> => find(rendered, 'ConfigMap', `pacs-${service}`).data!;

  it('sets every one docs/configuration.md lists, where it lists it', () => {
    const gatewayOnly = ['PACS_STOW_URL', 'PACS_QIDO_URL', 'PACS_WADO_URL', 'PACS_RENDER_URL', 'PACS_WORKLIST_URL'];
    for (const name of Object.keys(chartManaged)) {
      if (gatewayOnly.includes(name)) expect(own('gateway')[name]).toMatch(/^http:\/\/pacs-[a-z0-9]+:8080$/);
      else if (name === 'PACS_HL7_MLLP_PORT') expect(own('hl7')[name]).toBe('2575');
      else if (name === 'PACS_DICOMWEB_INTERNAL_URL')
        expect(own('hl7')[name]).toBe('http://pacs-gateway:8080/dicomweb');
      else if (name === 'PACS_SERVICE_CLIENT_ID') expect(own('hl7')[name]).toBe('');
      else expect(shared[name]).toBe(chartManaged[name].value);
    }
  });

  it('sets nothing else than the values file says', () => {
    const values = yaml.load(readFileSync(join(root, 'helm/pacs/values.yaml'), 'utf8')) as {
      config: Record<string, unknown>;
    };
    const expected = new Set([...Object.keys(chartManaged), ...Object.keys(values.config)]);
    expect(Object.keys(shared).filter((k) => !expected.has(k))).toEqual([]);
    expect(shared.PACS_KAFKA_BROKERS).toBe('kafka:9092');
  });
});

describe('values files', () => {
  const files = [
    'helm/pacs/values.yaml',
    ...readdirSync(join(root, 'helm/pacs/examples')).map((f) => `helm/pacs/examples/${f}`),
  ];

  it.each(files)('%s holds no secret value', (file) => {
    expect(checkValues(file, yaml.load(readFileSync(join(root, file), 'utf8')), options)).toEqual([]);
  });

  it('reports a credential written into values', () => {
    const values = {
      config: { PACS_S3_ENDPOINT: 'https://minio:minio123@s3.example.org' },
      postgresql: { secretEnv: { PACS_DATABASE_URL: 'postgres://pacs:pw@db/pacs' } },
      services: { qido: { extraEnv: [{ name: 'PACS_DATABASE_URL', value: 'postgres://db/pacs' }] } },
      kafka: { saslPassword: 'hunter2' },
    };
    expect(checkValues('x.yaml', values, options).map((v) => `${v.object}: ${v.message}`)).toEqual([
      'x.yaml:config.PACS_S3_ENDPOINT: a URL with a password',
      'x.yaml:postgresql.secretEnv.PACS_DATABASE_URL: a URL with a password',
      'x.yaml:postgresql.secretEnv.PACS_DATABASE_URL: PACS_DATABASE_URL has a literal value',
      'x.yaml:services.qido.extraEnv.0: PACS_DATABASE_URL has a literal value',
      'x.yaml:kafka.saslPassword: saslPassword has a literal value',
    ]);
  });
});

describe('isPinnedImage', () => {
  it.each([
    ['ghcr.io/pacs/pacs:0.1.0', true],
    [`ghcr.io/pacs/pacs@sha256:${'a'.repeat(64)}`, true],
    ['registry.example.org:5000/pacs:1.2.3', true],
    ['ghcr.io/pacs/pacs', false],
    ['registry.example.org:5000/pacs', false],
    ['ghcr.io/pacs/pacs:latest', false],
    ['ghcr.io/pacs/pacs:', false],
  ])('%s → %s', (image, pinned) => {
    expect(isPinnedImage(image)).toBe(pinned);
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const entrypoint = readFileSync(join(root, 'scripts/deploy/image/entrypoint.mjs'), 'utf8');

  it('starts every service of services/ and the migrations', () => {
    const names = [...entrypoint.matchAll(/^ {2}([a-z0-9]+): 'dist\/services\/([a-z0-9]+)\/src\/[a-z]+\.js'/gm)];
    const services = readdirSync(join(root, 'services')).sort();
    expect(
      names
        .filter(([, n]) => n !== 'migrate')
        .map(([, n]) => n)
        .sort(),
    ).toEqual(services);
    for (const [, , directory] of names) expect(services).toContain(directory);
  });

  it('runs as a numeric non-root user with the Node of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(dockerfile).toContain(`ARG NODE_IMAGE=node:${pkg.devDependencies.node}-`);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*healthcheck\.mjs/m);
  });
});
