#!/usr/bin/env node
// ctest k8s-schema-sync: the committed k8s/20-db-schema.yaml is exactly what
// scripts/k8s-schema-configmap.sh generates from db/*.sql, and its ConfigMap holds every
// db/*.sql file byte for byte (and nothing else). Also runs the generator on awkward
// inputs (no final newline, extra blank lines, leading blanks, tabs, YAML-looking text)
// and checks they survive the round trip through YAML.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { loadText } from "./lib/load.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = process.env.PARLEY_ROOT ?? path.resolve(here, "..", "..");
const gen = path.join(root, "scripts", "k8s-schema-configmap.sh");
const committed = path.join(root, "k8s", "20-db-schema.yaml");
let passed = 0, failed = 0;
const report = (ok, label, details = []) => {
  ok ? passed++ : failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${label}`);
  for (const d of details) console.log(`       ${d}`);
};

function generate(dbDir) {
  return execFileSync("bash", [gen, "-o", "-"], {
    encoding: "utf8", env: { ...process.env, ...(dbDir ? { PARLEY_DB_DIR: dbDir } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function configMapData(text, name) {
  const errors = [];
  const objs = loadText(text, name, errors);
  if (errors.length) return { errors };
  const cm = objs.find((m) => m.obj.kind === "ConfigMap" && m.obj.metadata?.name === "db-schema");
  return cm ? { data: cm.obj.data ?? {} } : { errors: [`${name}: no ConfigMap db-schema`] };
}

function compare(dbDir, data) {
  const problems = [];
  const files = fs.existsSync(dbDir) ? fs.readdirSync(dbDir).filter((f) => f.endsWith(".sql")).sort() : [];
  for (const f of files) {
    const want = fs.readFileSync(path.join(dbDir, f), "utf8");
    if (!(f in data)) problems.push(`${f} is missing from the ConfigMap`);
    else if (data[f] !== want) problems.push(`${f} differs (ConfigMap ${JSON.stringify(data[f]).slice(0, 80)}… vs file ${JSON.stringify(want).slice(0, 80)}…)`);
  }
  for (const k of Object.keys(data)) if (!files.includes(k)) problems.push(`${k} is in the ConfigMap but not in db/`);
  return problems;
}

// 1. committed file == generator output
const fresh = generate();
const current = fs.existsSync(committed) ? fs.readFileSync(committed, "utf8") : "";
report(fresh === current, "k8s/20-db-schema.yaml is up to date with db/*.sql",
  fresh === current ? [] : ["run scripts/k8s-schema-configmap.sh and commit k8s/20-db-schema.yaml"]);

// 2. committed ConfigMap carries db/*.sql byte for byte
{
  const { data, errors } = configMapData(current, "20-db-schema.yaml");
  const problems = errors ?? compare(path.join(root, "db"), data);
  report(problems.length === 0, "db-schema ConfigMap holds exactly db/*.sql", problems);
}

// 3. generator round trip on awkward inputs
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-schema-"));
  try {
    const cases = {
      "001-plain.sql": "CREATE TABLE t (x int);\n",
      "002-no-final-newline.sql": "SELECT 1;",
      "003-blank-lines.sql": "\n\nSELECT 1;\n\n\n",
      "004-leading-blanks.sql": "    -- indented first line\n\tSELECT 2;\n  \n",
      "005-yaml-lookalike.sql": "---\n...\n# not a comment: key: value\n- item\n'quoted' \"dq\" |x >y\n",
      "006-unicode.sql": "COMMENT ON TABLE t IS 'Grüße – ☃';\n",
      "007-empty.sql": "",
      "008-only-newlines.sql": "\n\n",
      "009-trailing-spaces.sql": "SELECT 1;   \n   \nSELECT 2;\t\n",
      "010-quoted-fallback.sql": "SELECT E'\\\\' AS \"x\";\n\t  \n",
    };
    for (const [f, text] of Object.entries(cases)) fs.writeFileSync(path.join(dir, f), text);
    const { data, errors } = configMapData(generate(dir), "generated");
    const problems = errors ?? compare(dir, data);
    report(problems.length === 0, "generator preserves awkward files exactly", problems);
    fs.writeFileSync(path.join(dir, "010-crlf.sql"), "SELECT 1;\r\n");
    let rejected = false;
    try { generate(dir); } catch { rejected = true; }
    report(rejected, "generator rejects CRLF files instead of corrupting them");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
