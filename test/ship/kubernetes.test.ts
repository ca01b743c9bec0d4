/**
 * deploy/kubernetes renders with Debian's kubectl (Kustomize built in, no
 * cluster needed) for every overlay, and what it renders is what a cluster
 * and the gateway accept: each object named and typed, the Deployment's
 * selector matching its pods, an image, probes on routes the gateway really
 * serves and the port it listens on, the ConfigMap's mcp-gateway.yml passing
 * `mcp-gateway validate`, and the replicas overlay wiring Redis from a Secret.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { demoServer } from '../fixtures/paths.js';
import { startGateway } from '../helpers/gateway.js';
import { CLI, ROOT, cleanEnv, describeRun, run } from './helpers.js';

const KUBECTL = '/usr/bin/kubectl';
const OVERLAYS = join(ROOT, 'deploy/kubernetes/overlays');
const kubectlMissing = existsSync(KUBECTL) ? false : `${KUBECTL} is not installed (apt-get install kubectl), so the manifests cannot be rendered here`;
if (kubectlMissing) console.log(`# skipped: ${kubectlMissing}`);

type K8sObject = { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: any; data?: Record<string, string> };

async function render(overlay: string): Promise<K8sObject[]> {
  const rendered = await run(KUBECTL, ['kustomize', join(OVERLAYS, overlay)], { timeoutMs: 60_000 });
  assert.equal(rendered.code, 0, describeRun(`kubectl kustomize ${overlay}`, rendered));
  return parseAllDocuments(rendered.stdout).map((doc) => {
    assert.deepEqual(doc.errors, [], `${overlay}: YAML errors`);
    return doc.toJS() as K8sObject;
  });
}

function one(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
}

describe('Kubernetes manifests', { skip: kubectlMissing }, () => {
  test('the overlays are single and replicas-redis', async () => {
    assert.deepEqual((await readdir(OVERLAYS)).sort(), ['replicas-redis', 'single']);
  });

  for (const overlay of ['single', 'replicas-redis']) {
    test(`${overlay}: every object is well-formed and the Deployment is consistent`, async () => {
      const objects = await render(overlay);
      assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'Service', 'ServiceMonitor']);
      for (const object of objects) {
        assert.match(object.apiVersion ?? '', /^[a-z0-9.]*\/?v\d/, `${object.kind} apiVersion`);
        assert.ok(object.metadata?.name, `${object.kind} has metadata.name`);
      }
      const deployment = one(objects, 'Deployment');
      const template = deployment.spec.template;
      for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels as Record<string, string>)) assert.equal(template.metadata.labels[key], value, `selector ${key}`);
      const service = one(objects, 'Service');
      for (const [key, value] of Object.entries(service.spec.selector as Record<string, string>)) assert.equal(template.metadata.labels[key], value, `service selector ${key}`);
      const [container] = template.spec.containers;
      assert.match(container.image, /^mcp-gateway:\S+$/);
      const env = Object.fromEntries((container.env as { name: string; value?: string }[]).map((e) => [e.name, e]));
      const port = container.ports.find((p: any) => p.name === 'http');
      assert.equal(String(port.containerPort), env.MCP_GATEWAY_PORT!.value, 'the container port is the one the gateway listens on');
      assert.equal(env.MCP_GATEWAY_HOST!.value, '0.0.0.0');
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        assert.ok(['http', port.containerPort].includes(container[probe].httpGet.port), `${probe} port`);
      }
      assert.equal(container.livenessProbe.httpGet.path, '/health/live');
      assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(template.spec.securityContext.runAsNonRoot, true);
      assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
      // The config volume is the rendered ConfigMap (its hashed name) and the gateway reads it from there.
      const configMap = one(objects, 'ConfigMap');
      const volume = template.spec.volumes.find((v: any) => v.configMap);
      assert.equal(volume.configMap.name, configMap.metadata!.name);
      const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
      assert.equal(env.MCP_GATEWAY_CONFIG!.value, `${mount.mountPath}/mcp-gateway.yml`);
      assert.ok(configMap.data?.['mcp-gateway.yml']);
      const secrets = (container.env as any[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
      assert.ok(secrets.includes('GATEWAY_API_KEY') && secrets.includes('METRICS_API_KEY'), 'API keys come from a Secret');
      const monitor = one(objects, 'ServiceMonitor');
      assert.equal(monitor.spec.endpoints[0].path, '/metrics');
      assert.equal(monitor.spec.endpoints[0].port, service.spec.ports[0].name);
      if (overlay === 'single') assert.equal(deployment.spec.replicas, 1);
      else {
        assert.ok(deployment.spec.replicas > 1, 'several replicas');
        const redis = (container.env as any[]).find((e) => e.name === 'MCP_GATEWAY_REDIS_URL');
        assert.ok(redis?.valueFrom?.secretKeyRef?.name && redis.valueFrom.secretKeyRef.key, 'the Redis URL comes from a Secret');
        assert.match(configMap.data!['mcp-gateway.yml']!, /store: redis/);
      }
    });

    test(`${overlay}: the ConfigMap's mcp-gateway.yml passes mcp-gateway validate`, async (t) => {
      const config = one(await render(overlay), 'ConfigMap').data!['mcp-gateway.yml']!;
      const dir = await mkdtemp(join(tmpdir(), 'mcpgw-k8s-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, 'mcp-gateway.yml');
      await writeFile(file, config);
      const env = cleanEnv({ GATEWAY_API_KEY: 'a'.repeat(32), METRICS_API_KEY: 'b'.repeat(32), MCP_GATEWAY_REDIS_URL: 'redis://redis.default.svc:6379' });
      const result = await run(process.execPath, [CLI, 'validate', '-c', file], { cwd: ROOT, env, timeoutMs: 20_000 });
      assert.equal(result.code, 0, describeRun('mcp-gateway validate', result));
      // Without the Secret's keys the config must not pass: the keys have no default.
      const bare = await run(process.execPath, [CLI, 'validate', '-c', file], { cwd: ROOT, env: cleanEnv(), timeoutMs: 20_000 });
      assert.notEqual(bare.code, 0, 'a config without its API keys is refused');
    });
  }

  test('the probe paths are routes the gateway serves (200, not 404)', async (t) => {
    const deployment = one(await render('single'), 'Deployment');
    const [container] = deployment.spec.template.spec.containers;
    const gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }]);
    t.after(() => gw.stop());
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const answer = await gw.get(container[probe].httpGet.path);
      assert.equal(answer.status, 200, `${probe} ${container[probe].httpGet.path}: ${answer.text}`);
    }
  });
});
