// OpenAPI schema validation with the kubernetes-models validators (generated from the
// Kubernetes OpenAPI spec of a current release), plus a strict unknown-field check like
// kubectl's server-side `--validate=strict` (the OpenAPI schemas allow unknown fields, the
// API server rejects them). Known field names come from the models' type declarations.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const here = path.dirname(new URL(import.meta.url).pathname);
const modules = path.resolve(here, "..", "node_modules");
const modelsDir = path.join(modules, "kubernetes-models");

function modelFile(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  const dir = group ? path.join(modelsDir, group, version) : path.join(modelsDir, version);
  return path.join(dir, `${kind}.js`);
}

export function modelsVersion() {
  const req = createRequire(import.meta.url);
  return JSON.parse(fs.readFileSync(path.join(modelsDir, "package.json"), "utf8")).version;
}

export async function validateSchema(obj) {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string")
    return ["apiVersion and kind must be strings"];
  const file = modelFile(apiVersion, kind);
  if (!fs.existsSync(file)) return [`${apiVersion} ${kind} is not a Kubernetes API type (unknown to kubernetes-models)`];
  const mod = await import(pathToFileURL(file).href);
  const Cls = mod[kind];
  const errors = [];
  try {
    new Cls(structuredClone(obj)).validate();
  } catch (e) {
    errors.push(`schema: ${e.message}`);
  }
  const dts = file.replace(/\.js$/, ".d.ts");
  if (!parseDts(dts)) errors.push(`cannot read the field list of ${apiVersion} ${kind} (${dts})`);
  else errors.push(...strictFields(obj, dts, ""));
  return errors;
}

// --- strict field check -------------------------------------------------------------
const dtsCache = new Map();

function resolveImport(spec, fromFile) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, ".d.ts"));
  return path.join(modules, spec.replace(/\.js$/, "") + ".d.ts");
}

function parseDts(file) {
  if (dtsCache.has(file)) return dtsCache.get(file);
  let info = null;
  if (fs.existsSync(file)) {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const imports = new Map();
    for (const l of lines) {
      const m = /^import \{ (\w+) \} from "([^"]+)";/.exec(l);
      if (m) imports.set(m[1], resolveImport(m[2], file));
    }
    const start = lines.findIndex((l) => /^export interface I\w+( extends [\w<>, ]+)? \{/.test(l));
    if (start >= 0) {
      const props = new Map();
      for (let i = start + 1; i < lines.length && lines[i] !== "}"; i++) {
        const m = /^ {4}"([^"]+)"\??: (.*?);?$/.exec(lines[i]);
        if (m) props.set(m[1], m[2]);
      }
      info = { props, imports };
    }
  }
  dtsCache.set(file, info);
  return info;
}

function typeTarget(type, info) {
  let t = type.trim();
  let array = 0;
  while (/^Array<.*>$/.test(t)) { t = t.slice(6, -1).trim(); array++; }
  if (info.imports.has(t)) return { array, file: info.imports.get(t) };
  return { array, file: null };  // string, number, union of literals, map ({ ... }), etc.
}

function strictFields(value, file, at) {
  const info = parseDts(file);
  if (!info || value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const errors = [];
  for (const [key, v] of Object.entries(value)) {
    if (!info.props.has(key)) {
      errors.push(`unknown field "${at ? at + "." : ""}${key}" (kubectl apply rejects it)`);
      continue;
    }
    const { array, file: target } = typeTarget(info.props.get(key), info);
    if (!target) continue;
    const visit = (x, depth, p) => {
      if (depth > 0) {
        if (Array.isArray(x)) x.forEach((e, i) => visit(e, depth - 1, `${p}[${i}]`));
        return;
      }
      errors.push(...strictFields(x, target, p));
    };
    visit(v, array, `${at ? at + "." : ""}${key}`);
  }
  return errors;
}
