// Policy checks of rendered SeedLM manifests (pure functions over parsed
// objects; check_manifests.js runs them). Each check returns a list of
// problems, each "check-name: what is wrong", so a broken copy names the
// rule it broke (tests/deploy/k8s_manifests_test.sh shows every one fails).
'use strict';

const IMAGES = ['seedlm-coordinator', 'seedlm-worker', 'seedlm-serve', 'seedlm-executor'];
const TAG = '0.19.0';
const UID = 10001;
// SIGTERM drain defaults of the binaries (their main.cc) when no
// --drain-seconds is passed; executors stop at once.
const DEFAULT_DRAIN = { 'seedlm-coordinator': 20, 'seedlm-serve': 20, 'seedlm-worker': 60, 'seedlm-executor': 0 };

const isWorkload = (o) => o.kind === 'Deployment' || o.kind === 'StatefulSet';
const nameOf = (o) => `${o.kind}/${o.metadata.name}`;

function matchesSelector(selector, labels) {
  if (!selector) return false;
  labels = labels || {};
  for (const [k, v] of Object.entries(selector.matchLabels || {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// Parses a Kubernetes quantity ("250m", "2", "768Mi", "6G") to a number.
function quantity(q) {
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) return NaN;
  const mult = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return parseFloat(m[1]) * (m[2] ? mult[m[2]] : 1);
}

function podSpec(o) {
  return o.spec.template.spec;
}

function containersOf(o) {
  const spec = podSpec(o);
  return [...(spec.initContainers || []), ...(spec.containers || [])];
}

// The binary a container runs: its command, else its image's ENTRYPOINT
// (the image is named after it).
function binaryOf(c) {
  if (c.command && c.command.length) return c.command[0].split('/').pop();
  return imageName(c.image);
}

function imageName(image) {
  return String(image).split('@')[0].split('/').pop().split(':')[0];
}

function checkImages(objs) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    for (const c of containersOf(o)) {
      const m = /^(?:[^/]+\/)*([^/:@]+):([^/:@]+)$/.exec(c.image || '');
      if (!m || !IMAGES.includes(m[1]) || m[2] !== TAG) {
        out.push(`images: ${nameOf(o)} container ${c.name} uses "${c.image}", not one of ${IMAGES.join(', ')} at ${TAG}`);
      }
    }
  }
  return out;
}

function checkResources(objs) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    for (const c of containersOf(o)) {
      const r = c.resources || {};
      for (const kind of ['requests', 'limits']) {
        for (const res of ['cpu', 'memory']) {
          if (!r[kind] || r[kind][res] === undefined) {
            out.push(`resources: ${nameOf(o)} container ${c.name} has no ${kind}.${res}`);
          } else if (Number.isNaN(quantity(r[kind][res]))) {
            out.push(`resources: ${nameOf(o)} container ${c.name} ${kind}.${res} "${r[kind][res]}" is not a quantity`);
          }
        }
      }
      for (const res of ['cpu', 'memory']) {
        if (r.requests && r.limits && quantity(r.requests[res]) > quantity(r.limits[res])) {
          out.push(`resources: ${nameOf(o)} container ${c.name} requests more ${res} than its limit`);
        }
      }
    }
  }
  return out;
}

// A probe's port must be one the container declares (by name or number).
function probePortOk(c, port) {
  return (c.ports || []).some((p) => p.name === port || p.containerPort === port);
}

function checkProbes(objs) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    for (const c of podSpec(o).containers) {
      for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const p = c[kind];
        if (!p) {
          if (kind !== 'startupProbe') out.push(`probes: ${nameOf(o)} container ${c.name} has no ${kind}`);
          continue;
        }
        const action = p.grpc || p.httpGet || p.tcpSocket;
        if (p.exec) continue;
        if (!action) {
          out.push(`probes: ${nameOf(o)} container ${c.name} ${kind} has no action`);
        } else if (!probePortOk(c, action.port)) {
          out.push(`probes: ${nameOf(o)} container ${c.name} ${kind} probes port ${action.port}, which it does not expose`);
        }
        if (p.httpGet && p.httpGet.path !== '/healthz') {
          out.push(`probes: ${nameOf(o)} container ${c.name} ${kind} GETs ${p.httpGet.path}, not /healthz`);
        }
      }
    }
  }
  return out;
}

function checkSecurity(objs) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    const pod = podSpec(o).securityContext || {};
    for (const c of containersOf(o)) {
      const sc = c.securityContext || {};
      const eff = (k) => (sc[k] !== undefined ? sc[k] : pod[k]);
      const where = `security: ${nameOf(o)} container ${c.name}`;
      if (eff('runAsNonRoot') !== true) out.push(`${where} is not runAsNonRoot`);
      if (eff('runAsUser') !== UID || eff('runAsGroup') !== UID) out.push(`${where} does not run as ${UID}:${UID}`);
      if (sc.allowPrivilegeEscalation !== false) out.push(`${where} allows privilege escalation`);
      if (sc.readOnlyRootFilesystem !== true) out.push(`${where} has a writable root filesystem`);
      if (!sc.capabilities || !(sc.capabilities.drop || []).includes('ALL')) out.push(`${where} does not drop ALL capabilities`);
      if (sc.privileged) out.push(`${where} is privileged`);
      const seccomp = eff('seccompProfile');
      if (!seccomp || seccomp.type !== 'RuntimeDefault') out.push(`${where} has no RuntimeDefault seccomp profile`);
    }
  }
  return out;
}

function checkSelectorsAndPdbs(objs) {
  const out = [];
  const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
  for (const o of objs.filter(isWorkload)) {
    const labels = o.spec.template.metadata.labels;
    if (!matchesSelector(o.spec.selector, labels)) {
      out.push(`selectors: ${nameOf(o)} selector does not match its pod template's labels`);
    }
    const covering = pdbs.filter((p) => p.metadata.namespace === o.metadata.namespace && matchesSelector(p.spec.selector, labels));
    if (covering.length !== 1) {
      out.push(`pdb: ${nameOf(o)} is covered by ${covering.length} PodDisruptionBudgets (want exactly 1)`);
    }
  }
  for (const p of pdbs) {
    const hits = objs.filter(isWorkload).filter((o) => matchesSelector(p.spec.selector, o.spec.template.metadata.labels));
    if (hits.length === 0) out.push(`pdb: PodDisruptionBudget/${p.metadata.name} selects no pods`);
  }
  return out;
}

function checkServices(objs) {
  const out = [];
  for (const s of objs.filter((o) => o.kind === 'Service')) {
    const pods = objs.filter(isWorkload).filter((o) => o.metadata.namespace === s.metadata.namespace
      && matchesSelector({ matchLabels: s.spec.selector }, o.spec.template.metadata.labels));
    if (pods.length === 0) {
      out.push(`services: Service/${s.metadata.name} selects no pods`);
      continue;
    }
    for (const port of s.spec.ports || []) {
      const target = port.targetPort !== undefined ? port.targetPort : port.port;
      for (const w of pods) {
        if (!podSpec(w).containers.some((c) => probePortOk(c, target))) {
          out.push(`services: Service/${s.metadata.name} port ${port.name} targets ${target}, which ${nameOf(w)} does not expose`);
        }
      }
    }
  }
  for (const o of objs.filter((x) => x.kind === 'StatefulSet')) {
    if (!objs.some((s) => s.kind === 'Service' && s.metadata.name === o.spec.serviceName)) {
      out.push(`services: ${nameOf(o)} names serviceName ${o.spec.serviceName}, which does not exist`);
    }
  }
  return out;
}

// Exactly one autoscaler (an HPA or a KEDA ScaledObject, which makes its own
// HPA) per autoscaled workload, each aimed at a workload that exists; in
// prod the workers follow the coordinator's queued units through KEDA.
function checkAutoscalers(objs, overlay) {
  const out = [];
  const scalers = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject');
  const byTarget = {};
  for (const a of scalers) {
    const ref = a.spec.scaleTargetRef || {};
    const kind = ref.kind || 'Deployment';
    const target = objs.find((o) => o.kind === kind && o.metadata.name === ref.name);
    if (!target) out.push(`autoscalers: ${nameOf(a)} targets ${kind}/${ref.name}, which does not exist`);
    const key = `${kind}/${ref.name}`;
    byTarget[key] = (byTarget[key] || []).concat(nameOf(a));
  }
  for (const [target, list] of Object.entries(byTarget)) {
    if (list.length > 1) out.push(`autoscalers: ${target} has ${list.length} autoscalers (${list.join(', ')}); they would fight`);
  }
  const workers = byTarget['Deployment/seedlm-worker'] || [];
  const want = overlay === 'prod' ? 'ScaledObject/' : 'HorizontalPodAutoscaler/';
  if (workers.length !== 1 || !workers[0].startsWith(want)) {
    out.push(`autoscalers: the workers should have one ${want.slice(0, -1)} in ${overlay}, have [${workers.join(', ')}]`);
  }
  for (const so of scalers.filter((a) => a.kind === 'ScaledObject')) {
    const prom = (so.spec.triggers || []).filter((t) => t.type === 'prometheus');
    if (!prom.some((t) => /seedlm_coordinator_units\{[^}]*state=~?"[^"]*ready/.test(t.metadata.query || ''))) {
      out.push(`autoscalers: ${nameOf(so)} does not scale on seedlm_coordinator_units{state="ready"...}`);
    }
  }
  return out;
}

function checkPrometheus(objs) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    const a = o.spec.template.metadata.annotations || {};
    const ports = podSpec(o).containers.flatMap((c) => (c.ports || []).map((p) => String(p.containerPort)));
    if (a['prometheus.io/scrape'] !== 'true' || a['prometheus.io/path'] !== '/metrics' || !ports.includes(a['prometheus.io/port'])) {
      out.push(`prometheus: ${nameOf(o)} lacks scrape annotations naming /metrics on one of its ports (${ports.join(', ')})`);
    }
  }
  return out;
}

module.exports = {
  DEFAULT_DRAIN, binaryOf, checkAutoscalers, checkImages, checkPrometheus, checkProbes,
  checkResources, checkSecurity, checkSelectorsAndPdbs, checkServices, containersOf,
  isWorkload, matchesSelector, nameOf, podSpec,
};
