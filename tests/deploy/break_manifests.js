#!/usr/bin/env node
// Writes broken copies of rendered manifests, one per mutation below, for
// showing that each check of check_manifests.js can fail:
//   node break_manifests.js RENDERED.yaml dev|prod OUT_DIR
// then check_manifests.js --broken OUT_DIR requires each copy to be caught
// by the check its NAME.expect names.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const find = (objs, kind, name) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name.startsWith(name));
  if (!o) throw new Error(`no ${kind}/${name} to break`);
  return o;
};
const container = (objs, kind, name) => find(objs, kind, name).spec.template.spec.containers[0];

// name -> [the check that must fail, mutation, overlays (default both)]
const MUTATIONS = {
  'schema-type': ['schema', (o) => { find(o, 'Deployment', 'seedlm-serve').spec.replicas = 'two'; }],
  'schema-missing': ['schema', (o) => { delete container(o, 'Deployment', 'seedlm-worker').name; }],
  'image-tag': ['images', (o) => { container(o, 'Deployment', 'seedlm-worker').image = 'seedlm-worker:latest'; }],
  'image-name': ['images', (o) => { container(o, 'Deployment', 'seedlm-executor').image = 'busybox:0.19.0'; }],
  'no-limits': ['resources', (o) => { delete container(o, 'Deployment', 'seedlm-executor').resources.limits; }],
  'request-over-limit': ['resources', (o) => { container(o, 'StatefulSet', 'seedlm-coordinator').resources.requests.memory = '64Gi'; }],
  'no-readiness': ['probes', (o) => { delete container(o, 'Deployment', 'seedlm-worker').readinessProbe; }],
  'probe-port': ['probes', (o) => {
    const p = container(o, 'Deployment', 'seedlm-serve').livenessProbe;
    if (p.grpc) p.grpc.port = 50099; else p.httpGet.port = 'metrics';
  }],
  'root': ['security', (o) => { find(o, 'StatefulSet', 'seedlm-coordinator').spec.template.spec.securityContext.runAsNonRoot = false; }],
  'escalation': ['security', (o) => { container(o, 'Deployment', 'seedlm-executor').securityContext.allowPrivilegeEscalation = true; }],
  'caps': ['security', (o) => { container(o, 'Deployment', 'seedlm-worker').securityContext.capabilities.drop = ['NET_RAW']; }],
  'no-pdb': ['pdb', (o) => { o.splice(o.indexOf(find(o, 'PodDisruptionBudget', 'seedlm-worker')), 1); }],
  'selector': ['selectors', (o) => { find(o, 'Deployment', 'seedlm-serve').spec.selector.matchLabels['app.kubernetes.io/component'] = 'serve'; }],
  'service-selector': ['services', (o) => { find(o, 'Service', 'seedlm-coordinator-work').spec.selector['app.kubernetes.io/component'] = 'coordinatr'; }],
  'service-port': ['services', (o) => { find(o, 'Service', 'seedlm-serve').spec.ports[0].targetPort = 'grpc-api'; }],
  'two-autoscalers': ['autoscalers', (o) => {
    o.push({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'seedlm-worker-extra', namespace: find(o, 'Deployment', 'seedlm-worker').metadata.namespace },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'seedlm-worker' }, minReplicas: 1, maxReplicas: 2 } });
  }],
  'prometheus-port': ['prometheus', (o) => { find(o, 'Deployment', 'seedlm-worker').spec.template.metadata.annotations['prometheus.io/port'] = '9999'; }],
  'unknown-flag': ['flags', (o) => { container(o, 'Deployment', 'seedlm-worker').args.push('--no-such-flag=1'); }],
  'wrong-binary-flag': ['flags', (o) => { container(o, 'Deployment', 'seedlm-executor').args.push('--coordinator=x:1'); }],
  'unmounted-file': ['mounts', (o) => {
    const c = container(o, 'StatefulSet', 'seedlm-coordinator');
    c.args = c.args.map((a) => a.replace('/etc/seedlm/tokens/', '/etc/seedlm/elsewhere/'));
  }],
  'undefined-env': ['env', (o) => { container(o, 'Deployment', 'seedlm-worker').args.push('--name=$(NO_SUCH_VAR)'); }],
  'short-grace': ['grace', (o) => { find(o, 'Deployment', 'seedlm-worker').spec.template.spec.terminationGracePeriodSeconds = 30; }],
  'missing-secret': ['secrets', (o) => {
    container(o, 'Deployment', 'seedlm-worker').env.find((e) => e.valueFrom && e.valueFrom.secretKeyRef).valueFrom.secretKeyRef.name = 'no-such-secret';
  }],
  'no-default-deny': ['netpol', (o) => { o.splice(o.indexOf(find(o, 'NetworkPolicy', 'seedlm-default-deny-ingress')), 1); }],
  'work-port-open': ['netpol', (o) => { find(o, 'NetworkPolicy', 'seedlm-coordinator-work').spec.ingress[0].from = [{ namespaceSelector: {} }]; }],
  'metrics-wrong-namespace': ['netpol', (o) => { delete find(o, 'NetworkPolicy', 'seedlm-prometheus').spec.ingress[0].from[0].namespaceSelector; }],
  // Prod only: dev admits any pod to the server's public ports anyway.
  'executor-shut-out': ['netpol', (o) => { o.splice(o.indexOf(find(o, 'NetworkPolicy', 'seedlm-serve-executors')), 1); }, ['prod']],
  'clients-any-pod': ['netpol', (o) => { find(o, 'NetworkPolicy', 'seedlm-serve-clients').spec.ingress[0].from = [{ namespaceSelector: {} }]; }, ['prod']],
};

// Writes OUT_DIR/NAME.yaml and OUT_DIR/NAME.expect for every mutation that
// applies to the overlay.
function writeAll(input, overlay, outDir) {
  let n = 0;
  for (const [name, [check, mutate, overlays]] of Object.entries(MUTATIONS)) {
    if (!(overlays || ['dev', 'prod']).includes(overlay)) continue;
    const objs = YAML.parseAllDocuments(fs.readFileSync(input, 'utf8')).map((d) => d.toJS()).filter(Boolean);
    mutate(objs);
    fs.writeFileSync(path.join(outDir, `${name}.yaml`), objs.map((x) => YAML.stringify(x)).join('---\n'));
    fs.writeFileSync(path.join(outDir, `${name}.expect`), `${check}\n`);
    n++;
  }
  console.log(`${overlay}: wrote ${n} broken copies to ${outDir}`);
}

function main() {
  const [input, overlay, outDir] = process.argv.slice(2);
  if (!input || !['dev', 'prod'].includes(overlay) || !outDir || !fs.existsSync(outDir)) {
    console.error('usage: break_manifests.js RENDERED.yaml dev|prod OUT_DIR');
    process.exit(2);
  }
  writeAll(input, overlay, outDir);
}

main();
