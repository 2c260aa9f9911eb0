#!/usr/bin/env node
// Offline validation of Parley's Kubernetes manifests (k8s/), without a cluster:
//   1. every file parses (YAML 1.1 like kubectl, duplicate keys rejected);
//   2. every object validates against the Kubernetes OpenAPI schema (kubernetes-models
//      validators) and has no unknown fields (kubectl's strict validation);
//   3. no removed or pre-GA API version;
//   4. cross-checks: Service selectors/targetPorts ↔ pod templates, Secret/ConfigMap keys,
//      image tags ↔ scripts/k8s-build-images.sh, probe ports ↔ container ports, security
//      contexts, resources, PDBs, NetworkPolicies (only the back end reaches PostgreSQL),
//      service URLs ↔ Services, the SPEC's deployment contract;
//   5. the db-scripts ConfigMap's shell scripts pass `sh -n`.
// `--self-test` breaks the manifests in memory in known ways and checks each is caught.
// Prints one line per problem and a closing "N passed, N failed" line; exit 1 on failure.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { loadDir, loadText, where } from "./lib/load.mjs";
import { validateSchema, modelsVersion } from "./lib/schema.mjs";
import { runChecks } from "./lib/checks.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = process.env.PARLEY_ROOT ?? path.resolve(here, "..", "..");
const k8sDir = path.join(root, "k8s");
const selfTest = process.argv.includes("--self-test");

function context() {
  const sh = (script, args = []) => execFileSync("bash", [path.join(root, "scripts", script), ...args], { encoding: "utf8" });
  const buildTags = new Set(sh("k8s-build-images.sh", ["--print-tags"]).split("\n").filter(Boolean));
  const errors = [];
  const generatedSecrets = loadText(sh("k8s-secrets.sh"), "k8s-secrets.sh output", errors);
  if (errors.length) throw new Error(errors.join("\n"));
  const secretsFiles = new Map(fs.readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f))
    .map((f) => [f, fs.readFileSync(path.join(k8sDir, f), "utf8")]));
  const brokerUsers = Object.fromEntries(execFileSync("sh", [path.join(root, "scripts", "rabbitmq-users.sh"), "--print"], { encoding: "utf8" })
    .split("\n").filter(Boolean).map((l) => { const [u, configure, write, read] = l.split("\t"); return [u, { configure, write, read }]; }));
  return { buildTags, generatedSecrets, secretsFiles, brokerUsers };
}

async function validate(objects, ctx) {
  const problems = [];
  for (const m of objects) for (const e of await validateSchema(m.obj)) problems.push(`${where(m)}: ${e}`);
  problems.push(...runChecks(objects, ctx));
  // Shell scripts shipped in ConfigMaps: syntax check with the POSIX shell.
  for (const m of objects.filter((m) => m.obj.kind === "ConfigMap"))
    for (const [key, text] of Object.entries(m.obj.data ?? {}))
      if (key.endsWith(".sh") || String(text).startsWith("#!/bin/sh")) {
        try { execFileSync("sh", ["-n"], { input: text, stdio: ["pipe", "pipe", "pipe"] }); }
        catch (e) { problems.push(`${where(m)}: ${key}: sh -n: ${String(e.stderr).trim()}`); }
      }
  return problems;
}

// Each mutation breaks one rule; the validator must report it (message matching `expect`).
const mutations = [
  ["Service selector that matches nothing", /matches no pod template/, (o) => { o.svc("front-end").spec.selector["app.kubernetes.io/name"] = "frontend"; }],
  ["Service targetPort not declared", /targetPort .* is not declared/, (o) => { o.svc("chat-server").spec.ports[0].targetPort = "chatt"; }],
  ["missing Secret key", /has no key app-password/, (o) => { delete o.get("Secret", "postgres-credentials").stringData["app-password"]; }],
  ["missing ConfigMap", /ConfigMap db-schema is not defined/, (o) => { o.drop("ConfigMap", "db-schema"); }],
  ["missing ConfigMap key", /has no key COOKIE_SECURE/, (o) => { delete o.get("ConfigMap", "parley-config").data.COOKIE_SECURE; }],
  ["image tag the build script does not produce", /not one that scripts\/k8s-build-images.sh produces/, (o) => { o.pod("Deployment", "back-end").containers[0].image = "parley/back-end:9.9.9"; }],
  [":latest", /uses :latest/, (o) => { o.pod("StatefulSet", "rabbitmq").containers[0].image = "rabbitmq:latest"; }],
  ["untagged image", /has no tag/, (o) => { o.pod("StatefulSet", "db-primary").containers[0].image = "postgres"; }],
  ["probe on an undeclared port", /port admin2 is not declared/, (o) => { o.pod("Deployment", "back-end").containers[0].livenessProbe.httpGet.port = "admin2"; }],
  ["probe on the wrong health port", /not the daemon's health port/, (o) => { const c = o.pod("Deployment", "chat-server").containers[0]; c.ports.push({ name: "x", containerPort: 9000 }); c.readinessProbe.httpGet.port = "x"; }],
  ["removed API version", /has been removed/, (o) => { o.get("PodDisruptionBudget", "back-end").apiVersion = "policy/v1beta1"; }],
  ["RBAC v1beta1", /has been removed|not a Kubernetes API type/, (o) => { o.get("Role", "rabbitmq-peer-discovery").apiVersion = "rbac.authorization.k8s.io/v1beta1"; }],
  ["unknown field (typo)", /unknown field .*readinesProbe/, (o) => { const c = o.pod("Deployment", "front-end").containers[0]; c.readinesProbe = c.readinessProbe; }],
  ["schema type error", /schema: .*containerPort/, (o) => { o.pod("Deployment", "front-end").containers[0].ports[0].containerPort = "8080"; }],
  ["missing readiness probe", /no readinessProbe/, (o) => { delete o.pod("StatefulSet", "db-standby").containers[0].readinessProbe; }],
  ["missing resource limits", /resources.limits.memory missing/, (o) => { delete o.pod("Deployment", "chat-server").containers[0].resources.limits.memory; }],
  ["root allowed", /runAsNonRoot must be true/, (o) => { delete o.pod("Deployment", "back-end").securityContext.runAsNonRoot; }],
  ["writable root filesystem", /readOnlyRootFilesystem must be true/, (o) => { o.pod("Deployment", "front-end").containers[0].securityContext.readOnlyRootFilesystem = false; }],
  ["capabilities kept", /capabilities must drop ALL/, (o) => { o.pod("StatefulSet", "rabbitmq").initContainers[0].securityContext = { ...o.pod("StatefulSet", "rabbitmq").initContainers[0].securityContext, capabilities: { drop: ["NET_RAW"] } }; }],
  ["front end allowed into PostgreSQL", /lets Deployment\/front-end reach PostgreSQL/, (o) => { o.get("NetworkPolicy", "postgresql-ingress").spec.ingress[0].from.push({ podSelector: { matchLabels: { "app.kubernetes.io/name": "front-end" } } }); }],
  ["PostgreSQL open to everyone", /ingress rule without "from"/, (o) => { delete o.get("NetworkPolicy", "postgresql-ingress").spec.ingress[0].from; }],
  ["Service closed by NetworkPolicy", /closed by the NetworkPolicies/, (o) => { o.get("NetworkPolicy", "front-end-ingress").spec.ingress[0].ports[0].port = 8081; }],
  ["no PodDisruptionBudget", /no PodDisruptionBudget covers/, (o) => { o.drop("PodDisruptionBudget", "chat-server"); }],
  ["URL to a host that is no Service", /which is no Service/, (o) => { o.get("ConfigMap", "parley-config").data.DATABASE_RW_HOST = "postgres"; }],
  ["undefined $(VAR)", /refers to \$\(AMQP_PASS\)/, (o) => { const e = o.pod("Deployment", "front-end").containers[0].env.find((x) => x.name === "AMQP_URL"); e.value = e.value.replace("AMQP_PASSWORD", "AMQP_PASS"); }],
  ["db-r selecting the primary", /db-r must select only the standbys/, (o) => { o.svc("db-r").spec.selector["app.kubernetes.io/component"] = "primary"; }],
  ["replica count", /replicas must be 3/, (o) => { o.get("Deployment", "front-end").spec.replicas = 1; }],
  ["RabbitMQ suffix mismatch", /hostname_suffix/, (o) => { const c = o.get("ConfigMap", "rabbitmq-config"); c.data["rabbitmq.conf"] = c.data["rabbitmq.conf"].replace(".rabbitmq-headless.parley", ".rabbitmq.parley"); }],
  ["RabbitMQ without RBAC", /Role granting get on endpoints/, (o) => { o.get("Role", "rabbitmq-peer-discovery").rules = [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]; }],
  ["shell syntax error", /sh -n/, (o) => { o.get("ConfigMap", "db-scripts").data["standby-clone.sh"] += "\nif then fi\n"; }],
  ["script missing from ConfigMap", /runs \/scripts\/stop.sh: ConfigMap db-scripts has no key stop.sh/, (o) => { delete o.get("ConfigMap", "db-scripts").data["stop.sh"]; }],
  ["Secret not marked as development default", /development-default/, (o) => { delete o.get("Secret", "front-end-session").metadata.labels["parley.dev/development-default"]; }],
  ["short SESSION_SECRET", /at least 32 characters/, (o) => { o.get("Secret", "front-end-session").stringData["session-secret"] = "short"; }],
  ["object outside the namespace", /must set metadata.namespace/, (o) => { delete o.get("Service", "db-rw").metadata.namespace; }],
  ["RabbitMQ Service not named messaging", /Service messaging .* is missing/, (o) => { o.svc("messaging").metadata.name = "rabbitmq"; }],
  ["AMQP_URL host not messaging", /AMQP_URL must point at Service messaging/, (o) => { o.get("ConfigMap", "parley-config").data.AMQP_HOST = "rabbitmq"; }],
  ["broker permissions drift", /definitions.json permissions differ/, (o) => { const c = o.get("ConfigMap", "rabbitmq-config"); c.data["definitions.json"] = c.data["definitions.json"].replace('"write": "^amq\\\\.default$"', '"write": ".*"'); }],
  ["daemon on the administrator's RabbitMQ user", /must come from its own Secret amqp-chat-server/, (o) => { o.pod("Deployment", "chat-server").containers[0].env.find((e) => e.name === "AMQP_USER").valueFrom.secretKeyRef.name = "rabbitmq-credentials"; }],
  ["grace period too short", /grace period 10s/, (o) => { o.pod("Deployment", "chat-server").terminationGracePeriodSeconds = 10; }],
];

function mutable(objects) {
  const copy = structuredClone(objects);
  const find = (kind, name) => copy.find((m) => m.obj.kind === kind && m.obj.metadata?.name === name);
  const o = {
    objects: copy,
    get: (kind, name) => { const m = find(kind, name); if (!m) throw new Error(`self-test: no ${kind} ${name}`); return m.obj; },
    svc: (name) => o.get("Service", name),
    pod: (kind, name) => o.get(kind, name).spec.template.spec,
    drop: (kind, name) => { copy.splice(copy.indexOf(find(kind, name)), 1); },
  };
  return o;
}

async function main() {
  console.log(`k8s validation: ${k8sDir} against the Kubernetes OpenAPI schema of kubernetes-models ${modelsVersion()}`);
  const { objects, errors, files } = loadDir(k8sDir);
  const ctx = context();
  let passed = 0, failed = 0;
  const report = (ok, label, problems = []) => {
    ok ? passed++ : failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${label}`);
    for (const p of problems) console.log(`       ${p}`);
  };
  report(errors.length === 0, `parse ${files.length} files, ${objects.length} objects`, errors);
  const problems = await validate(objects, ctx);
  report(problems.length === 0, "schema, API versions and cross-checks", problems);
  if (selfTest) {
    for (const [label, expect, mutate] of mutations) {
      const o = mutable(objects);
      mutate(o);
      const got = await validate(o.objects, ctx);
      const hit = got.some((p) => expect.test(p));
      report(hit, `self-test: detects ${label}`, hit ? [] : [`expected a problem matching ${expect}, got:`, ...got.slice(0, 5)]);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });
