// NetworkPolicy evaluation and the SeedLM ingress matrix: who may reach
// which port of which component. admitted() follows the Kubernetes rules
// (a pod selected by no Ingress policy admits everything; otherwise a
// connection needs one rule of one selecting policy whose peers and ports
// match); checkNetworkPolicies() asserts the matrix of docs/DEPLOY.md.
'use strict';

const { isWorkload, matchesSelector, podSpec } = require('./k8s_policy');

const nsLabels = (ns) => ({ 'kubernetes.io/metadata.name': ns });

function peerMatches(peer, src, policyNs) {
  if (peer.ipBlock) return false; // pod-to-pod traffic only in this model
  const nsOk = peer.namespaceSelector
    ? matchesSelector(peer.namespaceSelector, nsLabels(src.namespace))
    : src.namespace === policyNs;
  const podOk = peer.podSelector ? matchesSelector(peer.podSelector, src.labels) : true;
  return nsOk && podOk;
}

function portMatches(rulePort, port, dstPod) {
  if (rulePort.protocol && rulePort.protocol !== 'TCP') return false;
  if (rulePort.port === undefined) return true;
  if (typeof rulePort.port === 'number') {
    const end = rulePort.endPort || rulePort.port;
    return port >= rulePort.port && port <= end;
  }
  // A named port: resolve it on the destination pod.
  return podSpec(dstPod).containers.some((c) => (c.ports || []).some((p) => p.name === rulePort.port && p.containerPort === port));
}

// src: {namespace, labels}; dst: a workload object; port: a number.
function admitted(policies, src, dst, port) {
  const ns = dst.metadata.namespace;
  const labels = dst.spec.template.metadata.labels;
  const selecting = policies.filter((p) => p.metadata.namespace === ns
    && (p.spec.policyTypes || ['Ingress']).includes('Ingress')
    && matchesSelector(p.spec.podSelector, labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => (p.spec.ingress || []).some((rule) => {
    const fromOk = !rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, src, ns));
    const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((rp) => portMatches(rp, port, dst));
    return fromOk && portOk;
  }));
}

function componentPods(objs) {
  const byComponent = {};
  for (const o of objs.filter(isWorkload)) {
    byComponent[o.spec.template.metadata.labels['app.kubernetes.io/component']] = o;
  }
  return byComponent;
}

// The matrix. strictClients: prod admits only labelled clients; dev admits
// any pod of any namespace to the public ports.
function expectations(ns, strictClients) {
  const seedlm = (component) => ({ namespace: ns, labels: { 'app.kubernetes.io/name': 'seedlm', 'app.kubernetes.io/component': component } });
  const client = { namespace: 'apps', labels: { 'seedlm.io/client': 'true' } };
  const stranger = { namespace: 'apps', labels: { app: 'other' } };
  const prometheus = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const fakePrometheus = { namespace: 'apps', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const pub = !strictClients;
  const rows = [
    ['worker', seedlm('worker'), 'coordinator', 50052, true],
    ['client', client, 'coordinator', 50052, false],
    ['executor', seedlm('executor'), 'coordinator', 50052, false],
    ['server', seedlm('server'), 'coordinator', 50052, false],
    ['stranger', stranger, 'coordinator', 50052, false],
    ['prometheus', prometheus, 'coordinator', 50052, false],
    ['client', client, 'coordinator', 50051, true],
    ['client', client, 'coordinator', 8080, true],
    ['stranger', stranger, 'coordinator', 50051, pub],
    ['stranger', stranger, 'coordinator', 8080, pub],
    ['client', client, 'server', 50061, true],
    ['client', client, 'server', 8080, true],
    ['executor', seedlm('executor'), 'server', 50061, true],
    ['stranger', stranger, 'server', 50061, pub],
    ['prometheus', prometheus, 'coordinator', 8080, true],
    ['prometheus', prometheus, 'worker', 9090, true],
    ['prometheus', prometheus, 'executor', 9091, true],
    ['prometheus', prometheus, 'server', 8080, true],
    ['prometheus', prometheus, 'coordinator', 50051, pub],
    ['prometheus', prometheus, 'server', 50061, pub],
    ['prometheus-elsewhere', fakePrometheus, 'worker', 9090, false],
    ['stranger', stranger, 'worker', 9090, false],
    ['client', client, 'worker', 9090, false],
    ['client', client, 'executor', 9091, false],
    ['stranger', stranger, 'executor', 9091, false],
  ];
  if (strictClients) {
    rows.push(['worker', seedlm('worker'), 'coordinator', 50051, false]);
    rows.push(['worker', seedlm('worker'), 'server', 50061, false]);
    rows.push(['executor', seedlm('executor'), 'server', 8080, false]);
  }
  return rows;
}

function checkNetworkPolicies(objs, overlay) {
  const out = [];
  const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
  const pods = componentPods(objs);
  const denyAll = policies.some((p) => Object.keys(p.spec.podSelector || {}).length === 0
    && (p.spec.policyTypes || []).includes('Ingress') && (p.spec.ingress || []).length === 0);
  if (!denyAll) out.push('netpol: no default-deny ingress policy (podSelector {}, no rules)');
  const ns = (pods.coordinator || {}).metadata ? pods.coordinator.metadata.namespace : undefined;
  for (const [who, src, component, port, want] of expectations(ns, overlay === 'prod')) {
    const dst = pods[component];
    if (!dst) {
      out.push(`netpol: no ${component} workload to check`);
      continue;
    }
    const got = admitted(policies, src, dst, port);
    if (got !== want) out.push(`netpol: ${who} (${src.namespace}) -> ${component}:${port} is ${got ? 'admitted' : 'denied'}, want ${want ? 'admitted' : 'denied'}`);
  }
  return out;
}

module.exports = { admitted, checkNetworkPolicies };
