// Writes the JSON schemas kubeconform validates against, offline, from the Kubernetes OpenAPI (v2) spec of a
// pinned release (api/openapi-spec/swagger.json of the k8s.io/kubernetes module) and from CRD manifests
// (the Gateway API's HTTPRoute). One self-contained ("standalone") and strict file per kind, named as
// kubeconform looks them up: <kind>-<group's first label>-<version>.json, or <kind>-<version>.json for core.
// Strict: an object with declared properties refuses any other, so a misspelt or misplaced field fails.
//
// Usage: npx node scripts/deploy/k8s-schemas.ts --out DIR [--swagger swagger.json] [--crd crd.yaml ...]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

type Schema = { [key: string]: unknown };
interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const intOrString: Schema = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
// resource.Quantity is a string in the spec, but `cpu: 1` is a number once YAML is read.
const quantity: Schema = { anyOf: [{ type: 'string' }, { type: 'number' }] };
const special: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': intOrString,
  'io.k8s.apimachinery.pkg.api.resource.Quantity': quantity,
};

/** kubeconform's file name of a kind (pkg/registry/registry.go schemaPath, KindSuffix). */
export function schemaFileName({ group, version, kind }: GroupVersionKind): string {
  const suffix = group === '' ? `-${version}` : `-${group.split('.')[0]}-${version}`;
  return `${kind.toLowerCase()}${suffix.toLowerCase()}.json`;
}

/**
 * Inlines every $ref, maps the spec's extensions to JSON Schema and closes objects. A $ref met again inside
 * itself (the recursive JSONSchemaProps of CRDs) becomes {} rather than an endless expansion.
 */
export function toStandalone(
  node: unknown,
  definitions: Record<string, Schema>,
  seen: readonly string[] = [],
): unknown {
  if (Array.isArray(node)) return node.map((n) => toStandalone(n, definitions, seen));
  if (node === null || typeof node !== 'object') return node;
  const schema = node as Schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/definitions/', '');
    if (special[name]) return special[name];
    if (seen.includes(name)) return {};
    const target = definitions[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return toStandalone(target, definitions, [...seen, name]);
  }
  if (schema.format === 'int-or-string' || schema['x-kubernetes-int-or-string'] === true) return intOrString;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    // Extensions say nothing JSON Schema checks; formats (int32, byte, date-time) are annotations here.
    if (key.startsWith('x-kubernetes-') || key === 'format') continue;
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toStandalone(v, definitions, seen)]),
      );
    } else {
      out[key] = toStandalone(value, definitions, seen);
    }
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  const open = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

/** One schema per kind the spec can be sent as, with apiVersion and kind pinned to it. */
export function schemasFromSwagger(swagger: { definitions: Record<string, Schema> }): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const definition of Object.values(swagger.definitions)) {
    const gvks = definition['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined;
    if (!gvks) continue;
    for (const gvk of gvks) out.set(schemaFileName(gvk), pinKind(toStandalone(definition, swagger.definitions), gvk));
  }
  return out;
}

/** The served versions of a CustomResourceDefinition as schemas. */
export function schemasFromCrd(crd: {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema: Schema } }[] };
}): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const version of crd.spec.versions) {
    if (!version.schema) continue;
    const gvk = { group: crd.spec.group, version: version.name, kind: crd.spec.names.kind };
    out.set(schemaFileName(gvk), pinKind(toStandalone(version.schema.openAPIV3Schema, {}), gvk));
  }
  return out;
}

function pinKind(schema: unknown, { group, version, kind }: GroupVersionKind): Schema {
  const s = schema as Schema;
  const properties = { ...(s.properties as Schema) };
  properties.apiVersion = { type: 'string', enum: [group === '' ? version : `${group}/${version}`] };
  properties.kind = { type: 'string', enum: [kind] };
  return { ...s, properties, required: [...new Set([...((s.required as string[]) ?? []), 'apiVersion', 'kind'])] };
}

function main(argv: readonly string[]): void {
  const values = (flag: string): string[] => argv.flatMap((a, i) => (a === flag && argv[i + 1] ? [argv[i + 1]] : []));
  const [out] = values('--out');
  if (!out) throw new Error('usage: k8s-schemas.ts --out DIR [--swagger FILE] [--crd FILE ...]');
  mkdirSync(out, { recursive: true });
  const all = new Map<string, Schema>();
  for (const file of values('--swagger')) {
    for (const [name, s] of schemasFromSwagger(JSON.parse(readFileSync(file, 'utf8')))) all.set(name, s);
  }
  for (const file of values('--crd')) {
    for (const doc of yaml.loadAll(readFileSync(file, 'utf8'))) {
      for (const [name, s] of schemasFromCrd(doc as Parameters<typeof schemasFromCrd>[0])) all.set(name, s);
    }
  }
  for (const [name, s] of all) writeFileSync(join(out, name), JSON.stringify(s));
  console.log(`${all.size} schemas in ${out}`);
}

if (process.argv[1]?.endsWith('k8s-schemas.ts')) main(process.argv.slice(2));
