// Policy and cross-reference checks over the whole k8s/ manifest set. Each check pushes
// human-readable problems into `errs`; an empty list means the set is consistent.
import { where } from "./load.mjs";

export const NAMESPACE = "parley";
const CLUSTER_SCOPED = new Set([
  "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
  "PriorityClass", "CustomResourceDefinition", "IngressClass", "RuntimeClass",
]);
// API versions removed from Kubernetes (deprecation guide) -- and, as house rule, no
// alpha/beta versions at all.
const REMOVED = new Set([
  "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2", "policy/v1beta1",
  "rbac.authorization.k8s.io/v1alpha1", "rbac.authorization.k8s.io/v1beta1",
  "networking.k8s.io/v1beta1", "batch/v1beta1", "batch/v2alpha1", "autoscaling/v2beta1",
  "autoscaling/v2beta2", "storage.k8s.io/v1beta1", "scheduling.k8s.io/v1beta1",
  "scheduling.k8s.io/v1alpha1", "admissionregistration.k8s.io/v1beta1",
  "apiextensions.k8s.io/v1beta1", "apiregistration.k8s.io/v1beta1",
  "certificates.k8s.io/v1beta1", "coordination.k8s.io/v1beta1", "discovery.k8s.io/v1beta1",
  "events.k8s.io/v1beta1", "node.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta1",
  "flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3",
  "authentication.k8s.io/v1beta1", "authorization.k8s.io/v1beta1",
]);
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);
const DAEMONS = ["back-end", "front-end", "chat-server"];
const PARLEY_UID = 10001;

// --- helpers --------------------------------------------------------------------------
export function matchSelector(sel, labels = {}) {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}
const matchMap = (map, labels) => matchSelector({ matchLabels: map }, labels);

function parseQuantity(q) {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
  if (!m) return NaN;
  const mult = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2]];
  return mult === undefined ? NaN : Number(m[1]) * mult;
}

const imageRepo = (img) => img.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
const imageTag = (img) => { const m = /:([^/:@]+)(@.*)?$/.exec(img); return m ? m[1] : null; };

export function index(objects) {
  const by = new Map();
  for (const m of objects) {
    const o = m.obj;
    const key = `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
    by.set(key, m);
  }
  const get = (kind, ns, name) => by.get(`${kind}/${ns ?? ""}/${name}`);
  const templates = objects
    .filter((m) => WORKLOADS.has(m.obj.kind))
    .map((m) => ({
      m, name: m.obj.metadata?.name, ns: m.obj.metadata?.namespace,
      labels: m.obj.spec?.template?.metadata?.labels ?? {}, pod: m.obj.spec?.template?.spec ?? {},
    }));
  return { get, templates };
}

function containersOf(pod) {
  return [
    ...(pod.initContainers ?? []).map((c) => ({ c, init: true })),
    ...(pod.containers ?? []).map((c) => ({ c, init: false })),
  ];
}

function portDeclared(containers, port) {
  return containers.some((c) =>
    (c.ports ?? []).some((p) => (typeof port === "string" ? p.name === port : p.containerPort === port)));
}
function resolvePort(containers, port) {
  if (typeof port === "number") return port;
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === port) return p.containerPort;
  return undefined;
}

// Resolve a container's environment like the kubelet: literal values, $(VAR) expansion of
// earlier variables, and values from ConfigMaps/Secrets in the manifest set.
export function resolveEnv(c, ns, ix) {
  const env = new Map();
  const problems = [];
  for (const e of c.env ?? []) {
    let v;
    if (e.value !== undefined) {
      v = String(e.value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name) => {
        if (all === "$$") return "$";
        if (!env.has(name)) { problems.push(`env ${e.name} refers to $(${name}), which is not defined before it`); return all; }
        return env.get(name);
      });
    } else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
      const kind = e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap";
      const src = ix.get(kind, ns, ref.name)?.obj;
      v = src?.stringData?.[ref.key] ?? src?.data?.[ref.key];
      if (v !== undefined && kind === "Secret" && src?.data?.[ref.key] !== undefined && src?.stringData?.[ref.key] === undefined)
        v = Buffer.from(String(v), "base64").toString("utf8");
    }
    env.set(e.name, v === undefined ? undefined : String(v));
  }
  for (const arg of [...(c.command ?? []), ...(c.args ?? [])])
    for (const m of String(arg).matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
      if (!env.has(m[1])) problems.push(`command/args refer to $(${m[1]}), which is not in env`);
  return { env, problems };
}

// --- the checks ---------------------------------------------------------------------
export function runChecks(objects, ctx) {
  const errs = [];
  const err = (m, msg) => errs.push(`${m ? where(m) + ": " : ""}${msg}`);
  const ix = index(objects);
  const { templates } = ix;
  const all = (kind) => objects.filter((m) => m.obj.kind === kind);

  // API versions, namespaces, names
  const nsObj = all("Namespace").find((m) => m.obj.metadata?.name === NAMESPACE);
  if (!nsObj) err(null, `no Namespace "${NAMESPACE}"`);
  for (const m of objects) {
    const { apiVersion, kind, metadata } = m.obj;
    if (REMOVED.has(apiVersion)) err(m, `apiVersion ${apiVersion} has been removed from Kubernetes`);
    else if (/v\d+(alpha|beta)\d+/.test(apiVersion ?? "")) err(m, `apiVersion ${apiVersion} is not a stable (GA) API`);
    if (!metadata?.name) err(m, "metadata.name missing");
    if (CLUSTER_SCOPED.has(kind)) continue;
    if (metadata?.namespace !== NAMESPACE) err(m, `must set metadata.namespace: ${NAMESPACE} (is ${metadata?.namespace})`);
    if (nsObj && m.file < nsObj.file) err(m, `is applied before the Namespace (file ${nsObj.file} sorts after ${m.file})`);
  }
  const seen = new Set();
  for (const m of objects) {
    const k = `${m.obj.kind}/${m.obj.metadata?.namespace}/${m.obj.metadata?.name}`;
    if (seen.has(k)) err(m, "defined twice"); seen.add(k);
  }

  // Workloads: selector ↔ template, pods' security, resources, probes, images, references
  for (const t of templates) {
    const { m, pod, ns } = t;
    if (!matchSelector(m.obj.spec?.selector, t.labels)) err(m, "spec.selector does not match the pod template's labels");
    if (m.obj.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"] === undefined)
      err(m, "pod template lacks the label app.kubernetes.io/name");
    checkPodSecurity(m, pod, err);
    if (pod.terminationGracePeriodSeconds === undefined) err(m, "terminationGracePeriodSeconds must be set explicitly");
    const sa = pod.serviceAccountName;
    if (!sa) err(m, "must run under its own ServiceAccount (serviceAccountName)");
    else if (!ix.get("ServiceAccount", ns, sa)) err(m, `ServiceAccount ${sa} is not defined`);
    const bound = all("RoleBinding").some((rb) => (rb.obj.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === sa));
    if (pod.automountServiceAccountToken !== false && !bound)
      err(m, `mounts a service-account token it has no use for (set automountServiceAccountToken: false)`);
    checkVolumesRefs(m, pod, ns, ix, err);
    for (const { c, init } of containersOf(pod)) {
      const cw = `container ${c.name}`;
      checkImage(m, c, cw, ctx, err);
      checkResources(m, c, cw, err);
      const { env, problems } = resolveEnv(c, ns, ix);
      problems.forEach((p) => err(m, `${cw}: ${p}`));
      checkEnvRefs(m, c, cw, ns, ix, err);
      if (!init) checkProbes(m, c, cw, env, err);
      for (const [name, hook] of Object.entries(c.lifecycle ?? {})) {
        const s = hook?.sleep?.seconds;
        if (s !== undefined && s >= (pod.terminationGracePeriodSeconds ?? 30))
          err(m, `${cw}: ${name} sleeps ${s}s, not less than the grace period`);
      }
      checkUrls(m, c, cw, env, ns, ix, err);
    }
  }

  // Services
  for (const s of all("Service")) {
    const sel = s.obj.spec?.selector;
    if (!sel) { err(s, "has no selector"); continue; }
    const hits = templates.filter((t) => t.ns === s.obj.metadata.namespace && matchMap(sel, t.labels));
    if (!hits.length) { err(s, `selector ${JSON.stringify(sel)} matches no pod template`); continue; }
    for (const p of s.obj.spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      for (const t of hits)
        if (!portDeclared(t.pod.containers ?? [], target))
          err(s, `port ${p.name ?? p.port}: targetPort ${target} is not declared by ${t.m.obj.kind}/${t.name}`);
    }
  }
  for (const t of templates.filter((t) => t.m.obj.kind === "StatefulSet")) {
    const svc = ix.get("Service", t.ns, t.m.obj.spec.serviceName)?.obj;
    if (!svc) err(t.m, `serviceName ${t.m.obj.spec.serviceName} is not a Service`);
    else {
      if (svc.spec.clusterIP !== "None") err(t.m, `serviceName ${svc.metadata.name} must be headless (clusterIP: None)`);
      if (!matchMap(svc.spec.selector, t.labels)) err(t.m, `governing Service ${svc.metadata.name} does not select its pods`);
    }
  }

  // RBAC
  for (const rb of all("RoleBinding")) {
    const ref = rb.obj.roleRef ?? {};
    if (ref.kind === "Role" && !ix.get("Role", rb.obj.metadata.namespace, ref.name)) err(rb, `roleRef Role ${ref.name} is not defined`);
    for (const s of rb.obj.subjects ?? [])
      if (s.kind === "ServiceAccount" && !ix.get("ServiceAccount", s.namespace ?? rb.obj.metadata.namespace, s.name))
        err(rb, `subject ServiceAccount ${s.name} is not defined`);
  }

  // PodDisruptionBudgets: every workload is covered by exactly one (eviction fails with two)
  const pdbs = all("PodDisruptionBudget");
  for (const p of pdbs)
    if (!templates.some((t) => matchSelector(p.obj.spec?.selector, t.labels))) err(p, "selects no pod template");
  for (const t of templates) {
    const n = pdbs.filter((p) => p.obj.metadata.namespace === t.ns && matchSelector(p.obj.spec?.selector, t.labels)).length;
    if (n === 0) err(t.m, "no PodDisruptionBudget covers its pods");
    if (n > 1) err(t.m, `${n} PodDisruptionBudgets cover its pods (evictions would fail)`);
  }

  checkNetworkPolicies(objects, templates, all, err);
  checkSecretsMarked(all, ctx, err);
  checkBrokerUsers(ix, ctx, err);
  checkContract(objects, ix, all, ctx, err);
  return errs;
}

// SPEC §3.5: RabbitMQ's definitions give each daemon's user the permissions of
// scripts/rabbitmq-users.sh (ctx.brokerUsers: user -> {configure, write, read}), and each
// Deployment logs in as its own user from its own Secret, never the administrator's.
function checkBrokerUsers(ix, ctx, err) {
  if (!ctx.brokerUsers) return;
  const cm = ix.get("ConfigMap", NAMESPACE, "rabbitmq-config");
  let defs;
  try { defs = JSON.parse(cm?.obj.data?.["definitions.json"] ?? ""); }
  catch (e) { err(cm, `definitions.json: ${e.message}`); return; }
  const daemonUsers = (defs.permissions ?? []).filter((p) => !p.user.startsWith("@"));
  const got = Object.fromEntries(daemonUsers.map((p) => [p.user, { configure: p.configure, write: p.write, read: p.read }]));
  const norm = (o) => JSON.stringify(Object.keys(o).sort().map((u) => [u, o[u].configure, o[u].write, o[u].read]));
  if (norm(got) !== norm(ctx.brokerUsers))
    err(cm, "definitions.json permissions differ from scripts/rabbitmq-users.sh --print");
  for (const [daemon, user] of [["front-end", "parley-front"], ["back-end", "parley-back"], ["chat-server", "parley-chat"]]) {
    const d = ix.get("Deployment", NAMESPACE, daemon);
    if (!d) continue;
    const env = d.obj.spec.template.spec.containers[0].env ?? [];
    for (const name of ["AMQP_USER", "AMQP_PASSWORD"]) {
      const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      if (ref?.name !== `amqp-${daemon}`) err(d, `${name} must come from its own Secret amqp-${daemon} (SPEC §3.5), not ${ref?.name}`);
    }
    const secret = ix.get("Secret", NAMESPACE, `amqp-${daemon}`);
    if (secret && secret.obj.stringData?.username !== user) err(secret, `username must be ${user}, the user definitions.json defines`);
  }
}

function checkPodSecurity(m, pod, err) {
  const psc = pod.securityContext ?? {};
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[k]) err(m, `${k} is not allowed`);
  for (const v of pod.volumes ?? []) if (v.hostPath) err(m, `volume ${v.name}: hostPath is not allowed`);
  for (const { c } of containersOf(pod)) {
    const sc = c.securityContext ?? {};
    const cw = `container ${c.name}`;
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) err(m, `${cw}: runAsNonRoot must be true`);
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (uid === 0) err(m, `${cw}: runAsUser 0`);
    if (String(c.image ?? "").startsWith("parley/") && uid !== PARLEY_UID)
      err(m, `${cw}: Parley images run as uid ${PARLEY_UID} (runAsUser is ${uid})`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") err(m, `${cw}: seccompProfile must be RuntimeDefault`);
    if (sc.allowPrivilegeEscalation !== false) err(m, `${cw}: allowPrivilegeEscalation must be false`);
    if (sc.privileged) err(m, `${cw}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) err(m, `${cw}: capabilities must drop ALL`);
    if ((sc.capabilities?.add ?? []).length) err(m, `${cw}: adds capabilities`);
    if (sc.readOnlyRootFilesystem !== true) err(m, `${cw}: readOnlyRootFilesystem must be true`);
  }
}

function checkImage(m, c, cw, ctx, err) {
  const img = c.image;
  if (!img) return err(m, `${cw}: no image`);
  const tag = imageTag(img);
  if (!tag && !img.includes("@sha256:")) return err(m, `${cw}: image ${img} has no tag (means :latest)`);
  if (tag === "latest") return err(m, `${cw}: image ${img} uses :latest`);
  if (img.startsWith("parley/")) {
    if (!ctx.buildTags.has(img))
      err(m, `${cw}: image ${img} is not one that scripts/k8s-build-images.sh produces (${[...ctx.buildTags].join(", ")})`);
    if (!["IfNotPresent", "Never"].includes(c.imagePullPolicy))
      err(m, `${cw}: locally built image needs imagePullPolicy IfNotPresent or Never`);
  } else if (!/^\d+\.\d+(\.\d+)?([-.][A-Za-z0-9.-]+)?$/.test(tag ?? "")) {
    err(m, `${cw}: image ${img}: pin a major.minor[.patch] version tag`);
  }
}

function checkResources(m, c, cw, err) {
  const r = c.resources ?? {};
  for (const kind of ["requests", "limits"])
    for (const res of ["cpu", "memory"])
      if (r[kind]?.[res] === undefined) err(m, `${cw}: resources.${kind}.${res} missing`);
  for (const res of ["cpu", "memory"]) {
    const q = parseQuantity(r.requests?.[res]), l = parseQuantity(r.limits?.[res]);
    if (q > l) err(m, `${cw}: ${res} request ${r.requests[res]} exceeds limit ${r.limits[res]}`);
  }
}

function checkEnvRefs(m, c, cw, ns, ix, err) {
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    if (!ref || ref.optional) continue;
    const kind = e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap";
    checkKey(m, `${cw}: env ${e.name}`, kind, ns, ref.name, ref.key, ix, err);
  }
  for (const f of c.envFrom ?? []) {
    const ref = f.secretRef ?? f.configMapRef;
    const kind = f.secretRef ? "Secret" : "ConfigMap";
    if (ref && !ref.optional && !ix.get(kind, ns, ref.name)) err(m, `${cw}: envFrom ${kind} ${ref.name} is not defined`);
  }
}

function checkKey(m, what, kind, ns, name, key, ix, err) {
  const src = ix.get(kind, ns, name)?.obj;
  if (!src) return err(m, `${what}: ${kind} ${name} is not defined`);
  if (key === undefined) return;
  const keys = new Set([...Object.keys(src.data ?? {}), ...Object.keys(src.stringData ?? {}), ...Object.keys(src.binaryData ?? {})]);
  if (!keys.has(key)) err(m, `${what}: ${kind} ${name} has no key ${key}`);
}

function checkVolumesRefs(m, pod, ns, ix, err) {
  const vols = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const claims = new Set((m.obj.spec?.volumeClaimTemplates ?? []).map((v) => v.metadata?.name));
  for (const v of pod.volumes ?? []) {
    const sources = [];
    if (v.secret) sources.push(["Secret", v.secret.secretName, v.secret.items, v.secret.optional]);
    if (v.configMap) sources.push(["ConfigMap", v.configMap.name, v.configMap.items, v.configMap.optional]);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) sources.push(["Secret", s.secret.name, s.secret.items, s.secret.optional]);
      if (s.configMap) sources.push(["ConfigMap", s.configMap.name, s.configMap.items, s.configMap.optional]);
    }
    for (const [kind, name, items, optional] of sources) {
      if (optional) continue;
      checkKey(m, `volume ${v.name}`, kind, ns, name, undefined, ix, err);
      for (const it of items ?? []) checkKey(m, `volume ${v.name}`, kind, ns, name, it.key, ix, err);
    }
  }
  for (const { c } of containersOf(pod))
    for (const vm of c.volumeMounts ?? [])
      if (!vols.has(vm.name) && !claims.has(vm.name)) err(m, `container ${c.name}: volumeMount ${vm.name} has no volume`);
  // Scripts run from a ConfigMap mounted at some path must exist in it.
  for (const { c } of containersOf(pod)) {
    const hooks = [c.command ?? [], c.lifecycle?.preStop?.exec?.command ?? []];
    for (const argv of hooks)
      for (const a of argv) {
        for (const vm of c.volumeMounts ?? []) {
          const v = vols.get(vm.name);
          if (!v?.configMap || !String(a).startsWith(vm.mountPath + "/")) continue;
          const key = String(a).slice(vm.mountPath.length + 1);
          checkKey(m, `container ${c.name}: runs ${a}`, "ConfigMap", ns, v.configMap.name, key, ix, err);
        }
      }
  }
}

function checkProbes(m, c, cw, env, err) {
  if (!c.readinessProbe) err(m, `${cw}: no readinessProbe`);
  if (!c.livenessProbe) err(m, `${cw}: no livenessProbe`);
  for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    const p = c[kind];
    if (!p) continue;
    const action = p.httpGet ?? p.tcpSocket ?? p.grpc;
    if (action && !portDeclared([c], action.port)) err(m, `${cw}: ${kind} port ${action.port} is not declared in the container's ports`);
    if (p.exec && !(p.exec.command ?? []).length) err(m, `${cw}: ${kind} exec without a command`);
  }
  // Parley daemons: /healthz for liveness, /readyz for readiness, on the port the daemon
  // is told to serve them on (ADMIN_PORT, or PORT for the front end).
  if (String(c.image ?? "").startsWith("parley/") && !String(c.image).startsWith("parley/chat-client")) {
    const want = env.get("ADMIN_PORT") ?? env.get("PORT");
    for (const [kind, path] of [["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
      const g = c[kind]?.httpGet;
      if (!g) { err(m, `${cw}: ${kind} must be an httpGet of ${path}`); continue; }
      if (g.path !== path) err(m, `${cw}: ${kind} path ${g.path}, the daemons serve ${path}`);
      const port = resolvePort([c], g.port);
      if (want === undefined) err(m, `${cw}: neither ADMIN_PORT nor PORT is set, so the health port is implicit`);
      else if (String(port) !== want) err(m, `${cw}: ${kind} port ${port} is not the daemon's health port ${want}`);
    }
  }
  if (String(c.image ?? "").startsWith("rabbitmq:"))
    for (const kind of ["readinessProbe", "livenessProbe"])
      if (c[kind]?.exec?.command?.[0] !== "rabbitmq-diagnostics") err(m, `${cw}: ${kind} must use rabbitmq-diagnostics`);
}

// Every service URL in the environment must name a Service of the set and one of its ports.
function checkUrls(m, c, cw, env, ns, ix, err) {
  for (const [name, v] of env) {
    if (!/_URL$/.test(name) || v === undefined) continue;
    let u;
    try { u = new URL(v); } catch { err(m, `${cw}: env ${name} is not a URL: ${v.replace(/\/\/[^@]*@/, "//…@")}`); continue; }
    const host = u.hostname.replace(/\.parley(\.svc(\.cluster\.local)?)?$/, "");
    const svc = ix.get("Service", ns, host)?.obj;
    if (!svc) { err(m, `${cw}: env ${name} points at host ${u.hostname}, which is no Service`); continue; }
    const port = Number(u.port || { "amqp:": 5672, "postgresql:": 5432, "postgres:": 5432, "http:": 80 }[u.protocol]);
    if (!(svc.spec.ports ?? []).some((p) => p.port === port)) err(m, `${cw}: env ${name}: Service ${host} has no port ${port}`);
    // Credentials are spliced in with $(VAR) and not URL-encoded: they must be URL-safe.
    if (/[^A-Za-z0-9._~-]/.test(u.username + u.password)) err(m, `${cw}: env ${name}: user and password must be URL-safe ([A-Za-z0-9._~-])`);
  }
}

function checkNetworkPolicies(objects, templates, all, err) {
  const nps = all("NetworkPolicy");
  const selects = (np, t) => np.obj.metadata.namespace === t.ns && matchSelector(np.obj.spec.podSelector, t.labels);
  const ingressPolicies = (t) => nps.filter((np) => selects(np, t) && (np.obj.spec.policyTypes ?? ["Ingress"]).includes("Ingress"));
  if (!nps.some((np) => Object.keys(np.obj.spec.podSelector ?? {}).length === 0 && !(np.obj.spec.ingress ?? []).length
    && (np.obj.spec.policyTypes ?? []).includes("Ingress")))
    err(null, "no default-deny ingress NetworkPolicy (podSelector: {} without ingress rules)");

  const isDb = (t) => (t.pod.containers ?? []).some((c) => String(c.image).startsWith("postgres:"));
  const isBackEnd = (t) => (t.pod.containers ?? []).some((c) => String(c.image).startsWith("parley/back-end:"));
  const db = templates.filter(isDb);
  if (!db.length) err(null, "no PostgreSQL workload found");
  for (const t of db) {
    const pols = ingressPolicies(t);
    if (!pols.length) err(t.m, "PostgreSQL pods are not isolated by any NetworkPolicy");
    let backEndAllowed = false;
    for (const np of pols)
      for (const rule of np.obj.spec.ingress ?? []) {
        if (!rule.from?.length) { err(np, `lets every pod reach PostgreSQL (${t.name}): ingress rule without "from"`); continue; }
        for (const peer of rule.from) {
          if (peer.ipBlock || peer.namespaceSelector || !peer.podSelector) {
            err(np, `lets sources outside the namespace's back end reach PostgreSQL (${t.name})`); continue;
          }
          for (const src of templates.filter((s) => s.ns === np.obj.metadata.namespace && matchSelector(peer.podSelector, s.labels))) {
            if (isBackEnd(src)) backEndAllowed = true;
            else if (!isDb(src)) err(np, `lets ${src.m.obj.kind}/${src.name} reach PostgreSQL; only the back end may`);
          }
        }
      }
    if (!backEndAllowed) err(t.m, "no NetworkPolicy lets the back end reach PostgreSQL");
  }

  // Every Service port must be reachable: some policy selecting the pods allows it.
  for (const s of all("Service")) {
    const sel = s.obj.spec?.selector;
    for (const t of templates.filter((t) => sel && matchMap(sel, t.labels))) {
      const pols = ingressPolicies(t);
      if (!pols.length) continue;
      for (const p of s.obj.spec.ports ?? []) {
        const num = resolvePort(t.pod.containers ?? [], p.targetPort ?? p.port);
        const open = pols.some((np) => (np.obj.spec.ingress ?? []).some((r) =>
          !r.ports || r.ports.some((rp) => {
            const lo = resolvePort(t.pod.containers ?? [], rp.port);
            return rp.port === undefined || lo === num || (rp.endPort && num >= lo && num <= rp.endPort);
          })));
        if (!open) err(s, `port ${p.name ?? p.port} (${num}) of ${t.name} is closed by the NetworkPolicies`);
      }
    }
  }
  // Rule ports must exist on the pods a policy selects (catches typos like 5433).
  for (const np of nps) {
    const sel = templates.filter((t) => selects(np, t));
    if (!sel.length && Object.keys(np.obj.spec.podSelector ?? {}).length) err(np, "selects no pod template");
    for (const r of np.obj.spec.ingress ?? [])
      for (const rp of r.ports ?? [])
        if (rp.port !== undefined && !rp.endPort && !sel.some((t) => portDeclared(t.pod.containers ?? [], rp.port)))
          err(np, `port ${rp.port} is not declared by any pod it selects`);
  }
}

function checkSecretsMarked(all, ctx, err) {
  for (const s of all("Secret")) {
    if (s.obj.metadata?.labels?.["parley.dev/development-default"] !== "true")
      err(s, 'committed Secrets are development defaults and must carry the label parley.dev/development-default: "true"');
    if (s.obj.data) err(s, "use stringData (readable development defaults), not base64 data");
  }
  if (ctx.secretsFiles) for (const f of all("Secret").map((s) => s.file))
    if (!ctx.secretsFiles.get(f)?.includes("DEVELOPMENT DEFAULTS")) err(null, `${f}: must say DEVELOPMENT DEFAULTS in its header`);
  // scripts/k8s-secrets.sh must produce the same Secrets and keys (so replacing works).
  if (ctx.generatedSecrets) {
    const gen = new Map(ctx.generatedSecrets.map((m) => [m.obj.metadata.name, m.obj]));
    for (const s of all("Secret")) {
      const g = gen.get(s.obj.metadata.name);
      if (!g) { err(s, "scripts/k8s-secrets.sh does not generate this Secret"); continue; }
      const keys = (o) => Object.keys({ ...o.data, ...o.stringData }).sort().join(",");
      if (keys(g) !== keys(s.obj)) err(s, `scripts/k8s-secrets.sh generates keys ${keys(g)}, the manifest has ${keys(s.obj)}`);
      if (g.metadata?.labels?.["parley.dev/development-default"]) err(s, "scripts/k8s-secrets.sh output must not be labelled a development default");
      if (g.metadata?.namespace !== s.obj.metadata.namespace) err(s, "scripts/k8s-secrets.sh uses another namespace");
    }
    if (gen.size !== all("Secret").length) err(null, "scripts/k8s-secrets.sh generates Secrets the manifests do not have");
  }
}

// Parley-specific contract (SPEC §5 and the Kubernetes issue).
function checkContract(objects, ix, all, ctx, err) {
  const ns = NAMESPACE;
  const wl = (kind, name) => ix.get(kind, ns, name);
  const want = [["Deployment", "front-end", 3], ["Deployment", "back-end", 3], ["Deployment", "chat-server", 3],
    ["StatefulSet", "rabbitmq", 3], ["StatefulSet", "db-primary", 1], ["StatefulSet", "db-standby", 2]];
  for (const [kind, name, n] of want) {
    const m = wl(kind, name);
    if (!m) err(null, `${kind} ${name} is missing`);
    else if (m.obj.spec.replicas !== n) err(m, `replicas must be ${n}`);
  }
  const svc = (name) => wl("Service", name)?.obj;
  const fe = svc("front-end");
  if (fe?.spec.type !== "LoadBalancer") err(null, "Service front-end must be type LoadBalancer");
  else if (!fe.spec.ports.some((p) => p.port === 80 && resolvePort(wl("Deployment", "front-end")?.obj.spec.template.spec.containers ?? [], p.targetPort) === 8080))
    err(null, "Service front-end must map port 80 to the front end's 8080");
  const cs = svc("chat-server");
  if (!["LoadBalancer", "NodePort"].includes(cs?.spec.type)) err(null, "Service chat-server must be reachable from outside (LoadBalancer or NodePort)");
  else if (!cs.spec.ports.some((p) => p.port === 60876 && (p.protocol ?? "TCP") === "TCP")) err(null, "Service chat-server must serve TCP 60876");
  // RabbitMQ's client Service has the name compose and the textbook use.
  const mq = svc("messaging");
  if (!mq) err(null, "Service messaging (RabbitMQ's client Service, the textbook's host name) is missing");
  else if (!mq.spec.ports.some((p) => p.port === 5672)) err(null, "Service messaging must serve AMQP on 5672");
  const chat = wl("Deployment", "chat-server")?.obj.spec.template.spec.containers[0];
  if (chat && JSON.stringify(chat.args) !== JSON.stringify(["60876"])) err(null, 'chat-server container args must be ["60876"]');

  // Database Services select exactly the primary / the standbys.
  const sel = (name) => svc(name)?.spec.selector;
  const hit = (name) => ix.templates.filter((t) => sel(name) && matchMap(sel(name), t.labels)).map((t) => t.name).join(",");
  if (hit("db-rw") !== "db-primary") err(null, `Service db-rw must select only the primary (selects: ${hit("db-rw") || "nothing"})`);
  if (hit("db-r") !== "db-standby") err(null, `Service db-r must select only the standbys (selects: ${hit("db-r") || "nothing"})`);
  for (const name of ["db-primary", "db-standby", "rabbitmq"])
    if (!(wl("StatefulSet", name)?.obj.spec.volumeClaimTemplates ?? []).length) err(null, `StatefulSet ${name} needs a PersistentVolumeClaim template`);
  const standby = wl("StatefulSet", "db-standby")?.obj.spec.template.spec;
  if (standby && !(standby.initContainers ?? []).some((c) => (c.command ?? []).some((a) => /standby-clone\.sh$/.test(a))))
    err(null, "db-standby must clone the primary (init container running standby-clone.sh)");
  const initdb = (wl("StatefulSet", "db-primary")?.obj.spec.template.spec.volumes ?? []).find((v) => v.name === "initdb");
  if (!initdb?.projected?.sources?.some((s) => s.configMap?.name === "db-schema"))
    err(null, "db-primary must mount the db-schema ConfigMap into /docker-entrypoint-initdb.d");

  // Back-end URLs: writes to db-rw, reads from db-r.
  const be = wl("Deployment", "back-end");
  if (be) {
    const { env } = resolveEnv(be.obj.spec.template.spec.containers[0], ns, ix);
    const host = (k) => { try { return new URL(env.get(k)).hostname; } catch { return undefined; } };
    if (host("DATABASE_URL") !== "db-rw") err(be, "DATABASE_URL must point at Service db-rw");
    if (host("DATABASE_READ_URL") !== "db-r") err(be, "DATABASE_READ_URL must point at Service db-r");
  }
  for (const d of DAEMONS) {
    const m = wl("Deployment", d);
    if (!m) continue;
    const c = m.obj.spec.template.spec.containers[0];
    const { env } = resolveEnv(c, ns, ix);
    if (!env.get("AMQP_URL")?.startsWith("amqp://")) err(m, "AMQP_URL must be an amqp:// URL");
    else if (new URL(env.get("AMQP_URL")).hostname !== "messaging") err(m, "AMQP_URL must point at Service messaging");
    if (d === "front-end") {
      const s = c.env.find((e) => e.name === "SESSION_SECRET");
      if (!s?.valueFrom?.secretKeyRef) err(m, "SESSION_SECRET must come from a Secret");
      if ((env.get("SESSION_SECRET") ?? "").length < 32) err(m, "SESSION_SECRET must be at least 32 characters");
    }
    const grace = m.obj.spec.template.spec.terminationGracePeriodSeconds ?? 30;
    const sleep = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    if (grace < 30 + sleep) err(m, `grace period ${grace}s is shorter than preStop ${sleep}s + the daemons' 30 s drain`);
  }

  // RabbitMQ peer discovery: names, RBAC and the headless Service agree.
  const rmq = wl("StatefulSet", "rabbitmq")?.obj;
  if (rmq) {
    const conf = wl("ConfigMap", "rabbitmq-config")?.obj.data?.["rabbitmq.conf"] ?? "";
    const get = (k) => (new RegExp(`^\\s*${k.replace(/\./g, "\\.")}\\s*=\\s*(\\S+)`, "m").exec(conf) ?? [])[1];
    const head = rmq.spec.serviceName;
    if (get("cluster_formation.peer_discovery_backend") !== "rabbit_peer_discovery_k8s") err(null, "rabbitmq.conf must use rabbit_peer_discovery_k8s");
    if (get("cluster_formation.k8s.service_name") !== head) err(null, `rabbitmq.conf k8s.service_name must be ${head}`);
    if (get("cluster_formation.k8s.hostname_suffix") !== `.${head}.${ns}.svc.cluster.local`)
      err(null, `rabbitmq.conf k8s.hostname_suffix must be .${head}.${ns}.svc.cluster.local`);
    if (!svc(head)?.spec?.publishNotReadyAddresses)
      err(null, `headless Service ${head} must publishNotReadyAddresses (nodes discover each other before ready)`);
    const c = rmq.spec.template.spec.containers[0];
    const { env } = resolveEnv(c, ns, ix);
    if (!/^rabbit@\$\(MY_POD_NAME\)\./.test(c.env.find((e) => e.name === "RABBITMQ_NODENAME")?.value ?? "") ||
      !(env.get("RABBITMQ_NODENAME") ?? "").includes(`.${head}.`))
      err(null, "RABBITMQ_NODENAME must be rabbit@<pod>.<headless service>.<namespace>.svc.cluster.local");
    const sa = rmq.spec.template.spec.serviceAccountName;
    const roles = all("RoleBinding").filter((rb) => rb.obj.subjects?.some((s) => s.name === sa)).map((rb) => wl("Role", rb.obj.roleRef.name)?.obj);
    if (!roles.some((r) => r?.rules?.some((x) => x.resources?.includes("endpoints") && x.verbs?.includes("get"))))
      err(null, "the RabbitMQ ServiceAccount needs a Role granting get on endpoints (peer discovery)");
    if (!String(c.image).startsWith("rabbitmq:3.13.")) err(null, "RabbitMQ image must be a pinned 3.13.x (the RBAC/peer-discovery setup targets it)");
  }
}
