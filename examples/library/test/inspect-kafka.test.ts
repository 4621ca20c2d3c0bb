import type { Transport } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { createKafkaTransport, kafkaGroupId } from '@playtally/transport-kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeRegExp,
  publishSome,
  runScript,
  runScriptOk,
  uniqueName,
} from './inspect-helpers.js';

const BROKER = '127.0.0.1:9092';
const available = await requireService('Kafka at 127.0.0.1:9092', () =>
  probeTcp('127.0.0.1', 9092),
);

describe.skipIf(!available)('scripts/inspect/kafka.sh', () => {
  const name = uniqueName();
  const topic = `playtally.${name}`;
  const created = `playtally.${name}-created`;
  let transport: Transport;

  beforeAll(async () => {
    transport = createKafkaTransport({ brokers: [BROKER] });
    await transport.ensure(topic, ['readers']);
    await publishSome(transport, topic, 2);
  });

  afterAll(async () => {
    await transport?.close();
    const admin = new Kafka({ brokers: [BROKER], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups
        .map((group) => group.groupId)
        .filter((id) => id.includes(name));
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
      const topics = (await admin.listTopics()).filter((t) => t.includes(name));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  });

  it('lists the topic with its end offsets and the group with its lag', async () => {
    const stdout = await runScriptOk('kafka.sh', ['--filter', name]);
    const t = escapeRegExp(topic);
    expect(stdout).toContain('org.apache.kafka.tools.TopicCommand');
    expect(stdout).toMatch(new RegExp(`^Topic: ${t}\\tTopicId: \\S+\\tPartitionCount: 3\\t`, 'm'));
    const endOffsets = [...stdout.matchAll(new RegExp(`^${t}:(\\d+):(\\d+)$`, 'gm'))];
    expect(endOffsets).toHaveLength(3);
    expect(endOffsets.reduce((sum, match) => sum + Number(match[2]), 0)).toBe(2);

    const group = kafkaGroupId(topic, 'readers');
    const rows = stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((columns) => columns[0] === group && columns[1] === topic);
    expect(rows).toHaveLength(3);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...: the group read nothing yet.
    expect(rows.reduce((sum, columns) => sum + Number(columns[5]), 0)).toBe(2);
  });

  it('shows only names containing the filter', async () => {
    const stdout = await runScriptOk('kafka.sh', ['--filter', `${name}-nothing`]);
    expect(stdout).not.toContain(topic);
    expect(stdout).toContain('(no topics match)');
    expect(stdout).toContain('(no consumer groups match)');
  });

  it('creates a topic and its group with `create`, as the transport would', async () => {
    const output = await runScriptOk('kafka.sh', ['create', created, 'writers']);
    expect(output).toContain(`ensured topic ${created} with group(s) writers on kafka`);
    const stdout = await runScriptOk('kafka.sh', ['groups', '--filter', `${name}-created`]);
    expect(stdout).toMatch(new RegExp(`^${escapeRegExp(kafkaGroupId(created, 'writers'))}$`, 'm'));
  });

  it('explains itself with --help and refuses unknown options', async () => {
    const help = await runScript('kafka.sh', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: scripts/inspect/kafka.sh');
    const wrong = await runScript('kafka.sh', ['--delete']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown option --delete');
  });
});
