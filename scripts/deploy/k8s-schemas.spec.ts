import { schemaFileName, schemasFromCrd, schemasFromSwagger, toStandalone } from './k8s-schemas';

describe('schemaFileName', () => {
  // kubeconform's lookup (pkg/registry/registry.go): kind, the group's first label, the version.
  it.each([
    [{ group: '', version: 'v1', kind: 'ConfigMap' }, 'configmap-v1.json'],
    [{ group: 'apps', version: 'v1', kind: 'Deployment' }, 'deployment-apps-v1.json'],
    [{ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' }, 'networkpolicy-networking-v1.json'],
    [{ group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' }, 'httproute-gateway-v1.json'],
  ])('names %o %s', (gvk, name) => {
    expect(schemaFileName(gvk)).toBe(name);
  });
});

describe('toStandalone', () => {
  const definitions = {
    'io.k8s.api.core.v1.Probe': {
      type: 'object',
      properties: { port: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' } },
    },
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    'io.k8s.Props': {
      type: 'object',
      properties: { items: { $ref: '#/definitions/io.k8s.Props' }, size: { type: 'integer', format: 'int32' } },
    },
  };

  it('inlines references and closes objects that declare their properties', () => {
    expect(toStandalone({ $ref: '#/definitions/io.k8s.api.core.v1.Probe' }, definitions)).toEqual({
      type: 'object',
      properties: { port: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      additionalProperties: false,
    });
  });

  it('accepts a number where a quantity is a string (cpu: 1)', () => {
    expect(toStandalone({ $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' }, definitions)).toEqual({
      anyOf: [{ type: 'string' }, { type: 'number' }],
    });
  });

  it('stops a recursive reference at its second visit and drops formats', () => {
    expect(toStandalone({ $ref: '#/definitions/io.k8s.Props' }, definitions)).toEqual({
      type: 'object',
      properties: { items: {}, size: { type: 'integer' } },
      additionalProperties: false,
    });
  });

  it('throws on a reference it cannot resolve', () => {
    expect(() => toStandalone({ $ref: '#/definitions/nope' }, definitions)).toThrow('unresolved $ref');
  });
});

describe('schemasFromSwagger and schemasFromCrd', () => {
  it('pins apiVersion and kind of each kind', () => {
    const schemas = schemasFromSwagger({
      definitions: {
        'io.k8s.api.policy.v1.PodDisruptionBudget': {
          type: 'object',
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, spec: { type: 'object' } },
          'x-kubernetes-group-version-kind': [{ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' }],
        },
        'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { type: 'object' },
      },
    });
    expect([...schemas.keys()]).toEqual(['poddisruptionbudget-policy-v1.json']);
    const schema = schemas.get('poddisruptionbudget-policy-v1.json') as any;
    expect(schema.properties.apiVersion).toEqual({ type: 'string', enum: ['policy/v1'] });
    expect(schema.properties.kind).toEqual({ type: 'string', enum: ['PodDisruptionBudget'] });
    expect(schema.required).toEqual(['apiVersion', 'kind']);
  });

  it('keeps open what a CRD leaves open and lets nullable fields be null', () => {
    const schemas = schemasFromCrd({
      spec: {
        group: 'gateway.networking.k8s.io',
        names: { kind: 'HTTPRoute' },
        versions: [
          {
            name: 'v1',
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { port: { type: 'integer', nullable: true } } },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: {} } },
                },
              },
            },
          },
        ],
      },
    });
    const schema = schemas.get('httproute-gateway-v1.json') as any;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.spec.properties.port.type).toEqual(['integer', 'null']);
    expect(schema.properties.extra.additionalProperties).toBeUndefined();
  });
});
