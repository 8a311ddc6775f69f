// The BullMQ side of the OrleansJobs benchmark, driven by Bench/ (BullMqSystem.cs) over stdio.
//   node bench.js worker PORT CONCURRENCY SAMPLES_FILE QUEUE...
//       one Worker per queue; prints "progress <completed> <failed>" every 100 ms; on SIGTERM
//       closes the workers and writes one "tag enqueue_us start_us" line per handler start.
//   node bench.js producer PORT
//       reads one JSON load spec per stdin line, enqueues it, answers one JSON result line.
// Jobs carry { t: enqueue time in unix µs, r: tag, f: 1 = fail the first attempt, p: 1 = always
// fail, c: CPU spin iterations }, the same payload the OrleansJobs and Hangfire workers read.
import { Queue, Worker } from 'bullmq';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [role, port, ...rest] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const queues = new Map();
const queue = (name) => {
  if (!queues.has(name)) queues.set(name, new Queue(name, { connection }));
  return queues.get(name);
};
// Retries wait 1 s, as the other systems in the benchmark are configured to.
const jobOptions = { attempts: 2, backoff: { type: 'fixed', delay: 1000 } };

if (role === 'worker') {
  const [concurrency, samplesFile, ...queues] = rest;
  const samples = [];
  let completed = 0;
  let failed = 0;
  const spin = (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) x = (x * 31 + i) | 0;
    return x;
  };
  const workers = queues.map((name) => {
    const worker = new Worker(name, async (job) => {
      const d = job.data;
      samples.push(`${d.r} ${d.t} ${nowMicros()}`);
      if (d.c) spin(d.c);
      if (d.p || (d.f && job.attemptsMade === 0)) throw new Error('bench failure');
    }, { connection, concurrency: Number(concurrency) });
    worker.on('completed', () => completed++);
    worker.on('failed', (job) => {
      if (job && job.attemptsMade >= job.opts.attempts) failed++;
    });
    worker.on('error', (err) => console.error(`worker error: ${err.message}`));
    return worker;
  });
  const timer = setInterval(() => console.log(`progress ${completed} ${failed}`), 100);
  process.on('SIGTERM', async () => {
    clearInterval(timer);
    await Promise.all(workers.map((w) => w.close()));
    writeFileSync(samplesFile, samples.join('\n') + '\n');
    console.log(`progress ${completed} ${failed}`);
    process.exit(0);
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  console.log('ready');
} else if (role === 'producer') {
  const lines = createInterface({ input: process.stdin });
  console.log('ready');
  for await (const line of lines) {
    console.log(JSON.stringify(await produce(JSON.parse(line))));
  }
} else {
  console.error('usage: bench.js worker|producer PORT ...');
  process.exit(2);
}

// Sends spec.count jobs, spec.batch per call (addBulk, or add for 1), spread round-robin over
// spec.queues; as fast as spec.producers calls in flight allow, or open-loop at spec.rate jobs/s.
async function produce(spec) {
  const latencies = [];
  const calls = Math.ceil(spec.count / spec.batch);
  const started = performance.now();
  const send = async (call) => {
    const size = Math.min(spec.batch, spec.count - call * spec.batch);
    const q = queue(spec.queues[call % spec.queues.length]);
    const jobs = [];
    for (let i = 0; i < size; i++) {
      const n = call * spec.batch + i;
      jobs.push({
        name: 'bench',
        data: {
          t: nowMicros(),
          r: spec.tag,
          f: spec.failOnceEvery && n % spec.failOnceEvery === 0 ? 1 : 0,
          p: spec.poisonEvery && n % spec.poisonEvery === 1 ? 1 : 0,
          c: spec.cpuIterations || 0,
        },
        opts: jobOptions,
      });
    }
    const t0 = performance.now();
    if (size === 1) await q.add(jobs[0].name, jobs[0].data, jobs[0].opts);
    else await q.addBulk(jobs);
    latencies.push(performance.now() - t0);
  };
  if (spec.rate) {
    const inFlight = new Set();
    for (let call = 0; call < calls; call++) {
      const due = started + (call * spec.batch * 1000) / spec.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p = send(call).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: spec.producers }, async () => {
      for (let call = next++; call < calls; call = next++) await send(call);
    }));
  }
  return { seconds: (performance.now() - started) / 1000, callLatenciesMs: latencies };
}
