// Load k8s manifests the way `kubectl apply -f DIR` reads them: the *.yaml, *.yml and
// *.json files directly in DIR (not recursive), in lexical order, multi-document YAML.
// YAML 1.1 semantics, like kubectl's YAML library (so `on`/`yes` are booleans, 0555 is
// octal); duplicate keys are errors.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

export function loadDir(dir) {
  const errors = [];
  const objects = [];
  const files = fs.readdirSync(dir).sort();
  for (const name of files) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isDirectory()) continue;  // kubectl apply -f DIR does not recurse
    if (!/\.(ya?ml|json)$/.test(name)) continue;
    objects.push(...loadText(fs.readFileSync(file, "utf8"), name, errors));
  }
  return { objects, errors, files: files.filter((n) => /\.(ya?ml|json)$/.test(n)) };
}

export function loadText(text, name, errors) {
  const out = [];
  const docs = YAML.parseAllDocuments(text, { version: "1.1", uniqueKeys: true, prettyErrors: true });
  docs.forEach((doc, i) => {
    for (const e of [...doc.errors, ...doc.warnings]) errors.push(`${name}: document ${i + 1}: ${e.message}`);
    if (doc.errors.length) return;
    let obj;
    try {
      obj = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      errors.push(`${name}: document ${i + 1}: ${e.message}`);
      return;
    }
    if (obj === null || obj === undefined) return;
    if (typeof obj !== "object" || Array.isArray(obj)) {
      errors.push(`${name}: document ${i + 1}: not a Kubernetes object (a mapping)`);
      return;
    }
    out.push({ file: name, doc: i + 1, obj });
  });
  return out;
}

export const where = (m) =>
  `${m.file}#${m.doc} ${m.obj?.kind ?? "?"}/${m.obj?.metadata?.name ?? "?"}`;
