import { createWorker } from '@playtally/service';
import { createCloudEvent, createTransport } from '@playtally/transport';

// The generic worker runs any task, not only song plays: this one shouts each text it is given.
const transport = await createTransport(process.env.TRANSPORT_URL ?? 'memory://');
const topic = process.env.TOPIC ?? 'texts';
const texts = process.argv.slice(2);
let allDone: () => void = () => {};
const done = new Promise<void>((resolve) => (allDone = resolve));

const worker = createWorker<{ text: string }>(
  topic,
  async (job) => {
    console.log(job.data.text.toUpperCase());
    if (texts.indexOf(job.data.text) === texts.length - 1) allDone();
  },
  { transport },
);
await worker.start();

for (const text of texts)
  await transport.publish(topic, createCloudEvent({ type: 'text', source: '/me', data: { text } }));
await done;
await worker.close();
await transport.close();
